using System.Diagnostics;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>
/// One node, one private PostgreSQL with the reference table in database <c>config</c> and a read-only <c>monitor</c> role whose
/// password reaches the node only through an environment variable (set before the node starts), and a latency proxy in front.
/// </summary>
public sealed class PostgresKindFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public KindNode Node { get; private set; } = null!;

    public PostgresServer Server { get; private set; } = null!;

    public LatencyProxy Proxy { get; private set; } = null!;

    /// <summary>The monitor role's password: it must never show in the API, an alert or the log.</summary>
    public string Password { get; } = "pg-secret-" + Guid.NewGuid().ToString("N");

    /// <summary>A wrong password, held by another variable: a target naming it fails to authenticate.</summary>
    public string WrongPassword { get; } = "pg-wrong-" + Guid.NewGuid().ToString("N");

    public string Secret => $"env:CM_E2E_PG_{_suffix}";

    public string WrongSecret => $"env:CM_E2E_PG_WRONG_{_suffix}";

    public string Endpoint => Server.Endpoint("config", "monitor");

    public string ProxyEndpoint => $"Host=127.0.0.1;Port={Proxy.Port};Database=config;Username=monitor";

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        Environment.SetEnvironmentVariable(Secret[4..], Password);
        Environment.SetEnvironmentVariable(WrongSecret[4..], WrongPassword);
        Server = await PostgresServer.CreateAsync();
        await Server.CreateConfigDatabaseAsync("config", ("monitor.probe", "ok", "the probe key", 3), ("feature.flags", "{}", null, 1));
        await Server.CreateRoleAsync("monitor", Password, "config");
        Proxy = LatencyProxy.Start("127.0.0.1", Server.Port);
        Node = await KindNode.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Proxy is not null) await Proxy.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
        Environment.SetEnvironmentVariable(Secret[4..], null);
        Environment.SetEnvironmentVariable(WrongSecret[4..], null);
    }
}

/// <summary>
/// The sql kind on PostgreSQL end to end: config reads and the row count in read-only transactions, LISTEN/NOTIFY round trips,
/// the password by reference (env:NAME); added through POST /api/targets.
/// </summary>
public sealed class PostgresKindSpecs(PostgresKindFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresKindFixture>
{
    private const string Reason = "PostgreSQL 15 (Debian's postgresql) is installed";

    private KindNode Node => fixture.Node;

    private Dictionary<string, object?> Body(string id, string endpoint, double thresholdMs = 500, string? eventsEndpoint = null, string? secret = null) =>
        KindNode.TargetBody(id, new Dictionary<string, object?>
        {
            ["adapter"] = "sql",
            ["provider"] = "postgresql",
            ["endpoint"] = endpoint,
            ["secret"] = secret ?? fixture.Secret,
            ["performance"] = new { interval = "1s", accessTimeThresholdMs = thresholdMs },
            ["database"] = new { interval = "1s", responseTimeThresholdMs = thresholdMs },
            ["eventProbe"] = eventsEndpoint is null ? new { timeout = "2s" } : new { timeout = "2s", endpoint = eventsEndpoint },
        });

    private Task WithTargetAsync(Dictionary<string, object?> body, Func<Task> test) => Node.WithTargetAsync(body, test, async () =>
    {
        fixture.Proxy.Reset();
        if (!fixture.Server.Running) await fixture.Server.StartAsync();
    });

    [SkippableFact]
    public async Task Should_report_real_figures_with_the_cache_not_applicable()
    {
        RequiredServer.Require(PostgresServer.Available, Reason);
        await WithTargetAsync(Body("pg-healthy", fixture.Endpoint), async () =>
        {
            await Node.WaitForMetricsAsync("pg-healthy", TimeSpan.FromSeconds(30), "config_access_ms", "health_ok", "db_response_ms", "db_config_rows");
            await KindChecks.EventDeliveredAsync(Node, "pg-healthy", 1, TimeSpan.FromSeconds(20));
            Assert.Equal(2, (await Node.MetricsAsync("pg-healthy"))["db_config_rows"]);
            await KindChecks.FacetsHealthyAsync(Node, "pg-healthy",
                new Dictionary<string, string> { ["config"] = "sql", ["cache"] = "none", ["database"] = "sql", ["events"] = "sql" },
                new Dictionary<string, string> { ["config"] = fixture.Endpoint, ["database"] = fixture.Endpoint, ["events"] = fixture.Endpoint });
            var checks = await KindChecks.ChecksHealthyAsync(Node, "pg-healthy", "cache");
            Assert.Equal(2, checks["database_connectivity"].GetProperty("figures").GetProperty("configuration_rows").GetDouble());
            Assert.Equal(1, checks["event_system"].GetProperty("figures").GetProperty("delivered").GetDouble());
        });
    }

    [SkippableFact]
    public async Task Should_fire_access_time_and_response_time_through_a_slow_link()
    {
        RequiredServer.Require(PostgresServer.Available, Reason);
        // 100 ms per chunk: a read (BEGIN READ ONLY, SELECT, COMMIT) takes a few hundred ms, above the 200 ms threshold and well
        // inside the 1 s probe timeout, so each probe is a slow read, not a failed one.
        await WithTargetAsync(Body("pg-slow", fixture.ProxyEndpoint, thresholdMs: 200), () =>
            KindChecks.SlowLinkAsync(Node, output, "postgresql", "pg-slow", fixture.Proxy, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(15)));
    }

    [SkippableFact]
    public async Task Should_alert_within_three_intervals_when_postgresql_stops_and_resolve_when_it_is_back()
    {
        RequiredServer.Require(PostgresServer.Available, Reason);
        await WithTargetAsync(Body("pg-down", fixture.Endpoint), async () =>
        {
            await Node.WaitForMetricsAsync("pg-down", TimeSpan.FromSeconds(30), "config_access_ms", "db_response_ms");
            await KindChecks.OutageAsync(Node, output, "postgresql", "pg-down", "database/unreachable", fixture.Server.StopAsync, fixture.Server.StartAsync);
        });
    }

    [SkippableFact]
    public async Task Should_deliver_the_notify_event_for_real_and_fire_event_delivery_when_the_event_path_stalls()
    {
        RequiredServer.Require(PostgresServer.Available, Reason);
        await WithTargetAsync(Body("pg-events", fixture.Endpoint, eventsEndpoint: fixture.ProxyEndpoint), async () =>
        {
            await KindChecks.EventDeliveredAsync(Node, "pg-events", 1, TimeSpan.FromSeconds(20));
            var since = Stopwatch.StartNew();
            fixture.Proxy.Stalled = true;
            var fired = await Node.WaitFiringAsync("pg-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(15));
            output.WriteLine($"postgresql: event_delivery fired {fired.TotalSeconds:0.0} s after LISTEN/NOTIFY stalled: " +
                             (await Node.AlertAsync("pg-events", "event_system/event_delivery"))!.Value.GetProperty("message").GetString());
            Assert.Null(await Node.AlertAsync("pg-events", "performance/config_read_failed"));
            fixture.Proxy.Stalled = false;
            fixture.Proxy.DropConnections();
            since.Restart();
            await Node.WaitResolvedAsync("pg-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(20));
        });
    }

    [SkippableFact]
    public async Task Should_use_a_password_by_reference_and_never_show_it_in_the_api_an_alert_or_the_log()
    {
        RequiredServer.Require(PostgresServer.Available, Reason);
        var wrong = Body("pg-wrong-secret", fixture.Endpoint, secret: fixture.WrongSecret);
        await Node.AddTargetAsync(wrong);
        try
        {
            await WithTargetAsync(Body("pg-secret", fixture.Endpoint), async () =>
            {
                // The right secret works; the wrong one is refused by the server and alerts, naming the failure, not the password.
                await Node.WaitForMetricsAsync("pg-secret", TimeSpan.FromSeconds(30), "config_access_ms", "db_config_rows");
                await Node.WaitFiringAsync("pg-wrong-secret", "performance/config_read_failed", Stopwatch.StartNew(), TimeSpan.FromSeconds(15));
                var message = (await Node.AlertAsync("pg-wrong-secret", "performance/config_read_failed"))!.Value.GetProperty("message").GetString()!;
                output.WriteLine($"postgresql, wrong password: {message}");
                Assert.Contains("password", message, StringComparison.OrdinalIgnoreCase);

                var listed = await Node.Anonymous.GetStringAsync("/api/targets");
                var shown = await Node.Anonymous.GetStringAsync("/api/targets/pg-secret");
                var alerts = string.Join("\n", (await Node.AlertsAsync("pg-wrong-secret")).Concat(await Node.AlertsAsync("pg-secret")));
                var log = Node.Log.Text;
                Assert.Contains(fixture.Secret, listed); // the reference is what the definition holds
                Assert.Contains("pg-wrong-secret", log); // the log did speak of the failing target
                foreach (var (what, text) in new[] { ("GET /api/targets", listed), ("GET /api/targets/pg-secret", shown), ("the alerts", alerts), ("the log", log) })
                {
                    Assert.False(text.Contains(fixture.Password, StringComparison.Ordinal), $"{what} shows the password");
                    Assert.False(text.Contains(fixture.WrongPassword, StringComparison.Ordinal), $"{what} shows the wrong password");
                }
            });
        }
        finally
        {
            await Node.RemoveTargetAsync("pg-wrong-secret");
        }
    }
}
