using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node, one private etcd with the probe key under /app/, and a latency proxy in front of it.</summary>
public sealed class EtcdKindFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public EtcdServer Etcd { get; private set; } = null!;

    public LatencyProxy Proxy { get; private set; } = null!;

    public string ProxyUrl => $"http://127.0.0.1:{Proxy.Port}";

    public async Task InitializeAsync()
    {
        if (!EtcdServer.Available) return;
        Etcd = await EtcdServer.StartNewAsync();
        await PutAsync(Etcd.Endpoint, "/app/monitor.probe", "ok");
        Proxy = LatencyProxy.Start("127.0.0.1", Etcd.ClientPort);
        Node = await KindNode.StartAsync();
    }

    /// <summary>Writes a key through etcd's JSON gateway (keys and values are base64).</summary>
    public static async Task PutAsync(string endpoint, string key, string value)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.PostAsJsonAsync($"{endpoint}/v3/kv/put",
            new { key = Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), value = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) });
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Proxy is not null) await Proxy.DisposeAsync();
        if (Etcd is not null) await Etcd.DisposeAsync();
    }
}

/// <summary>
/// The etcd kind end to end: a real node monitors a private etcd (config reads under /app/, status and key count, a watch
/// round trip on the probe's own key) added through POST /api/targets; etcd has no cache, so that facet is not applicable.
/// </summary>
public sealed class EtcdKindSpecs(EtcdKindFixture fixture, ITestOutputHelper output) : IClassFixture<EtcdKindFixture>
{
    private const string Reason = "etcd (Debian's etcd-server) is installed";

    private KindNode Node => fixture.Node;

    private Dictionary<string, object?> Body(string id, string endpoint, double thresholdMs = 500, string? eventsEndpoint = null) =>
        KindNode.TargetBody(id, new Dictionary<string, object?>
        {
            ["adapter"] = "etcd",
            ["endpoint"] = endpoint,
            ["performance"] = new { interval = "1s", accessTimeThresholdMs = thresholdMs },
            ["config"] = new { keyPrefix = "/app/" },
            ["database"] = new { interval = "1s", responseTimeThresholdMs = thresholdMs, keyPrefix = "/app/" },
            ["eventProbe"] = eventsEndpoint is null ? new { timeout = "2s" } : new { timeout = "2s", endpoint = eventsEndpoint },
        });

    private Task WithTargetAsync(Dictionary<string, object?> body, Func<Task> test) => Node.WithTargetAsync(body, test, async () =>
    {
        fixture.Proxy.Reset();
        if (!fixture.Etcd.Running) await fixture.Etcd.StartAsync();
    });

    [SkippableFact]
    public async Task Should_report_real_figures_with_the_cache_not_applicable()
    {
        RequiredServer.Require(EtcdServer.Available, Reason);
        var endpoint = fixture.Etcd.Endpoint;
        await WithTargetAsync(Body("etcd-healthy", endpoint), async () =>
        {
            await Node.WaitForMetricsAsync("etcd-healthy", TimeSpan.FromSeconds(30), "config_access_ms", "health_ok", "db_response_ms", "db_config_rows");
            await KindChecks.EventDeliveredAsync(Node, "etcd-healthy", 1, TimeSpan.FromSeconds(20));
            var metrics = await Node.MetricsAsync("etcd-healthy");
            Assert.Equal(1, metrics["db_config_rows"]); // the one key under /app/
            Assert.DoesNotContain("cache_probe_ok", metrics.Keys);
            await KindChecks.FacetsHealthyAsync(Node, "etcd-healthy",
                new Dictionary<string, string> { ["config"] = "etcd", ["cache"] = "none", ["database"] = "etcd", ["events"] = "etcd" },
                new Dictionary<string, string> { ["config"] = endpoint, ["database"] = endpoint, ["events"] = endpoint });
            var checks = await KindChecks.ChecksHealthyAsync(Node, "etcd-healthy", "cache");
            Assert.Equal(1, checks["configuration_service"].GetProperty("figures").GetProperty("key_found").GetDouble());
            // What etcd really answers (its status), not a SELECT 1 it never ran.
            var database = checks["database_connectivity"];
            var figures = database.GetProperty("figures");
            Assert.False(figures.TryGetProperty("select_one", out _));
            Assert.Equal(1, figures.GetProperty("leader").GetDouble());
            Assert.True(figures.GetProperty("db_size_bytes").GetDouble() > 0);
            Assert.True(figures.GetProperty("db_quota_bytes").GetDouble() >= figures.GetProperty("db_size_bytes").GetDouble());
            Assert.Equal(1, figures.GetProperty("configuration_rows").GetDouble());
            Assert.StartsWith("etcd status (leader elected) in ", database.GetProperty("message").GetString());
            Assert.EndsWith("; 1 key under the prefix", database.GetProperty("message").GetString());
        });
    }

    [SkippableFact]
    public async Task Should_fire_access_time_and_response_time_through_a_slow_link()
    {
        RequiredServer.Require(EtcdServer.Available, Reason);
        await WithTargetAsync(Body("etcd-slow", fixture.ProxyUrl, thresholdMs: 250), () =>
            KindChecks.SlowLinkAsync(Node, output, "etcd", "etcd-slow", fixture.Proxy, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10)));
    }

    [SkippableFact]
    public async Task Should_alert_within_three_intervals_when_etcd_stops_and_resolve_when_it_is_back()
    {
        RequiredServer.Require(EtcdServer.Available, Reason);
        await WithTargetAsync(Body("etcd-down", fixture.Etcd.Endpoint), async () =>
        {
            await Node.WaitForMetricsAsync("etcd-down", TimeSpan.FromSeconds(30), "config_access_ms", "db_response_ms");
            await KindChecks.OutageAsync(Node, output, "etcd", "etcd-down", "performance/config_read_failed", fixture.Etcd.StopAsync, fixture.Etcd.StartAsync);
        });
    }

    [SkippableFact]
    public async Task Should_deliver_the_watch_event_for_real_and_fire_event_delivery_when_the_event_path_stalls()
    {
        RequiredServer.Require(EtcdServer.Available, Reason);
        // Config and database straight to etcd, the event probe through the proxy: only the event path is cut.
        await WithTargetAsync(Body("etcd-events", fixture.Etcd.Endpoint, eventsEndpoint: fixture.ProxyUrl), async () =>
        {
            await KindChecks.EventDeliveredAsync(Node, "etcd-events", 1, TimeSpan.FromSeconds(20));
            var since = Stopwatch.StartNew();
            fixture.Proxy.Stalled = true;
            var fired = await Node.WaitFiringAsync("etcd-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(15));
            output.WriteLine($"etcd: event_delivery fired {fired.TotalSeconds:0.0} s after the event path stalled: " +
                             (await Node.AlertAsync("etcd-events", "event_system/event_delivery"))!.Value.GetProperty("message").GetString());
            Assert.Null(await Node.AlertAsync("etcd-events", "performance/config_read_failed"));
            fixture.Proxy.Stalled = false;
            fixture.Proxy.DropConnections();
            since.Restart();
            await Node.WaitResolvedAsync("etcd-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(20));
        });
    }
}
