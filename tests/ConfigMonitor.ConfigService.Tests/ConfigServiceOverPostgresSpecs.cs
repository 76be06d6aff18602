using Akka.Actor;
using Akka.TestKit.Xunit2;
using ConfigMonitor.Actors.Time;
using Npgsql;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.ConfigService.ConfigServiceCommands;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The reference service's actor over a real, private PostgreSQL (one per class): the same protocol as over SQLite.</summary>
public sealed class ConfigServiceOverPostgresSpecs(PostgresFixture postgres) : TestKit, IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(Start);

    private PostgresServer Server => postgres.Server;

    private ConfigServiceSettings Settings(string connectionString) => ConfigServiceSettings.ForPostgreSql(connectionString, "postgres-test") with
    {
        Clock = _clock,
        BusyTimeout = TimeSpan.FromSeconds(3),
        InitializeRetryDelay = TimeSpan.FromMilliseconds(200),
        InitializeRetryMaxDelay = TimeSpan.FromSeconds(1),
    };

    [SkippableFact]
    public async Task Should_create_and_seed_the_table_and_answer_reads_metadata_and_probes()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        var service = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString)));

        service.Tell(new GetConfig("app.environment"));
        Assert.Equal(new ConfigValue("app.environment", "staging", true), await ExpectMsgAsync<ConfigValue>(Reply));
        service.Tell(new GetConfig("no.such.key", "fallback"));
        Assert.Equal(new ConfigValue("no.such.key", "fallback", false), await ExpectMsgAsync<ConfigValue>(Reply));
        service.Tell(new GetConfigWithMetadata("feature.new_checkout"));
        var first = await ExpectMsgAsync<ConfigEntry>(Reply);
        service.Tell(new GetConfigWithMetadata("feature.new_checkout"));
        var second = await ExpectMsgAsync<ConfigEntry>(Reply);
        service.Tell(ProbeDatabase.Instance);
        var probe = await ExpectMsgAsync<DatabaseProbeResult>(Reply);

        Assert.Equal(new ConfigEntry("feature.new_checkout", "false", true, "Feature flag: route users to the new checkout flow", Start, 1, FromCache: false), first);
        Assert.Equal(first with { FromCache = true }, second);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.Equal(new DatabaseProbeResult(1, (long)(await Server.ScalarAsync(database, "SELECT COUNT(*) FROM system_configurations"))!), probe);
        Assert.Equal(11, probe.ConfigurationRowCount);
        Assert.Equal("timestamp with time zone,bigint", await Server.ScalarAsync(database,
            "SELECT string_agg(data_type, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'system_configurations' AND column_name IN ('updated_at', 'version')"));
    }

    [SkippableFact]
    public async Task Should_leave_a_table_that_already_has_rows_unseeded()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var database = "config_" + Guid.NewGuid().ToString("N")[..12];
        await Server.CreateConfigDatabaseAsync(database, ("payments.url", "https://pay.example", "Payment gateway", 7));
        var service = Sys.ActorOf(ConfigServiceActor.Props(Settings(postgres.ConnectionString(database))));

        service.Tell(ProbeDatabase.Instance);
        Assert.Equal(new DatabaseProbeResult(1, 1), await ExpectMsgAsync<DatabaseProbeResult>(Reply));
        service.Tell(new GetConfigWithMetadata("payments.url"));
        var entry = await ExpectMsgAsync<ConfigEntry>(Reply);

        Assert.Equal(("https://pay.example", 7L, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero)), (entry.Value, entry.Version, entry.UpdatedAt!.Value));
    }

    [SkippableFact]
    public async Task Should_write_with_a_new_version_and_tell_subscribers_the_old_value()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        var service = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString)));
        service.Tell(new GetConfig("db.pool_size"));
        Assert.Equal("20", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        var subscriber = CreateTestProbe();
        service.Tell(new Subscribe("db.pool_size", subscriber.Ref));
        await ExpectMsgAsync<Subscribed>(Reply);

        _clock.Advance(TimeSpan.FromMinutes(5));
        service.Tell(new SetConfig("db.pool_size", "40"));
        var firstWrite = await ExpectMsgAsync<ConfigSet>(Reply);
        var firstChange = await subscriber.ExpectMsgAsync<ConfigChanged>(Reply);
        service.Tell(new SetConfig("db.pool_size", "60", "Raised for the sale"));
        var secondWrite = await ExpectMsgAsync<ConfigSet>(Reply);
        var secondChange = await subscriber.ExpectMsgAsync<ConfigChanged>(Reply);
        service.Tell(new SetConfig("brand.new", "1"));
        var newKey = await ExpectMsgAsync<ConfigSet>(Reply);
        service.Tell(new GetConfigWithMetadata("db.pool_size"));
        var afterWrites = await ExpectMsgAsync<ConfigEntry>(Reply);

        Assert.Equal(new ConfigSet("db.pool_size", 2), firstWrite);
        Assert.Equal(("20", "40"), (firstChange.OldValue, firstChange.NewValue));
        Assert.Equal(new ConfigSet("db.pool_size", 3), secondWrite);
        Assert.Equal(("40", "60"), (secondChange.OldValue, secondChange.NewValue));
        Assert.Equal(new ConfigSet("brand.new", 1), newKey);
        // The write dropped the cached "20": the answer comes from PostgreSQL, with the write's time.
        Assert.Equal(new ConfigEntry("db.pool_size", "60", true, "Raised for the sale", Start.AddMinutes(5), 3, FromCache: false), afterWrites);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.Equal("60/3", await Server.ScalarAsync(database, "SELECT value || '/' || version FROM system_configurations WHERE key = 'db.pool_size'"));
        service.Tell(ProbeDatabase.Instance);
        Assert.Equal(12, (await ExpectMsgAsync<DatabaseProbeResult>(Reply)).ConfigurationRowCount);
    }

    [SkippableFact]
    public async Task Should_give_each_racing_write_its_own_version_and_the_value_it_replaced()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        // Two services on one table: their writes meet only in PostgreSQL, and each service runs its own writes concurrently.
        var left = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString)));
        var right = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString) with { ServiceName = "postgres-test-2" }));
        var changes = CreateTestProbe();
        left.Tell(new Subscribe("race.key", changes.Ref));
        await ExpectMsgAsync<Subscribed>(Reply);
        right.Tell(new Subscribe("race.key", changes.Ref));
        await ExpectMsgAsync<Subscribed>(Reply);

        const int writesEach = 20;
        for (var i = 0; i < writesEach; i++)
        {
            left.Tell(new SetConfig("race.key", $"left-{i}"));
            right.Tell(new SetConfig("race.key", $"right-{i}"));
        }
        var versions = new List<long>();
        for (var i = 0; i < 2 * writesEach; i++)
            versions.Add((await ExpectMsgAsync<ConfigSet>(Reply)).Version);
        var replaced = new Dictionary<string, string>();
        for (var i = 0; i < 2 * writesEach; i++)
        {
            var change = await changes.ExpectMsgAsync<ConfigChanged>(Reply);
            replaced.Add(change.OldValue ?? "(none)", change.NewValue!);
        }

        Assert.Equal(Enumerable.Range(1, 2 * writesEach).Select(v => (long)v), versions.Order());
        // Each write replaced exactly the value before it: following old -> new from "no value" visits every write once.
        var chain = new List<string>();
        for (var value = "(none)"; replaced.TryGetValue(value, out var next); value = next)
            chain.Add(next);
        Assert.Equal(2 * writesEach, chain.Count);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.Equal(chain[^1], await Server.ScalarAsync(database, "SELECT value FROM system_configurations WHERE key = 'race.key'"));
    }

    [SkippableFact]
    public async Task Should_answer_database_errors_while_PostgreSQL_is_down_serve_cache_hits_and_answer_again_when_it_is_back()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var service = Sys.ActorOf(ConfigServiceActor.Props(Settings(await postgres.NewDatabaseAsync())));
        service.Tell(new GetConfig("app.name"));
        await ExpectMsgAsync<ConfigValue>(Reply);
        // The test server runs with synchronous_commit off: make the seeded rows durable before the crash-like stop.
        await Server.ExecuteAsync("postgres", "CHECKPOINT");

        await Server.StopAsync();
        try
        {
            service.Tell(new GetConfig("app.name"));
            var cached = await ExpectMsgAsync<ConfigValue>(Reply);
            service.Tell(new GetConfig("app.version"));
            var uncached = await ExpectMsgAsync<ConfigServiceError>(Reply);
            service.Tell(ProbeDatabase.Instance);
            var probe = await ExpectMsgAsync<ConfigServiceError>(Reply);
            service.Tell(new SetConfig("app.version", "2.0.0"));
            var write = await ExpectMsgAsync<ConfigServiceError>(Reply);

            Assert.Equal("ConfigMonitor Reference Service", cached.Value);
            Assert.Equal("get_config", uncached.Operation);
            Assert.StartsWith("database error: ", uncached.Reason);
            Assert.Equal("probe_database", probe.Operation);
            Assert.StartsWith("database error: ", probe.Reason);
            Assert.Equal("set_config", write.Operation);
            Assert.DoesNotContain(Server.SuperuserPassword, uncached.Reason + probe.Reason + write.Reason);
        }
        finally
        {
            await Server.StartAsync();
        }

        // The pool's connections died with the server: a call or two may still fail on one before the pool has new ones.
        await AwaitAssertAsync(async () =>
        {
            service.Tell(new GetConfig("app.version"));
            Assert.Equal(new ConfigValue("app.version", "1.4.2", true), await ExpectMsgAsync<ConfigValue>(Reply));
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        service.Tell(ProbeDatabase.Instance);
        Assert.Equal(new DatabaseProbeResult(1, 11), await ExpectMsgAsync<DatabaseProbeResult>(Reply));
    }

    [SkippableFact]
    public async Task Should_start_while_PostgreSQL_is_unreachable_and_prepare_the_table_once_it_comes_up()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        await Server.StopAsync();
        IActorRef service;
        try
        {
            service = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString)));

            service.Tell(new GetConfig("app.name"));
            var error = await ExpectMsgAsync<ConfigServiceError>(Reply);
            Assert.Equal("get_config", error.Operation);
            Assert.StartsWith("database error: ", error.Reason);
            service.Tell(GetCacheStats.Instance);
            Assert.Equal(100, (await ExpectMsgAsync<CacheStats>(Reply)).MaxSize);
        }
        finally
        {
            await Server.StartAsync();
        }

        // No request makes it retry: the service tries again on its own and seeds the table.
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await AwaitAssertAsync(async () =>
            Assert.Equal(11L, await Server.ScalarAsync(database, "SELECT COUNT(*) FROM system_configurations")),
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        await AwaitAssertAsync(async () =>
        {
            service.Tell(new GetConfig("app.name"));
            Assert.Equal("ConfigMonitor Reference Service", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
    }

    [SkippableFact]
    public async Task Should_answer_a_timeout_error_when_PostgreSQL_does_not_answer_within_the_busy_timeout()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        var service = Sys.ActorOf(ConfigServiceActor.Props(Settings(connectionString) with { BusyTimeout = TimeSpan.FromMilliseconds(500) }));
        service.Tell(ProbeDatabase.Instance);
        await ExpectMsgAsync<DatabaseProbeResult>(Reply);

        // Another session holds the table: every read of it waits for the lock.
        await using (var holder = new NpgsqlConnection(connectionString))
        {
            await holder.OpenAsync();
            await using var transaction = await holder.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE system_configurations IN ACCESS EXCLUSIVE MODE", holder, transaction))
                await lockTable.ExecuteNonQueryAsync();

            var asked = System.Diagnostics.Stopwatch.StartNew();
            service.Tell(new GetConfig("app.name"));
            var error = await ExpectMsgAsync<ConfigServiceError>(TimeSpan.FromSeconds(30));
            asked.Stop();

            Assert.Equal(new ConfigServiceError("get_config", "database error: PostgreSQL did not answer within 500ms"), error);
            // It waited the busy timeout, and answered while the lock was still held (until this block ends): without the busy
            // timeout only the driver's 30 s command timeout would end the wait, so twenty times it is room for a busy machine.
            Assert.InRange(asked.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromMilliseconds(500) * 20);
        }

        await AwaitAssertAsync(async () =>
        {
            service.Tell(new GetConfig("app.name"));
            Assert.Equal("ConfigMonitor Reference Service", (await ExpectMsgAsync<ConfigValue>(Reply)).Value);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
    }
}
