using System.Text.Json;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node with its demo (the reference service over HTTP), one PostgreSQL and one Redis.</summary>
public sealed class MixedTargetFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public RedisServer Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public string DemoUrl { get; private set; } = "";

    public string Secret { get; } = "env:CM_E2E_MIXED_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public static bool Available => RedisServer.Available && PostgresServer.Available;

    public async Task InitializeAsync()
    {
        if (!Available) return;
        Environment.SetEnvironmentVariable(Secret[4..], "mixed-" + Guid.NewGuid().ToString("N"));
        Redis = await RedisServer.StartNewAsync();
        Postgres = await PostgresServer.CreateAsync();
        await Postgres.CreateConfigDatabaseAsync("config", ("monitor.probe", "ok", null, 1), ("app.name", "orders", null, 1), ("app.mode", "live", null, 1));
        await Postgres.CreateRoleAsync("monitor", Environment.GetEnvironmentVariable(Secret[4..])!, "config");
        Node = await KindNode.StartAsync(demo: true);
        DemoUrl = await Node.DemoUrlAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        Environment.SetEnvironmentVariable(Secret[4..], null);
    }
}

/// <summary>
/// One target made of four kinds: config over HTTP (the reference service), its database in PostgreSQL, its cache in Redis,
/// its change events by LISTEN/NOTIFY; /health reports all seven checks with real figures.
/// </summary>
public sealed class MixedTargetSpecs(MixedTargetFixture fixture) : IClassFixture<MixedTargetFixture>
{
    [SkippableFact]
    public async Task Should_report_all_seven_checks_with_real_figures_for_http_config_postgresql_database_redis_cache_and_notify_events()
    {
        RequiredServer.Require(MixedTargetFixture.Available, "Redis and PostgreSQL 15 (Debian's redis-server, postgresql) are installed");
        var node = fixture.Node;
        var postgres = fixture.Postgres.Endpoint("config", "monitor");
        await node.AddTargetAsync(KindNode.TargetBody("mixed", new Dictionary<string, object?>
        {
            ["adapter"] = "http",
            ["endpoint"] = fixture.DemoUrl,
            ["cache"] = new { kind = "redis", endpoint = fixture.Redis.Endpoint, interval = "1s" },
            ["database"] = new { kind = "sql", provider = "postgresql", endpoint = postgres, secret = fixture.Secret, interval = "1s", responseTimeThresholdMs = 500 },
            ["eventProbe"] = new { kind = "sql", provider = "postgresql", endpoint = postgres, secret = fixture.Secret, timeout = "2s" },
        }));
        await node.WaitForMetricsAsync("mixed", TimeSpan.FromSeconds(30), "config_access_ms", "cache_size", "db_response_ms", "db_config_rows");
        await KindChecks.EventDeliveredAsync(node, "mixed", 1, TimeSpan.FromSeconds(20));
        await KindChecks.FacetsHealthyAsync(node, "mixed",
            new Dictionary<string, string> { ["config"] = "http", ["cache"] = "redis", ["database"] = "sql", ["events"] = "sql" },
            new Dictionary<string, string> { ["config"] = fixture.DemoUrl, ["cache"] = fixture.Redis.Endpoint, ["database"] = postgres, ["events"] = postgres });
        var checks = await KindChecks.ChecksHealthyAsync(node, "mixed");

        Assert.True(checks["configuration_service"].GetProperty("figures").GetProperty("read_ms").GetDouble() > 0);
        Assert.Equal(1, checks["configuration_service"].GetProperty("figures").GetProperty("key_found").GetDouble());
        Assert.Equal(3, checks["database_connectivity"].GetProperty("figures").GetProperty("configuration_rows").GetDouble()); // PostgreSQL's rows, not the demo's
        Assert.True(checks["cache_performance"].GetProperty("figures").GetProperty("size").GetDouble() > 0); // Redis' used_memory in bytes
        Assert.Equal(1, checks["event_system"].GetProperty("figures").GetProperty("delivered").GetDouble());
        var adapters = checks["service_adapters"];
        Assert.True(adapters.GetProperty("figures").GetProperty("probes").GetDouble() > 0);
        foreach (var facet in new[] { "config", "cache", "database", "events" })
            Assert.Equal(0, adapters.GetProperty("figures").GetProperty($"{facet}_consecutive_failures").GetDouble());
        var message = adapters.GetProperty("message").GetString()!;
        Assert.Contains("config http", message);
        Assert.Contains("cache redis", message);
        Assert.Contains("database sql", message);
        Assert.Contains("events sql", message);

        // The node-wide checks are in the same report: seven names in all.
        using var response = await node.Anonymous.GetAsync("/health");
        var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var names = report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Distinct().ToList();
        Assert.Equal(7, names.Count);
        Assert.Contains("memory_usage", names);
        Assert.Contains("disk_space", names);
    }
}
