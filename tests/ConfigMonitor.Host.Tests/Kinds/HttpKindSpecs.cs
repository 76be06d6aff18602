using System.Diagnostics;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node and the reference config service as its own process, for the http kind's proofs.</summary>
public sealed class HttpKindFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public ReferenceServiceProcess Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!ReferenceServiceProcess.Available) return;
        Service = await ReferenceServiceProcess.StartNewAsync();
        Node = await KindNode.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Service is not null) await Service.DisposeAsync();
    }
}

/// <summary>
/// The http kind end to end: a real node monitors the reference service (a child process, over its HTTP API on loopback),
/// added through POST /api/targets; faults come from outside through the service's fault routes, or by killing it.
/// </summary>
public sealed class HttpKindSpecs(HttpKindFixture fixture, ITestOutputHelper output) : IClassFixture<HttpKindFixture>
{
    private const string Reason = "the reference service's dll (ConfigMonitor.ConfigService.dll) is built next to the tests";

    private KindNode Node => fixture.Node;

    private ReferenceServiceProcess Service => fixture.Service;

    private Dictionary<string, object?> Body(string id, double accessTimeThresholdMs = 500) => KindNode.TargetBody(id, new Dictionary<string, object?>
    {
        ["adapter"] = "http",
        ["endpoint"] = Service.Url,
        ["performance"] = new { interval = "1s", accessTimeThresholdMs },
        ["cache"] = new { interval = "1s" },
        ["database"] = new { interval = "1s", responseTimeThresholdMs = 500 },
        ["eventProbe"] = new { timeout = "2s" },
    });

    private async Task WithTargetAsync(string id, Func<Task> test, double accessTimeThresholdMs = 500)
    {
        await Node.AddTargetAsync(Body(id, accessTimeThresholdMs));
        try
        {
            await test();
        }
        finally
        {
            await Service.FaultAsync("reset");
            await Node.RemoveTargetAsync(id);
        }
    }

    [SkippableFact]
    public async Task Should_report_real_figures_from_every_http_facet_with_healthy_checks()
    {
        RequiredServer.Require(ReferenceServiceProcess.Available, Reason);
        await WithTargetAsync("http-healthy", async () =>
        {
            await Node.WaitForMetricsAsync("http-healthy", TimeSpan.FromSeconds(30),
                "config_access_ms", "health_ok", "cache_size", "cache_probe_ok", "db_response_ms", "db_config_rows", "event_delivered");
            var metrics = await Node.MetricsAsync("http-healthy");
            Assert.InRange(metrics["config_access_ms"], 0.01, 500);
            Assert.Equal(1, metrics["health_ok"]);
            Assert.True(metrics["db_config_rows"] > 0, "the reference table has rows");
            await KindChecks.EventDeliveredAsync(Node, "http-healthy", 1, TimeSpan.FromSeconds(20));
            var all = new[] { "config", "cache", "database", "events" };
            await KindChecks.FacetsHealthyAsync(Node, "http-healthy", all.ToDictionary(f => f, _ => "http"), all.ToDictionary(f => f, _ => Service.Url));
            var checks = await KindChecks.ChecksHealthyAsync(Node, "http-healthy");
            Assert.True(checks["configuration_service"].GetProperty("figures").GetProperty("key_found").GetDouble() == 1);
            Assert.True(checks["event_system"].GetProperty("figures").GetProperty("delivered").GetDouble() == 1);
            Assert.DoesNotContain(await Node.AlertsAsync("http-healthy"), a => a.GetProperty("state").GetString() != "resolved");
        });
    }

    [SkippableFact]
    public async Task Should_fire_access_time_while_the_service_reads_slowly_and_resolve_it_when_reads_are_fast_again()
    {
        RequiredServer.Require(ReferenceServiceProcess.Available, Reason);
        await WithTargetAsync("http-slow", async () =>
        {
            await Node.WaitForMetricsAsync("http-slow", TimeSpan.FromSeconds(30), "config_access_ms");
            var since = Stopwatch.StartNew();
            await Service.FaultAsync("read-delay", """{"delay":"600ms"}""");
            var fired = await Node.WaitFiringAsync("http-slow", "performance/access_time", since, TimeSpan.FromSeconds(10));
            var alert = (await Node.AlertAsync("http-slow", "performance/access_time"))!.Value;
            output.WriteLine($"http: access_time fired {fired.TotalSeconds:0.0} s after a 600 ms read delay: {alert.GetProperty("message")}");
            Assert.True((await Node.MetricsAsync("http-slow"))["config_access_ms"] >= 600, "the recorded read time includes the delay");

            since.Restart();
            await Service.FaultAsync("reset");
            await Node.WaitResolvedAsync("http-slow", "performance/access_time", since, TimeSpan.FromSeconds(10));
        }, accessTimeThresholdMs: 300);
    }

    [SkippableFact]
    public async Task Should_alert_within_three_intervals_when_the_service_process_stops_and_resolve_when_it_is_back()
    {
        RequiredServer.Require(ReferenceServiceProcess.Available, Reason);
        await WithTargetAsync("http-down", async () =>
        {
            await Node.WaitForMetricsAsync("http-down", TimeSpan.FromSeconds(30), "config_access_ms");
            await KindChecks.OutageAsync(Node, output, "http", "http-down", "performance/config_read_failed", Service.StopAsync, Service.StartAsync);
        });
    }

    [SkippableFact]
    public async Task Should_deliver_the_change_event_for_real_and_fire_event_delivery_when_the_service_drops_events()
    {
        RequiredServer.Require(ReferenceServiceProcess.Available, Reason);
        await WithTargetAsync("http-events", async () =>
        {
            await KindChecks.EventDeliveredAsync(Node, "http-events", 1, TimeSpan.FromSeconds(20));
            Assert.InRange((await Node.MetricsAsync("http-events"))["event_round_trip_ms"], 0, 2000);

            var since = Stopwatch.StartNew();
            await Service.FaultAsync("drop-events", """{"drop":true}""");
            var fired = await Node.WaitFiringAsync("http-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(15));
            var alert = (await Node.AlertAsync("http-events", "event_system/event_delivery"))!.Value;
            output.WriteLine($"http: event_delivery fired {fired.TotalSeconds:0.0} s after drop-events: {alert.GetProperty("message")}");
            Assert.Contains("change event lost", alert.GetProperty("message").GetString());
            Assert.Equal(0, (await Node.MetricsAsync("http-events"))["event_delivered"]);

            since.Restart();
            await Service.FaultAsync("reset");
            await Node.WaitResolvedAsync("http-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(15));
        });
    }
}
