using Akka.Actor;
using Akka.TestKit.Xunit2;
using ConfigMonitor.Actors.Time;
using Microsoft.Data.Sqlite;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.ConfigService.ConfigServiceCommands;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;

namespace ConfigMonitor.ConfigService.Tests;

public sealed class ConfigServiceActorSpecs : TestKit
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"configservice-{Guid.NewGuid():N}.db");
    private readonly ManualClock _clock = new(Start);

    private ConfigServiceSettings Settings(int cacheCapacity = 100, bool seed = true) =>
        new(_databasePath, "reference-test") { CacheCapacity = cacheCapacity, SeedSampleRows = seed, Clock = _clock };

    private IActorRef StartService(int cacheCapacity = 100, bool seed = true) =>
        Sys.ActorOf(ConfigServiceActor.Props(Settings(cacheCapacity, seed)));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
            return;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_databasePath + suffix);
    }

    [Fact]
    public async Task Should_answer_a_seeded_key_with_its_value()
    {
        var service = StartService();

        service.Tell(new GetConfig("app.environment"));

        Assert.Equal(new ConfigValue("app.environment", "staging", true), await ExpectMsgAsync<ConfigValue>(Reply));
    }

    [Fact]
    public async Task Should_answer_the_default_for_an_absent_key()
    {
        var service = StartService();

        service.Tell(new GetConfig("no.such.key", "fallback"));

        Assert.Equal(new ConfigValue("no.such.key", "fallback", false), await ExpectMsgAsync<ConfigValue>(Reply));
    }

    [Fact]
    public async Task Should_serve_a_cache_hit_after_the_first_read()
    {
        var service = StartService();

        service.Tell(new GetConfig("db.pool_size"));
        await ExpectMsgAsync<ConfigValue>(Reply);
        service.Tell(new GetConfig("db.pool_size"));
        Assert.Equal("20", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        service.Tell(GetCacheStats.Instance);

        Assert.Equal(new CacheStats(Hits: 1, Misses: 1, Size: 1, MaxSize: 100), await ExpectMsgAsync<CacheStats>(Reply));
    }

    [Fact]
    public async Task Should_tell_whether_metadata_came_from_the_database_or_the_cache()
    {
        var service = StartService();

        service.Tell(new GetConfigWithMetadata("feature.new_checkout"));
        var first = await ExpectMsgAsync<ConfigEntry>(Reply);
        service.Tell(new GetConfigWithMetadata("feature.new_checkout"));
        var second = await ExpectMsgAsync<ConfigEntry>(Reply);

        Assert.True(first.Found);
        Assert.Equal("false", first.Value);
        Assert.False(string.IsNullOrEmpty(first.Description));
        Assert.Equal(Start, first.UpdatedAt);
        Assert.Equal(1, first.Version);
        Assert.False(first.FromCache);
        Assert.Equal(first with { FromCache = true }, second);
    }

    [Fact]
    public async Task Should_report_an_absent_key_in_metadata_as_not_found()
    {
        var service = StartService();

        service.Tell(new GetConfigWithMetadata("no.such.key"));

        Assert.Equal(new ConfigEntry("no.such.key", null, false, null, null, 0, false), await ExpectMsgAsync<ConfigEntry>(Reply));
    }

    [Fact]
    public async Task Should_evict_the_least_recently_used_key_when_the_cache_is_full()
    {
        var service = StartService(cacheCapacity: 2);

        foreach (var key in new[] { "app.name", "app.environment", "app.version", "app.name" })
        {
            service.Tell(new GetConfig(key));
            Assert.True((await ExpectMsgAsync<ConfigValue>(Reply)).Found);
        }

        service.Tell(GetCacheStats.Instance);
        // app.name was evicted by app.version, so its second read is a fourth miss.
        Assert.Equal(new CacheStats(Hits: 0, Misses: 4, Size: 2, MaxSize: 2), await ExpectMsgAsync<CacheStats>(Reply));
        service.Tell(new GetConfig("app.version"));
        await ExpectMsgAsync<ConfigValue>(Reply);
        service.Tell(GetCacheStats.Instance);
        Assert.Equal(1, (await ExpectMsgAsync<CacheStats>(Reply)).Hits);
    }

    [Fact]
    public async Task Should_probe_the_database_and_count_the_seeded_rows()
    {
        var service = StartService();

        service.Tell(ProbeDatabase.Instance);

        var probe = await ExpectMsgAsync<DatabaseProbeResult>(Reply);
        Assert.Equal(1, probe.SelectOne);
        Assert.InRange(probe.ConfigurationRowCount, 10, 20);
    }

    [Fact]
    public async Task Should_start_with_an_empty_table_when_seeding_is_off()
    {
        var service = StartService(seed: false);

        service.Tell(ProbeDatabase.Instance);

        Assert.Equal(new DatabaseProbeResult(1, 0), await ExpectMsgAsync<DatabaseProbeResult>(Reply));
    }

    [Fact]
    public async Task Should_hand_out_a_distinct_id_for_each_subscription()
    {
        var service = StartService();

        service.Tell(new Subscribe("app.name", TestActor));
        var first = await ExpectMsgAsync<Subscribed>(Reply);
        service.Tell(new Subscribe("app.name", TestActor));
        var second = await ExpectMsgAsync<Subscribed>(Reply);

        Assert.Equal("app.name", first.Key);
        Assert.NotEqual(first.SubscriptionId, second.SubscriptionId);
    }

    [Fact]
    public async Task Should_deliver_a_notified_change_to_every_subscriber_of_that_key_only()
    {
        var service = StartService();
        var alice = CreateTestProbe();
        var bob = CreateTestProbe();
        var other = CreateTestProbe();
        service.Tell(new Subscribe("cache.ttl_seconds", alice.Ref));
        var aliceId = (await ExpectMsgAsync<Subscribed>(Reply)).SubscriptionId;
        service.Tell(new Subscribe("cache.ttl_seconds", bob.Ref));
        var bobId = (await ExpectMsgAsync<Subscribed>(Reply)).SubscriptionId;
        service.Tell(new Subscribe("log.level", other.Ref));
        await ExpectMsgAsync<Subscribed>(Reply);

        service.Tell(new NotifyChange("cache.ttl_seconds", "300", "600"));

        Assert.Equal(new ChangeNotified("cache.ttl_seconds", 2), await ExpectMsgAsync<ChangeNotified>(Reply));
        Assert.Equal(new ConfigChanged(aliceId, "cache.ttl_seconds", "300", "600", Start), await alice.ExpectMsgAsync<ConfigChanged>(Reply));
        Assert.Equal(new ConfigChanged(bobId, "cache.ttl_seconds", "300", "600", Start), await bob.ExpectMsgAsync<ConfigChanged>(Reply));
        await other.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_stop_delivering_after_unsubscribe_and_report_an_unknown_id()
    {
        var service = StartService();
        var subscriber = CreateTestProbe();
        service.Tell(new Subscribe("log.level", subscriber.Ref));
        var id = (await ExpectMsgAsync<Subscribed>(Reply)).SubscriptionId;

        service.Tell(new Unsubscribe(id));
        Assert.Equal(new Unsubscribed(id, true), await ExpectMsgAsync<Unsubscribed>(Reply));
        service.Tell(new Unsubscribe(id));
        Assert.Equal(new Unsubscribed(id, false), await ExpectMsgAsync<Unsubscribed>(Reply));
        service.Tell(new NotifyChange("log.level", "Information", "Debug"));

        Assert.Equal(new ChangeNotified("log.level", 0), await ExpectMsgAsync<ChangeNotified>(Reply));
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_drop_the_subscriptions_of_a_subscriber_that_died()
    {
        var service = StartService();
        var subscriber = CreateTestProbe();
        service.Tell(new Subscribe("log.level", subscriber.Ref));
        var id = (await ExpectMsgAsync<Subscribed>(Reply)).SubscriptionId;

        Watch(subscriber.Ref);
        Sys.Stop(subscriber.Ref);
        await ExpectTerminatedAsync(subscriber.Ref, Reply);

        await AwaitAssertAsync(async () =>
        {
            var notified = await service.Ask<ChangeNotified>(new NotifyChange("log.level", "a", "b"), Reply);
            Assert.Equal(0, notified.Subscribers);
        }, Reply);
        service.Tell(new Unsubscribe(id));
        Assert.Equal(new Unsubscribed(id, false), await ExpectMsgAsync<Unsubscribed>(Reply));
    }

    [Fact]
    public async Task Should_write_a_value_invalidate_its_cache_entry_and_notify_subscribers()
    {
        var service = StartService();
        var subscriber = CreateTestProbe();
        service.Tell(new Subscribe("feature.new_checkout", subscriber.Ref));
        var id = (await ExpectMsgAsync<Subscribed>(Reply)).SubscriptionId;
        service.Tell(new GetConfig("feature.new_checkout"));
        Assert.Equal("false", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        _clock.Advance(TimeSpan.FromMinutes(5));

        service.Tell(new SetConfig("feature.new_checkout", "true"));

        Assert.Equal(new ConfigSet("feature.new_checkout", 2), await ExpectMsgAsync<ConfigSet>(Reply));
        Assert.Equal(
            new ConfigChanged(id, "feature.new_checkout", "false", "true", Start.AddMinutes(5)),
            await subscriber.ExpectMsgAsync<ConfigChanged>(Reply));
        service.Tell(new GetConfigWithMetadata("feature.new_checkout"));
        var entry = await ExpectMsgAsync<ConfigEntry>(Reply);
        Assert.Equal("true", entry.Value);
        Assert.False(entry.FromCache);
        Assert.Equal(2, entry.Version);
        Assert.Equal(Start.AddMinutes(5), entry.UpdatedAt);
        Assert.False(string.IsNullOrEmpty(entry.Description));
    }

    [Fact]
    public async Task Should_insert_a_new_key_at_version_one_and_count_up_on_each_write()
    {
        var service = StartService(seed: false);

        service.Tell(new SetConfig("service.owner", "team-a", "Team on call for the service"));
        Assert.Equal(new ConfigSet("service.owner", 1), await ExpectMsgAsync<ConfigSet>(Reply));
        service.Tell(new SetConfig("service.owner", "team-b"));
        Assert.Equal(new ConfigSet("service.owner", 2), await ExpectMsgAsync<ConfigSet>(Reply));

        service.Tell(new GetConfigWithMetadata("service.owner"));
        var entry = await ExpectMsgAsync<ConfigEntry>(Reply);
        Assert.Equal("team-b", entry.Value);
        Assert.Equal("Team on call for the service", entry.Description);
        Assert.Equal(2, entry.Version);
    }

    [Fact]
    public async Task Should_delay_read_replies_by_the_configured_delay()
    {
        var service = StartService();
        service.Tell(new SetReadDelay(TimeSpan.FromMilliseconds(800)));
        await ExpectMsgAsync<FaultApplied>(Reply);

        service.Tell(new GetConfig("app.name"));

        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal("app.name", (await ExpectMsgAsync<ConfigValue>(TimeSpan.FromSeconds(10))).Key);

        service.Tell(new SetReadDelay(TimeSpan.Zero));
        await ExpectMsgAsync<FaultApplied>(Reply);
        service.Tell(new GetConfigWithMetadata("app.name"));
        Assert.True((await ExpectMsgAsync<ConfigEntry>(TimeSpan.FromMilliseconds(500))).FromCache);
    }

    [Fact]
    public async Task Should_empty_the_cache_and_reset_its_counters_on_flush()
    {
        var service = StartService();
        service.Tell(new GetConfig("app.name"));
        await ExpectMsgAsync<ConfigValue>(Reply);
        service.Tell(new GetConfig("app.name"));
        await ExpectMsgAsync<ConfigValue>(Reply);

        service.Tell(FlushCache.Instance);
        await ExpectMsgAsync<FaultApplied>(Reply);
        service.Tell(GetCacheStats.Instance);

        Assert.Equal(new CacheStats(0, 0, 0, 100), await ExpectMsgAsync<CacheStats>(Reply));
        service.Tell(new GetConfigWithMetadata("app.name"));
        Assert.False((await ExpectMsgAsync<ConfigEntry>(Reply)).FromCache);
    }

    [Fact]
    public async Task Should_answer_an_error_when_the_database_is_unavailable_but_still_serve_cache_hits()
    {
        var service = StartService();
        service.Tell(new GetConfig("app.name"));
        await ExpectMsgAsync<ConfigValue>(Reply);

        service.Tell(new SetDatabaseAvailable(false));
        await ExpectMsgAsync<FaultApplied>(Reply);

        service.Tell(new GetConfig("app.name"));
        Assert.Equal("ConfigMonitor Reference Service", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        service.Tell(new GetConfig("app.version"));
        Assert.Equal(new ConfigServiceError("get_config", "database unavailable"), await ExpectMsgAsync<ConfigServiceError>(Reply));
        service.Tell(new GetConfigWithMetadata("app.version"));
        Assert.Equal(new ConfigServiceError("get_config_with_metadata", "database unavailable"), await ExpectMsgAsync<ConfigServiceError>(Reply));
        service.Tell(ProbeDatabase.Instance);
        Assert.Equal(new ConfigServiceError("probe_database", "database unavailable"), await ExpectMsgAsync<ConfigServiceError>(Reply));
        service.Tell(new SetConfig("app.version", "2.0.0"));
        Assert.Equal(new ConfigServiceError("set_config", "database unavailable"), await ExpectMsgAsync<ConfigServiceError>(Reply));

        service.Tell(new SetDatabaseAvailable(true));
        await ExpectMsgAsync<FaultApplied>(Reply);
        service.Tell(new GetConfig("app.version"));
        Assert.Equal("1.4.2", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
    }

    [Fact]
    public async Task Should_answer_notify_change_but_deliver_nothing_while_events_are_dropped()
    {
        var service = StartService();
        var subscriber = CreateTestProbe();
        service.Tell(new Subscribe("db.pool_size", subscriber.Ref));
        await ExpectMsgAsync<Subscribed>(Reply);
        service.Tell(new SetDropEvents(true));
        await ExpectMsgAsync<FaultApplied>(Reply);

        service.Tell(new NotifyChange("db.pool_size", "20", "40"));
        Assert.Equal("db.pool_size", (await ExpectMsgAsync<ChangeNotified>(Reply)).Key);
        service.Tell(new SetConfig("db.pool_size", "40"));
        await ExpectMsgAsync<ConfigSet>(Reply);
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        service.Tell(new SetDropEvents(false));
        await ExpectMsgAsync<FaultApplied>(Reply);
        service.Tell(new NotifyChange("db.pool_size", "40", "50"));
        await ExpectMsgAsync<ChangeNotified>(Reply);
        Assert.Equal("50", (await subscriber.ExpectMsgAsync<ConfigChanged>(Reply)).NewValue);
    }

    [Fact]
    public async Task Should_answer_nothing_while_hung_and_answer_again_after_recovering()
    {
        var service = StartService();
        service.Tell(new SetHang(true));
        await ExpectMsgAsync<FaultApplied>(Reply);

        service.Tell(new GetConfig("app.name"));
        service.Tell(GetCacheStats.Instance);
        service.Tell(ProbeDatabase.Instance);
        service.Tell(new SetConfig("app.name", "hung"));
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(400));

        service.Tell(new SetHang(false));
        await ExpectMsgAsync<FaultApplied>(Reply);
        service.Tell(new GetConfig("app.name"));
        Assert.Equal("ConfigMonitor Reference Service", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
    }

    [Fact]
    public async Task Should_keep_written_rows_across_a_restart_on_the_same_file()
    {
        var first = StartService();
        first.Tell(new SetConfig("monitor.probe", "restarted"));
        await ExpectMsgAsync<ConfigSet>(Reply);
        first.Tell(ProbeDatabase.Instance);
        var rowsBefore = (await ExpectMsgAsync<DatabaseProbeResult>(Reply)).ConfigurationRowCount;
        Watch(first);
        Sys.Stop(first);
        await ExpectTerminatedAsync(first, Reply);

        var second = StartService();

        second.Tell(new GetConfigWithMetadata("monitor.probe"));
        var entry = await ExpectMsgAsync<ConfigEntry>(Reply);
        Assert.Equal("restarted", entry.Value);
        Assert.Equal(2, entry.Version);
        second.Tell(ProbeDatabase.Instance);
        Assert.Equal(rowsBefore, (await ExpectMsgAsync<DatabaseProbeResult>(Reply)).ConfigurationRowCount);
    }

    [Fact]
    public async Task Should_turn_a_database_failure_into_an_error_and_keep_serving()
    {
        var service = StartService();
        service.Tell(ProbeDatabase.Instance);
        await ExpectMsgAsync<DatabaseProbeResult>(Reply);
        await using (var connection = new SqliteConnection($"Data Source={_databasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE system_configurations;";
            await drop.ExecuteNonQueryAsync();
        }

        service.Tell(new GetConfig("app.name"));
        var error = await ExpectMsgAsync<ConfigServiceError>(Reply);
        Assert.Equal("get_config", error.Operation);
        Assert.Contains("no such table", error.Reason);
        service.Tell(ProbeDatabase.Instance);
        Assert.Equal("probe_database", (await ExpectMsgAsync<ConfigServiceError>(Reply)).Operation);
        service.Tell(new SetConfig("app.name", "x"));
        Assert.Equal("set_config", (await ExpectMsgAsync<ConfigServiceError>(Reply)).Operation);

        service.Tell(GetCacheStats.Instance);
        Assert.Equal(1, (await ExpectMsgAsync<CacheStats>(Reply)).Misses);
    }

    [Fact]
    public async Task Should_answer_errors_while_the_file_cannot_be_opened_and_prepare_it_once_it_can()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"configservice-missing-{Guid.NewGuid():N}");
        var settings = new ConfigServiceSettings(Path.Combine(folder, "config.db"), "retry-test")
        {
            Clock = _clock, InitializeRetryDelay = TimeSpan.FromMilliseconds(100), InitializeRetryMaxDelay = TimeSpan.FromMilliseconds(300),
        };
        var service = Sys.ActorOf(ConfigServiceActor.Props(settings));
        try
        {
            service.Tell(new GetConfig("app.name"));
            var error = await ExpectMsgAsync<ConfigServiceError>(Reply);
            Assert.Equal("get_config", error.Operation);
            Assert.StartsWith("database error: ", error.Reason);

            Directory.CreateDirectory(folder);

            // Nothing but the service's own retry creates and seeds the table.
            await AwaitAssertAsync(async () =>
            {
                service.Tell(new GetConfig("app.name"));
                Assert.Equal("ConfigMonitor Reference Service", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
            }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        }
        finally
        {
            Watch(service);
            Sys.Stop(service);
            await ExpectTerminatedAsync(service, Reply);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Should_give_the_user_path_of_a_hosted_service()
    {
        Assert.Equal("/user/config-service", ConfigServiceHostingExtensions.ActorPathOf("config-service"));
    }
}
