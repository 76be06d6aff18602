using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>A fresh node and fresh etcd, Redis and PostgreSQL servers: no client of the node has connected to any of them yet.</summary>
public sealed class FirstCallFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public EtcdServer Etcd { get; private set; } = null!;

    public RedisServer Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public string Secret { get; } = "env:CM_E2E_FIRST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public static bool Available => EtcdServer.Available && RedisServer.Available && PostgresServer.Available;

    public async Task InitializeAsync()
    {
        if (!Available) return;
        Environment.SetEnvironmentVariable(Secret[4..], "first-" + Guid.NewGuid().ToString("N"));
        Etcd = await EtcdServer.StartNewAsync();
        await EtcdKindFixture.PutAsync(Etcd.Endpoint, "monitor.probe", "ok");
        Redis = await RedisServer.StartNewAsync();
        Postgres = await PostgresServer.CreateAsync();
        await Postgres.CreateConfigDatabaseAsync("config", ("monitor.probe", "ok", null, 1));
        await Postgres.CreateRoleAsync("monitor", Environment.GetEnvironmentVariable(Secret[4..])!, "config");
        Node = await KindNode.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Etcd is not null) await Etcd.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        Environment.SetEnvironmentVariable(Secret[4..], null);
    }
}

/// <summary>
/// A client's first call (a new connection: TCP, PostgreSQL's SCRAM handshake, Redis' handshake, a new HTTP connection to etcd)
/// is an untimed warm-up, so a fresh node against fresh servers raises no slow-probe alert in its first probes. The thresholds
/// are 250 ms: far above a warm loopback probe, below the set-up the warm-up keeps out.
/// </summary>
public sealed class FirstCallSpecs(FirstCallFixture fixture, ITestOutputHelper output) : IClassFixture<FirstCallFixture>
{
    [SkippableFact]
    public async Task Should_raise_no_slow_probe_alert_in_the_first_probes_of_a_fresh_node_against_etcd_redis_and_postgresql()
    {
        RequiredServer.Require(FirstCallFixture.Available, "etcd, Redis and PostgreSQL 15 (Debian's etcd-server, redis-server, postgresql) are installed");
        var node = fixture.Node;
        var fast = new { interval = "1s", accessTimeThresholdMs = 250 };
        var database = new { interval = "1s", responseTimeThresholdMs = 250 };
        await node.AddTargetAsync(KindNode.TargetBody("first-etcd", new Dictionary<string, object?>
        {
            ["adapter"] = "etcd", ["endpoint"] = fixture.Etcd.Endpoint, ["performance"] = fast, ["database"] = database,
        }));
        await node.AddTargetAsync(KindNode.TargetBody("first-redis", new Dictionary<string, object?>
        {
            ["adapter"] = "etcd", ["endpoint"] = fixture.Etcd.Endpoint, ["performance"] = fast, ["database"] = database,
            ["cache"] = new { kind = "redis", endpoint = fixture.Redis.Endpoint, interval = "1s" },
            ["eventProbe"] = new { kind = "redis", endpoint = fixture.Redis.Endpoint, timeout = "2s" },
        }));
        await node.AddTargetAsync(KindNode.TargetBody("first-postgresql", new Dictionary<string, object?>
        {
            ["adapter"] = "sql", ["provider"] = "postgresql", ["endpoint"] = fixture.Postgres.Endpoint("config", "monitor"), ["secret"] = fixture.Secret,
            ["performance"] = fast, ["database"] = database,
        }));

        await KindChecks.NoSlowFirstProbeAsync(node, output, "first-etcd", 3, "config_access_ms", "db_response_ms");
        await KindChecks.NoSlowFirstProbeAsync(node, output, "first-redis", 3, "config_access_ms");
        await KindChecks.NoSlowFirstProbeAsync(node, output, "first-postgresql", 3, "config_access_ms", "db_response_ms");
        Assert.Equal(1, (await node.MetricsAsync("first-redis"))["cache_probe_ok"]);
    }
}
