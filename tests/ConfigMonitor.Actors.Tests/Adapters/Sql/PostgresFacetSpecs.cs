using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Adapters.Sql;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Adapters.Sql;

/// <summary>The sql kind on PostgreSQL, against a real private PostgreSQL 15 (one per class; tests of a class run one at a time).</summary>
public sealed class PostgresFacetSpecs(PostgresFixture fixture, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(output: output), IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private const string Missing = "PostgreSQL 15 (Debian package postgresql) is not installed";
    private readonly FacetConnections _connections = new();

    private PostgresServer Server => fixture.Server!;

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await _connections.DisposeAsync();

    /// <summary>A target read by the real reader (so it is validated) from the sql shorthand plus <paramref name="fields"/>.</summary>
    private TargetDefinition Target(string id = "orders", string role = "monitor", string? secret = null, params (string Key, string Value)[] fields)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Targets:{id}:Adapter"] = "sql",
            [$"Targets:{id}:Provider"] = "postgresql",
            [$"Targets:{id}:Endpoint"] = Server.Endpoint(PostgresFixture.Database, role),
            [$"Targets:{id}:Secret"] = secret ?? (role == "writer" ? fixture.WriterSecret : fixture.MonitorSecret),
            [$"Targets:{id}:ProbeTimeout"] = "3s",
        };
        foreach (var (key, value) in fields) settings[$"Targets:{id}:{key}"] = value;
        var section = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Targets");
        return Assert.Single(TargetDefinitionReader.Read(section));
    }

    private IConfigServiceAdapter Adapter(TargetDefinition target) => FacetAdapters.Create(Sys, _connections, target);

    private Task<long> RowCount() => Scalar<long>("SELECT COUNT(*) FROM system_configurations");

    private async Task<T> Scalar<T>(string sql) => (T)(await Server.ScalarAsync(PostgresFixture.Database, sql))!;

    [SkippableFact]
    public async Task Should_read_a_value_report_an_absent_key_and_read_the_metadata_of_the_reference_table()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target());

        var watch = Stopwatch.StartNew();
        Assert.Equal(new ConfigValue("monitor.probe", "ok", true), await adapter.GetConfigAsync("monitor.probe", "fallback", ProbeTimeout));
        var first = watch.Elapsed;
        watch.Restart();
        Assert.Equal(new ConfigValue("feature.flags", "{\"beta\":true}", true), await adapter.GetConfigAsync("feature.flags", null, ProbeTimeout));
        Output?.WriteLine($"first read (connection set-up, SCRAM, type loading) {first.TotalMilliseconds:0.0} ms; second read {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal(new ConfigValue("no.such.key", "fallback", false), await adapter.GetConfigAsync("no.such.key", "fallback", ProbeTimeout));
        Assert.Equal(new ConfigValue("empty.value", "fallback", true), await adapter.GetConfigAsync("empty.value", "fallback", ProbeTimeout));
        // The key is a parameter, never spliced into the text: a key that is SQL is just a key that is not there.
        Assert.Equal(new ConfigValue("x' OR '1'='1", null, false), await adapter.GetConfigAsync("x' OR '1'='1", null, ProbeTimeout));

        var entry = await adapter.GetConfigWithMetadataAsync("monitor.probe", ProbeTimeout);
        Assert.Equal(new ConfigEntry("monitor.probe", "ok", true, "the probe key", new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), 3, false), entry);
        Assert.Equal(new ConfigEntry("gone", null, false, null, null, 0, false), await adapter.GetConfigWithMetadataAsync("gone", ProbeTimeout));
    }

    [SkippableFact]
    public async Task Should_read_the_value_only_with_a_custom_config_query()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target(fields: ("Config:Query", "SELECT upper(value), description FROM system_configurations WHERE key = @key")));

        Assert.Equal(new ConfigValue("monitor.probe", "OK", true), await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
        Assert.Equal(new ConfigEntry("monitor.probe", "OK", true, null, null, 0, false), await adapter.GetConfigWithMetadataAsync("monitor.probe", ProbeTimeout));
    }

    [SkippableFact]
    public async Task Should_answer_select_one_and_the_row_count_in_the_database_probe()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        Assert.Equal(new DatabaseProbeResult(1, 3), await Adapter(Target()).ProbeDatabaseAsync(ProbeTimeout));
        var custom = Adapter(Target("custom", fields: ("Database:Query", "SELECT COUNT(*) FROM system_configurations WHERE value IS NOT NULL")));
        Assert.Equal(new DatabaseProbeResult(1, 2), await custom.ProbeDatabaseAsync(ProbeTimeout));
    }

    [SkippableTheory]
    [InlineData("WITH w AS (INSERT INTO system_configurations(key, value) VALUES (@key, 'written') RETURNING value) SELECT value FROM w")]
    [InlineData("WITH w AS (UPDATE system_configurations SET value = 'written' WHERE key = @key RETURNING value) SELECT value FROM w")]
    [InlineData("SELECT nextval('probe_counter')::text WHERE @key IS NOT NULL")]
    [InlineData("SELECT value FROM system_configurations WHERE key = @key FOR UPDATE")]
    public async Task Should_refuse_a_config_query_that_writes_and_change_nothing_even_for_a_role_allowed_to_write(string query)
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target(role: "writer", fields: ("Config:Query", query)));

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
        Output?.WriteLine(failure.Message);
        Assert.Contains("25006", failure.Message); // read_only_sql_transaction
        Assert.Contains("read-only transaction", failure.Message);
        await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigWithMetadataAsync("monitor.probe", ProbeTimeout));

        Assert.Equal(3, await RowCount());
        Assert.Equal("ok", await Scalar<string>("SELECT value FROM system_configurations WHERE key = 'monitor.probe'"));
        Assert.False(await Scalar<bool>("SELECT is_called FROM probe_counter"));
        // The same role writes outside the probe: it is the read-only transaction, not the grants, that stopped it.
        await using var direct = new Npgsql.NpgsqlConnection($"{Server.Endpoint(PostgresFixture.Database, "writer")};Password={fixture.WriterPassword};Pooling=false");
        await direct.OpenAsync();
        await using var probe = new Npgsql.NpgsqlCommand("SELECT has_table_privilege('system_configurations', 'INSERT')", direct);
        Assert.True((bool)(await probe.ExecuteScalarAsync())!);
    }

    [SkippableFact]
    public async Task Should_refuse_a_row_count_query_that_deletes_and_change_nothing()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target(role: "writer", fields: ("Database:Query", "WITH d AS (DELETE FROM system_configurations RETURNING 1) SELECT COUNT(*) FROM d")));

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.ProbeDatabaseAsync(ProbeTimeout));
        Assert.Contains("25006", failure.Message);
        Assert.Equal(3, await RowCount());
    }

    [SkippableFact]
    public async Task Should_deliver_a_notified_change_to_the_subscriber_actor_and_nothing_after_unsubscribing()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target());
        var subscriber = CreateTestProbe();

        var subscribed = await adapter.SubscribeAsync("monitor.event-probe", subscriber.Ref, ProbeTimeout);
        Assert.Equal("monitor.event-probe", subscribed.Key);
        // Subscribe completed only after LISTEN: a change notified at once is delivered.
        var notified = await adapter.NotifyChangeAsync("monitor.event-probe", null, "token-1", ProbeTimeout);
        Assert.Equal(new ChangeNotified("monitor.event-probe", 1), notified);
        var change = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(5));
        Assert.Equal((subscribed.SubscriptionId, "monitor.event-probe", (string?)null, (string?)"token-1"), (change.SubscriptionId, change.Key, change.OldValue, change.NewValue));

        // Another key on the same channel is not this subscription's change; nor is another producer's payload.
        await adapter.NotifyChangeAsync("another.key", "a", "b", ProbeTimeout);
        await Server.ExecuteAsync(PostgresFixture.Database, "NOTIFY configmonitor_probe, 'not json'");
        await adapter.NotifyChangeAsync("monitor.event-probe", "token-1", "token-2", ProbeTimeout);
        var second = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(5));
        Assert.Equal(("token-1", "token-2"), (second.OldValue, second.NewValue));

        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, true), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, ProbeTimeout));
        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, false), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, ProbeTimeout));
        Assert.Equal(new ChangeNotified("monitor.event-probe", 0), await adapter.NotifyChangeAsync("monitor.event-probe", "token-2", "token-3", ProbeTimeout));
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        // Nothing is written to any table by the event probe; nobody listens any more.
        Assert.Equal(3, await RowCount());
        Assert.Equal(0L, await Scalar<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'ConfigMonitor' AND query ILIKE 'LISTEN%'"));
    }

    [SkippableFact]
    public async Task Should_use_the_configured_channel_for_listen_and_notify()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapter = Adapter(Target(fields: ("EventProbe:Channel", "orders_changes")));
        var subscriber = CreateTestProbe();
        var subscribed = await adapter.SubscribeAsync("k", subscriber.Ref, ProbeTimeout);

        // Someone else's NOTIFY on the channel, in the probe's payload shape, arrives too: it is a real LISTEN on that channel.
        await Server.ExecuteAsync(PostgresFixture.Database, "SELECT pg_notify('orders_changes', '{\"key\":\"k\",\"oldValue\":\"1\",\"newValue\":\"2\"}')");
        var change = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(5));
        Assert.Equal(("1", "2"), (change.OldValue, change.NewValue));
        await Server.ExecuteAsync(PostgresFixture.Database, "SELECT pg_notify('configmonitor_probe', '{\"key\":\"k\",\"oldValue\":\"2\",\"newValue\":\"3\"}')");
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        await adapter.UnsubscribeAsync(subscribed.SubscriptionId, ProbeTimeout);
    }

    [SkippableFact]
    public async Task Should_fail_naming_authentication_without_the_password_when_the_secret_is_wrong()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        const string wrong = "not-the-password-5f2c";
        Environment.SetEnvironmentVariable("CM_SQL_WRONG_PASSWORD", wrong);
        try
        {
            var adapter = Adapter(Target(secret: "env:CM_SQL_WRONG_PASSWORD"));
            var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
            Output?.WriteLine(failure.Message);
            Assert.Contains("authentication failed", failure.Message);
            Assert.Contains("28P01", failure.Message);
            Assert.Contains("env:CM_SQL_WRONG_PASSWORD", failure.Message);
            Assert.DoesNotContain(wrong, failure.Message);
            Assert.DoesNotContain(fixture.MonitorPassword, failure.Message);

            var unset = Adapter(Target("unset", secret: "env:CM_SQL_NOT_SET_ANYWHERE"));
            var missing = await Assert.ThrowsAsync<ConfigServiceException>(() => unset.ProbeDatabaseAsync(ProbeTimeout));
            Assert.Contains("'env:CM_SQL_NOT_SET_ANYWHERE' is not set", missing.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CM_SQL_WRONG_PASSWORD", null);
        }
    }

    [SkippableFact]
    public async Task Should_pick_up_a_rotated_secret_on_the_next_new_connection()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        Environment.SetEnvironmentVariable("CM_SQL_ROTATED", "stale-password");
        try
        {
            var adapter = Adapter(Target(secret: "env:CM_SQL_ROTATED"));
            var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
            Assert.Contains("authentication failed", failure.Message);
            Environment.SetEnvironmentVariable("CM_SQL_ROTATED", fixture.MonitorPassword);
            Assert.Equal("ok", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
            Assert.Equal(1, _connections.SharedCount);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CM_SQL_ROTATED", null);
        }
    }

    [SkippableFact]
    public async Task Should_fail_within_the_timeout_while_the_server_is_stopped_and_recover_on_the_same_pool_when_it_is_back()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var timeout = TimeSpan.FromSeconds(1);
        // The driver's own timeouts (the target's ProbeTimeout, whole seconds) are 30 s here: a failure by the call's 1 s deadline
        // is told apart from one by the driver's backstop with room for a busy machine.
        var adapter = Adapter(Target(fields: ("ProbeTimeout", "30s")));
        Assert.Equal(new DatabaseProbeResult(1, 3), await adapter.ProbeDatabaseAsync(ProbeTimeout));
        Npgsql.NpgsqlDataSource Pool() => _connections.Shared<Npgsql.NpgsqlDataSource>(
            PostgresFacet.PoolKey(Server.Endpoint(PostgresFixture.Database, "monitor"), fixture.MonitorSecret),
            () => throw new InvalidOperationException("the pool must exist already"));
        var pool = Pool();
        try
        {
            await Server.StopAsync();
            foreach (var call in new Func<Task>[] { () => adapter.ProbeDatabaseAsync(timeout), () => adapter.GetConfigAsync("monitor.probe", null, timeout) })
            {
                var watch = Stopwatch.StartNew();
                var failure = await Assert.ThrowsAnyAsync<Exception>(call);
                Output?.WriteLine($"{watch.Elapsed.TotalMilliseconds:0} ms: {failure.GetType().Name}: {failure.Message}");
                Assert.True(watch.Elapsed < timeout * 5, $"took {watch.Elapsed}");
                Assert.True(failure is ConfigServiceException or ProbeTimeoutException, failure.ToString());
                if (failure is ConfigServiceException) Assert.Contains("cannot be reached", failure.Message);
            }
        }
        finally
        {
            await Server.StartAsync();
        }
        // Back: the same data source answers again (a probe or two may still meet a connection the outage broke).
        var recovered = await Eventually.MatchAsync(() => adapter.ProbeDatabaseAsync(ProbeTimeout), _ => true, TimeSpan.FromSeconds(30),
            "the same data source should answer again");
        Assert.Equal(new DatabaseProbeResult(1, 3), recovered);
        Assert.Equal("ok", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
        Assert.Equal(1, _connections.SharedCount);
        Assert.Same(pool, Pool());
    }

    [SkippableFact]
    public async Task Should_time_out_a_slow_query_within_the_probe_timeout_and_cancel_it_on_the_server()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        // The query would sleep 20 s and the driver's own timeouts (the target's ProbeTimeout) are 30 s: only the call's 500 ms
        // deadline can end it within seconds, so the bounds below leave a busy machine room and still tell the three apart.
        var adapter = Adapter(Target(fields: [("Config:Query", "SELECT @key || pg_sleep(20)::text"), ("ProbeTimeout", "30s")]));
        await adapter.ProbeDatabaseAsync(ProbeTimeout); // warm the pool: the set-up is not what is timed here
        var timeout = TimeSpan.FromMilliseconds(500);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<ProbeTimeoutException>(() => adapter.GetConfigAsync("monitor.probe", null, timeout));
        Output?.WriteLine($"timed out after {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(watch.Elapsed < timeout * 10, $"took {watch.Elapsed}");

        // Cancelled on the server too, well before the 20 s sleep would have ended by itself.
        await Eventually.AssertAsync(async () => await Scalar<long>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()") == 0,
            TimeSpan.FromSeconds(10), "the query should have been cancelled on the server", TimeSpan.FromMilliseconds(50));
        // The pool's connection is fine afterwards.
        Assert.Equal(new DatabaseProbeResult(1, 3), await adapter.ProbeDatabaseAsync(ProbeTimeout));
    }

    [SkippableFact]
    public async Task Should_share_one_data_source_among_many_targets_on_one_endpoint()
    {
        RequiredServer.Require(PostgresServer.Available, Missing);
        var adapters = Enumerable.Range(0, 25).Select(i => Adapter(Target($"t{i}"))).ToList();
        Assert.Equal(0, _connections.SharedCount); // creating a client does no I/O and opens nothing

        foreach (var adapter in adapters)
        {
            Assert.Equal("ok", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
            Assert.Equal(3, (await adapter.ProbeDatabaseAsync(ProbeTimeout)).ConfigurationRowCount);
        }
        Assert.Equal(1, _connections.SharedCount);
        // One pool: probes one after the other reuse one server connection, not one per target.
        var sessions = await Scalar<long>("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'ConfigMonitor' AND usename = 'monitor'");
        Assert.InRange(sessions, 1, 2);

        var otherDatabase = Adapter(Target("elsewhere", fields: [("Database:Endpoint", Server.Endpoint("postgres", "monitor")), ("Database:Query", "SELECT 0")]));
        await otherDatabase.ProbeDatabaseAsync(ProbeTimeout);
        Assert.Equal(2, _connections.SharedCount);
    }
}
