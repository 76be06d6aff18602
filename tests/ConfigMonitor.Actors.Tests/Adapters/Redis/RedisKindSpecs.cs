using System.Diagnostics;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Adapters.Redis;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using StackExchange.Redis;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Adapters.Redis;

/// <summary>The 'redis' kind (cache and events facets) against a real, private redis-server on loopback.</summary>
public sealed class RedisKindSpecs(ITestOutputHelper testOutput) : Akka.TestKit.Xunit2.TestKit(output: testOutput), IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    // A call must end by its probe timeout, not by a client default (100 s): 10 s of slack is room for a busy machine and still a
    // small fraction of what a call without a deadline would take.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);
    private readonly ITestOutputHelper _output = testOutput;
    private readonly FacetConnections _connections = new();
    private readonly List<RedisServer> _servers = [];
    private readonly List<ConnectionMultiplexer> _clients = [];

    private static void RequireRedis() => RequiredServer.Require(RedisServer.Available, "redis-server (Debian package redis-server) is not installed");

    private async Task<RedisServer> StartRedisAsync(string? password = null, params string[] arguments)
    {
        var server = await RedisServer.StartNewAsync(password, arguments);
        _servers.Add(server);
        return server;
    }

    // A target whose config is an actor (redis serves no config reads) and whose cache and events are this Redis.
    private static TargetDefinition Target(RedisServer server, string? secret = null, string? channel = null) =>
        TargetDefinition.WithDefaults("orders", "/user/config-service") with
        {
            ProbeTimeout = Timeout,
            Cache = new CacheSettings { Kind = FacetKinds.Redis, Endpoint = server.Endpoint, Secret = secret },
            EventProbe = new EventProbeSettings { Kind = FacetKinds.Redis, Endpoint = server.Endpoint, Secret = secret, Channel = channel },
        };

    private IConfigServiceAdapter Adapter(TargetDefinition target)
    {
        Assert.Empty(TargetDefinitionReader.Validate(target));
        return FacetAdapters.Create(Sys, _connections, target);
    }

    private async Task<IDatabase> ClientAsync(RedisServer server, string? password = null)
    {
        var client = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { server.Endpoint }, Password = password, AllowAdmin = true });
        _clients.Add(client);
        return client.GetDatabase();
    }

    [SkippableFact]
    public async Task Should_report_hits_misses_and_memory_and_move_the_hit_rate_with_the_reads_it_sees()
    {
        RequireRedis();
        var redis = await StartRedisAsync(null, "--maxmemory", "64mb");
        var adapter = Adapter(Target(redis));
        var db = await ClientAsync(redis);

        var before = await adapter.GetCacheStatsAsync(Timeout);
        Assert.Equal(64L * 1024 * 1024, before.MaxSize);
        Assert.True(before.HasLimit);
        Assert.InRange(before.Size, 100_000, before.MaxSize); // used_memory in bytes: a running Redis holds some hundreds of KB
        Assert.InRange(before.Usage, 0.0001, 0.5);

        await db.StringSetAsync("present", "v");
        for (var i = 0; i < 6; i++) await db.StringGetAsync("present");
        for (var i = 0; i < 2; i++) await db.StringGetAsync("absent");

        var after = await adapter.GetCacheStatsAsync(Timeout);
        Assert.Equal((before.Hits + 6, before.Misses + 2), (after.Hits, after.Misses));

        for (var i = 0; i < 8; i++) await db.StringGetAsync("absent");
        var worse = await adapter.GetCacheStatsAsync(Timeout);
        Assert.True(worse.HitRate < after.HitRate, $"{worse.HitRate} after 8 misses is not below {after.HitRate}");
    }

    [SkippableFact]
    public async Task Should_say_the_cache_has_no_limit_when_maxmemory_is_zero_instead_of_claiming_zero_usage()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var stats = await Adapter(Target(redis)).GetCacheStatsAsync(Timeout);

        Assert.Equal(0, stats.MaxSize);
        Assert.False(stats.HasLimit);
        Assert.True(stats.Size > 0);
    }

    [SkippableFact]
    public async Task Should_deliver_a_published_change_to_the_subscriber_actor_and_stop_after_unsubscribe()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var adapter = Adapter(Target(redis, channel: "app:probe"));
        var subscriber = CreateTestProbe();

        var subscribed = await adapter.SubscribeAsync("monitor.event-probe", subscriber, Timeout);
        var notified = await adapter.NotifyChangeAsync("monitor.event-probe", "old", "new", Timeout);
        Assert.Equal(1, notified.Subscribers);
        var changed = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10));
        Assert.Equal((subscribed.SubscriptionId, "monitor.event-probe", (string?)"old", (string?)"new"), (changed.SubscriptionId, changed.Key, changed.OldValue, changed.NewValue));

        // The probe's channel is its own: Channel + ":" + target id + ":" + key, a literal (no pattern).
        var outside = await ClientAsync(redis);
        Assert.Equal(1, await outside.Multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal("app:probe:orders:monitor.event-probe"),
            """{"key":"monitor.event-probe","oldValue":null,"newValue":"from outside"}"""));
        Assert.Equal("from outside", (await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10))).NewValue);
        // Something on the channel that is not a change event is ignored, not a crash.
        await outside.Multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal("app:probe:orders:monitor.event-probe"), "not json");
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, true), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout));
        Assert.Equal(0, (await adapter.NotifyChangeAsync("monitor.event-probe", "new", "newer", Timeout)).Subscribers);
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, false), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout));
    }

    [SkippableFact]
    public async Task Should_unsubscribe_only_its_own_handler_when_two_probes_share_the_channel()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var adapter = Adapter(Target(redis));
        var (first, second) = (CreateTestProbe(), CreateTestProbe());
        var one = await adapter.SubscribeAsync("k", first, Timeout);
        await adapter.SubscribeAsync("k", second, Timeout);

        await adapter.UnsubscribeAsync(one.SubscriptionId, Timeout);
        await adapter.NotifyChangeAsync("k", null, "v", Timeout);

        Assert.Equal("v", (await second.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10))).NewValue);
        await first.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [SkippableFact]
    public async Task Should_complete_the_monitors_event_round_trip_through_the_event_probe_actor()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var target = Target(redis);
        var adapter = Adapter(target);

        var result = await EventRoundTrip.RunAsync(Sys, target, adapter, SystemClock.Instance).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Delivered, result.Error);
        _output.WriteLine($"redis event round trip: {result.RoundTripMs:F1} ms");
    }

    [SkippableFact]
    public async Task Should_fail_clearly_within_the_timeout_when_redis_is_stopped_and_recover_with_the_same_multiplexer_when_it_starts_again()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var adapter = Adapter(Target(redis));
        await adapter.GetCacheStatsAsync(Timeout);

        await redis.StopAsync();
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => adapter.GetCacheStatsAsync(Timeout));
        Assert.True(watch.Elapsed < Timeout + Slack, $"the failure took {watch.Elapsed}");
        Assert.IsType<ConfigServiceException>(failure); // at once, not after waiting out the timeout in a queue
        Assert.Contains($"'get_cache_stats': cannot reach Redis at {redis.Endpoint}", failure.Message);
        Assert.DoesNotContain("IOCP", failure.Message); // the client's diagnostic tail is cut off
        _output.WriteLine($"redis down: {failure.Message}");

        await redis.StartAsync();
        await AwaitAssertAsync(async () => Assert.True((await adapter.GetCacheStatsAsync(Timeout)).Size > 0), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        var subscriber = CreateTestProbe();
        var subscribed = await adapter.SubscribeAsync("k", subscriber, Timeout);
        await adapter.NotifyChangeAsync("k", null, "back", Timeout);
        Assert.Equal("back", (await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10))).NewValue);
        await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);
        Assert.Equal(1, _connections.SharedCount); // the same multiplexer all along
    }

    [SkippableFact]
    public async Task Should_name_authentication_when_a_server_it_reached_without_a_password_starts_asking_for_one()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var adapter = Adapter(Target(redis));
        Assert.True((await adapter.GetCacheStatsAsync(Timeout)).Size > 0);

        // The server gains a password and drops every client: the monitor's reconnection is refused.
        var admin = await ClientAsync(redis);
        await admin.ExecuteAsync("CONFIG", "SET", "requirepass", "new-pw-9");
        try
        {
            await admin.ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        }
        catch (RedisException)
        {
            // Our own admin connection is killed too.
        }

        var last = await Eventually.MatchAsync(() => Record.ExceptionAsync(() => adapter.GetCacheStatsAsync(Timeout)),
            e => e?.Message.Contains("authentication required", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10),
            "the cache probe should report that the server now needs a password", TimeSpan.FromMilliseconds(200));
        _output.WriteLine($"after the password: {last?.GetType().Name}: {last?.Message}");
        Assert.IsType<ConfigServiceException>(last);
        Assert.Contains("authentication required (the server has a password; name it in Secret", last!.Message);
    }

    [SkippableFact]
    public async Task Should_connect_with_the_secrets_password_and_name_authentication_without_echoing_a_wrong_one()
    {
        RequireRedis();
        var redis = await StartRedisAsync("right-pw-42");
        var variable = "CONFIGMONITOR_TEST_REDIS_" + Guid.NewGuid().ToString("N");
        try
        {
            Environment.SetEnvironmentVariable(variable, "right-pw-42");
            Assert.True((await Adapter(Target(redis, $"env:{variable}")).GetCacheStatsAsync(Timeout)).Size > 0);

            Environment.SetEnvironmentVariable(variable + "_WRONG", "wrong-pw-17");
            await using var other = new FacetConnections();
            var wrongAdapter = FacetAdapters.Create(Sys, other, Target(redis, $"env:{variable}_WRONG"));
            var watch = Stopwatch.StartNew();
            var wrong = await Assert.ThrowsAnyAsync<Exception>(() => wrongAdapter.GetCacheStatsAsync(Timeout));
            Assert.True(watch.Elapsed < Timeout + Slack, $"took {watch.Elapsed}");
            _output.WriteLine($"wrong password: {wrong.GetType().Name}: {wrong.Message}");
            Assert.IsType<ConfigServiceException>(wrong);
            Assert.Contains("authentication", wrong.Message);
            Assert.DoesNotContain("wrong-pw-17", wrong.Message);

            await using var none = new FacetConnections();
            var missing = await Assert.ThrowsAnyAsync<Exception>(() => FacetAdapters.Create(Sys, none, Target(redis)).GetCacheStatsAsync(Timeout));
            _output.WriteLine($"no password: {missing.GetType().Name}: {missing.Message}");
            Assert.Contains("authentication", missing.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Environment.SetEnvironmentVariable(variable + "_WRONG", null);
        }
    }

    [SkippableFact]
    public async Task Should_time_out_within_the_probe_timeout_when_redis_hangs()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        var adapter = Adapter(Target(redis));
        await adapter.GetCacheStatsAsync(Timeout);
        var oneSecond = TimeSpan.FromSeconds(1);

        redis.Pause();
        try
        {
            foreach (var call in new Func<Task>[]
                     {
                         () => adapter.GetCacheStatsAsync(oneSecond),
                         () => adapter.SubscribeAsync("k", TestActor, oneSecond),
                         () => adapter.NotifyChangeAsync("k", null, "x", oneSecond),
                     })
            {
                var watch = Stopwatch.StartNew();
                var timedOut = await Assert.ThrowsAsync<ProbeTimeoutException>(call);
                Assert.InRange(watch.Elapsed, oneSecond - TimeSpan.FromMilliseconds(50), oneSecond + Slack);
                Assert.Contains("within 1s", timedOut.Message);
            }
        }
        finally
        {
            redis.Resume();
        }
        await AwaitAssertAsync(async () => await adapter.GetCacheStatsAsync(Timeout), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
    }

    [SkippableFact]
    public async Task Should_record_the_connection_set_up_and_answer_warm_probes_on_that_connection()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        await using var fresh = new FacetConnections();
        var adapter = FacetAdapters.Create(Sys, fresh, Target(redis));

        var first = Stopwatch.StartNew();
        await adapter.GetCacheStatsAsync(Timeout);
        first.Stop();
        var connection = fresh.Shared<RedisConnection>("redis|" + redis.Endpoint, () => throw new InvalidOperationException("not made"));
        var setUp = connection.SetUpDuration;
        Assert.NotNull(setUp);
        var warm = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var one = Stopwatch.StartNew();
            await adapter.GetCacheStatsAsync(Timeout);
            warm.Add(one.Elapsed.TotalMilliseconds);
        }
        warm.Sort();
        // The figures are for the reader (how fast is the benchmark project's question); what is checked is that the warm probes
        // reused the connection the first call set up instead of setting up their own.
        _output.WriteLine($"redis: first call {first.Elapsed.TotalMilliseconds:F1} ms (of which connection set-up {setUp?.TotalMilliseconds:F1} ms), warm median {warm[10]:F2} ms, max {warm[^1]:F2} ms");
        Assert.Same(connection, fresh.Shared<RedisConnection>("redis|" + redis.Endpoint, () => throw new InvalidOperationException("not made")));
        Assert.Equal(setUp, connection.SetUpDuration);
        Assert.Equal(1, fresh.SharedCount);
    }

    [SkippableFact]
    public async Task Should_share_one_multiplexer_per_endpoint_among_targets()
    {
        RequireRedis();
        var redis = await StartRedisAsync();
        // About sharing, not speed: the first connect on a loaded machine may take longer than the probe timeout.
        var sharing = TimeSpan.FromSeconds(20);
        var adapters = Enumerable.Range(0, 5).Select(i => Adapter(Target(redis) with { Id = $"t{i}", ProbeTimeout = sharing })).ToList();
        foreach (var adapter in adapters) await adapter.GetCacheStatsAsync(sharing);

        Assert.Equal(1, _connections.SharedCount);
        var clients = await (await ClientAsync(redis)).ExecuteAsync("CLIENT", "LIST");
        // Ours is named ConfigMonitor: one interactive and one subscription connection at most, not one per target.
        Assert.InRange(clients.ToString().Split('\n').Count(line => line.Contains("name=ConfigMonitor")), 1, 2);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        await _connections.DisposeAsync();
        foreach (var server in _servers) await server.DisposeAsync();
    }
}
