using System.Diagnostics;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node with its demo (the reference service over HTTP: the config facet), one private Redis, a latency proxy in front of it.</summary>
public sealed class RedisKindFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public RedisServer Redis { get; private set; } = null!;

    public LatencyProxy Proxy { get; private set; } = null!;

    public string DemoUrl { get; private set; } = "";

    public string ProxyEndpoint => $"127.0.0.1:{Proxy.Port}";

    public async Task InitializeAsync()
    {
        if (!RedisServer.Available) return;
        Redis = await RedisServer.StartNewAsync();
        Proxy = LatencyProxy.Start("127.0.0.1", Redis.Port);
        Node = await KindNode.StartAsync(demo: true);
        DemoUrl = await Node.DemoUrlAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        if (Proxy is not null) await Proxy.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
    }
}

/// <summary>
/// The redis kind end to end, as the cache and the events of a target whose config is the reference service over HTTP: INFO
/// statistics for the cache loop and a pub/sub round trip for the event probe, added through POST /api/targets.
/// </summary>
public sealed class RedisKindSpecs(RedisKindFixture fixture, ITestOutputHelper output) : IClassFixture<RedisKindFixture>
{
    private const string Reason = "Redis (Debian's redis-server) is installed";

    private KindNode Node => fixture.Node;

    private Dictionary<string, object?> Body(string id, string cacheEndpoint, string eventsEndpoint) => KindNode.TargetBody(id, new Dictionary<string, object?>
    {
        ["adapter"] = "http",
        ["endpoint"] = fixture.DemoUrl,
        ["cache"] = new { kind = "redis", endpoint = cacheEndpoint, interval = "1s" },
        ["database"] = new { interval = "1s", responseTimeThresholdMs = 500 },
        ["eventProbe"] = new { kind = "redis", endpoint = eventsEndpoint, timeout = "2s" },
    });

    private Task WithTargetAsync(Dictionary<string, object?> body, Func<Task> test) => Node.WithTargetAsync(body, test, async () =>
    {
        fixture.Proxy.Reset();
        if (!fixture.Redis.Running) await fixture.Redis.StartAsync();
    });

    [SkippableFact]
    public async Task Should_report_redis_cache_figures_and_deliver_the_pubsub_event()
    {
        RequiredServer.Require(RedisServer.Available, Reason);
        var redis = fixture.Redis.Endpoint;
        await WithTargetAsync(Body("redis-healthy", redis, redis), async () =>
        {
            await Node.WaitForMetricsAsync("redis-healthy", TimeSpan.FromSeconds(30), "config_access_ms", "cache_size", "cache_probe_ok");
            await KindChecks.EventDeliveredAsync(Node, "redis-healthy", 1, TimeSpan.FromSeconds(20));
            var metrics = await Node.MetricsAsync("redis-healthy");
            Assert.True(metrics["cache_size"] > 0, "used_memory of a running Redis is above zero bytes");
            Assert.Equal(1, metrics["cache_probe_ok"]);
            Assert.DoesNotContain("cache_usage", metrics.Keys); // maxmemory 0: no limit, so no usage
            await KindChecks.FacetsHealthyAsync(Node, "redis-healthy",
                new Dictionary<string, string> { ["config"] = "http", ["cache"] = "redis", ["database"] = "http", ["events"] = "redis" },
                new Dictionary<string, string> { ["config"] = fixture.DemoUrl, ["cache"] = redis, ["database"] = fixture.DemoUrl, ["events"] = redis });
            var checks = await KindChecks.ChecksHealthyAsync(Node, "redis-healthy");
            Assert.True(checks["cache_performance"].GetProperty("figures").GetProperty("size").GetDouble() > 0);
        });
    }

    [SkippableFact]
    public async Task Should_fire_stats_unavailable_when_the_link_to_redis_is_slower_than_the_probe_timeout()
    {
        // The cache facet has no latency rule (hit rate and usage are what it judges): a slow Redis shows as statistics that do
        // not come back within the probe timeout.
        RequiredServer.Require(RedisServer.Available, Reason);
        await WithTargetAsync(Body("redis-slow", fixture.ProxyEndpoint, fixture.Redis.Endpoint), async () =>
        {
            await Node.WaitForMetricsAsync("redis-slow", TimeSpan.FromSeconds(30), "cache_size");
            var since = Stopwatch.StartNew();
            fixture.Proxy.Delay = TimeSpan.FromMilliseconds(1500);
            var fired = await Node.WaitFiringAsync("redis-slow", "cache/stats_unavailable", since, TimeSpan.FromSeconds(10));
            output.WriteLine($"redis: 1.5 s per chunk → stats_unavailable fired after {fired.TotalSeconds:0.0} s: " +
                             (await Node.AlertAsync("redis-slow", "cache/stats_unavailable"))!.Value.GetProperty("message").GetString());
            since.Restart();
            fixture.Proxy.Reset();
            await Node.WaitResolvedAsync("redis-slow", "cache/stats_unavailable", since, TimeSpan.FromSeconds(15));
        });
    }

    [SkippableFact]
    public async Task Should_alert_within_three_intervals_when_redis_stops_and_resolve_when_it_is_back()
    {
        RequiredServer.Require(RedisServer.Available, Reason);
        var redis = fixture.Redis.Endpoint;
        await WithTargetAsync(Body("redis-down", redis, redis), async () =>
        {
            await Node.WaitForMetricsAsync("redis-down", TimeSpan.FromSeconds(30), "cache_size");
            await KindChecks.OutageAsync(Node, output, "redis", "redis-down", "cache/stats_unavailable", fixture.Redis.StopAsync, fixture.Redis.StartAsync);
        });
    }

    [SkippableFact]
    public async Task Should_fire_event_delivery_when_the_pubsub_path_stalls()
    {
        RequiredServer.Require(RedisServer.Available, Reason);
        // The cache straight to Redis, the event probe through the proxy: only pub/sub is cut.
        await WithTargetAsync(Body("redis-events", fixture.Redis.Endpoint, fixture.ProxyEndpoint), async () =>
        {
            await KindChecks.EventDeliveredAsync(Node, "redis-events", 1, TimeSpan.FromSeconds(20));
            var since = Stopwatch.StartNew();
            fixture.Proxy.Stalled = true;
            var fired = await Node.WaitFiringAsync("redis-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(15));
            output.WriteLine($"redis: event_delivery fired {fired.TotalSeconds:0.0} s after pub/sub stalled: " +
                             (await Node.AlertAsync("redis-events", "event_system/event_delivery"))!.Value.GetProperty("message").GetString());
            Assert.Null(await Node.AlertAsync("redis-events", "cache/stats_unavailable"));
            fixture.Proxy.Stalled = false;
            fixture.Proxy.DropConnections();
            since.Restart();
            await Node.WaitResolvedAsync("redis-events", "event_system/event_delivery", since, TimeSpan.FromSeconds(20));
        });
    }
}
