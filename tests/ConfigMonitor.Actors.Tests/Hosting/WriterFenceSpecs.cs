using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.TestKit.Xunit2;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Serialization;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Actors.Tests.Hosting;

/// <summary>
/// The writer fence against a real PostgreSQL 15 with the journal Akka.Persistence.Sql creates: a session whose incarnation
/// belongs to a downed member cannot insert, update or delete journal or snapshot rows (the exact SQLSTATE and message), others can;
/// the set-up is idempotent and safe when nodes start together; a node the cluster downed gets its store's writes refused, warns
/// once per store and shuts down as a downed node (the restart code).
/// </summary>
public sealed class WriterFenceSpecs : IAsyncLifetime
{
    private const string Database = "journal";
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new();
    private PostgresServer? _server;

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        _server = await PostgresServer.CreateAsync();
        await _server.CreateDatabaseAsync(Database);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _data.Dispose();
    }

    private string ConnectionString => _server!.SuperuserConnectionString(Database);

    private string ServerLog => Path.Combine(Path.GetDirectoryName(_server!.DataDirectory)!, "server.log");

    /// <summary>A clustered node (a cluster of its own) with the product's PostgreSQL persistence and a hosted metrics store.</summary>
    private async Task<IHost> StartNodeAsync()
    {
        var options = new ConfigMonitorOptions
        {
            ActorSystemName = "fence",
            DataDirectory = _data.Path,
            Port = 0,
            Persistence = PersistenceProvider.PostgreSql,
            ConnectionString = ConnectionString.Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal),
        };
        var host = new HostBuilder().ConfigureServices(services => services.AddAkka(options.ActorSystemName, (builder, _) =>
        {
            builder.AddHocon("akka.coordinated-shutdown.exit-clr = off\nakka.coordinated-shutdown.run-by-actor-system-terminate = on", HoconAddMode.Prepend)
                .AddConfigMonitorCluster(options)
                .AddConfigMonitorPersistence(options)
                .AddConfigMonitorSerializer();
        })).Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<int> ExecuteAsAsync(Guid? incarnation, string sql)
    {
        var connectionString = incarnation is { } i ? WriterFenceSchema.WithIncarnation(ConnectionString, i) : ConnectionString;
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    private static string InsertJournalRow(string persistenceId, long sequenceNr) =>
        "INSERT INTO journal (persistence_id, sequence_number, deleted, created, manifest, message, identifier, writer_uuid) " +
        $"VALUES ('{persistenceId}', {sequenceNr}, false, 0, 'x', '\\x00'::bytea, 1, 'spec')";

    [SkippableFact]
    public async Task A_session_of_a_fenced_incarnation_should_be_refused_every_write_and_others_should_write()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        // A node creates the journal (the plugin's own tables) and puts the fence on them.
        var node = await StartNodeAsync();
        await node.StopAsync();
        node.Dispose();

        var removed = Guid.NewGuid();
        var alive = Guid.NewGuid();
        await using var admin = await OpenAsync(ConnectionString);
        await WriterFenceSchema.RegisterAsync(admin, removed, "akka.tcp://fence@127.0.0.1:40001", 11, CancellationToken.None);
        await WriterFenceSchema.RegisterAsync(admin, alive, "akka.tcp://fence@127.0.0.1:40002", 22, CancellationToken.None);

        // A batch in flight: the removed node began its transaction before the fence and was paused before its commit.
        await using var inFlight = await OpenAsync(WriterFenceSchema.WithIncarnation(ConnectionString, removed));
        await using var idle = await OpenAsync(WriterFenceSchema.WithIncarnation(ConnectionString, removed));
        var transaction = await inFlight.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(InsertJournalRow("metrics-a", 1), inFlight, transaction))
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());

        // The fence ends the session with the transaction in flight (not the idle one), so the batch is rolled back.
        Assert.Equal(1, await WriterFenceSchema.FenceAsync(admin, "akka.tcp://fence@127.0.0.1:40001", 11, "downed by the cluster",
            TimeSpan.FromSeconds(5), CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(() => transaction.CommitAsync());
        // Fencing again (every survivor does) changes nothing.
        Assert.Equal(0, await WriterFenceSchema.FenceAsync(admin, "akka.tcp://fence@127.0.0.1:40001", 11, "downed by the cluster",
            TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(1L, await _server!.ScalarAsync(Database, "SELECT count(*) FROM configmonitor_fenced"));

        // The idle session's next write is refused with the fence's own error.
        await using (var write = new NpgsqlCommand(InsertJournalRow("metrics-a", 2), idle))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync());
            Assert.Equal(WriterFenceSchema.RefusedSqlState, error.SqlState);
        }

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(removed, InsertJournalRow("metrics-a", 1)));
        Assert.Equal(WriterFenceSchema.RefusedSqlState, refused.SqlState);
        Assert.StartsWith($"configmonitor fence: writer {WriterFenceSchema.Incarnation(removed)} belongs to a node the cluster removed " +
                          "(akka.tcp://fence@127.0.0.1:40001, uid 11", refused.MessageText, StringComparison.Ordinal);
        Assert.True(WriterFenceSchema.IsRefusal(new InvalidOperationException("wrapped", refused)), "a wrapped refusal is still a refusal");

        // The live member's sessions, and sessions that are not a node's journal at all, write.
        // The survivor's write at the sequence number the removed node's batch had takes it: no duplicate key.
        Assert.Equal(1, await ExecuteAsAsync(alive, InsertJournalRow("metrics-a", 1)));
        Assert.Equal(1, await ExecuteAsAsync(null, InsertJournalRow("metrics-b", 1)));
        // An unregistered incarnation is not a member the cluster removed: it writes (a node registers before its first write).
        Assert.Equal(1, await ExecuteAsAsync(Guid.NewGuid(), InsertJournalRow("metrics-c", 1)));

        // Updates and deletes of the journal, and snapshot writes, are refused too (a removed node deletes nothing).
        foreach (var sql in new[]
                 {
                     "UPDATE journal SET deleted = true WHERE persistence_id = 'metrics-a'",
                     "DELETE FROM journal WHERE persistence_id = 'metrics-a'",
                     "INSERT INTO snapshot (persistence_id, sequence_number, created, manifest, snapshot, serializer_id) VALUES ('metrics-a', 1, 0, 'x', '\\x00'::bytea, 1)",
                 })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(removed, sql));
            Assert.Equal(WriterFenceSchema.RefusedSqlState, error.SqlState);
        }
        Assert.Equal(1L, await _server!.ScalarAsync(Database, "SELECT count(*) FROM journal WHERE persistence_id = 'metrics-a'"));
    }

    [SkippableFact]
    public async Task The_set_up_should_be_idempotent_on_a_database_that_has_the_journal_and_safe_when_nodes_start_together()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var node = await StartNodeAsync();
        await node.StopAsync();
        node.Dispose();
        Assert.Equal(true, await _server!.ScalarAsync(Database, "SELECT to_regclass('journal') IS NOT NULL AND to_regclass('snapshot') IS NOT NULL"));

        // Eight set-ups at once, then once more: no error, one trigger per table.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var connection = await OpenAsync(ConnectionString);
            Assert.Empty(await WriterFenceSchema.EnsureAsync(connection, CancellationToken.None));
        }));
        await using (var connection = await OpenAsync(ConnectionString))
            Assert.Empty(await WriterFenceSchema.EnsureAsync(connection, CancellationToken.None));
        Assert.Equal(2L, await _server.ScalarAsync(Database,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'configmonitor_fence' AND tgrelid IN ('journal'::regclass, 'snapshot'::regclass)"));

        // A second node start on the same database (the tables exist) registers its incarnation and changes nothing else.
        var again = await StartNodeAsync();
        await again.StopAsync();
        again.Dispose();
        Assert.Equal(2L, await _server.ScalarAsync(Database, "SELECT count(*) FROM configmonitor_incarnations"));
        Assert.Equal(2L, await _server.ScalarAsync(Database, "SELECT count(*) FROM pg_trigger WHERE tgname = 'configmonitor_fence'"));
        Assert.DoesNotContain("duplicate key", await File.ReadAllTextAsync(ServerLog), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_downed_node_should_have_its_store_writes_refused_warn_once_per_store_and_shut_down_with_the_restart_code()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var node = await StartNodeAsync();
        try
        {
            var system = node.Services.GetRequiredService<ActorSystem>();
            using var kit = new TestKit(system);
            var warnings = kit.CreateTestProbe();
            system.EventStream.Subscribe(warnings.Ref, typeof(Warning));
            var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
            Assert.Equal(1L, await _server!.ScalarAsync(Database,
                $"SELECT count(*) FROM configmonitor_incarnations WHERE incarnation = '{WriterFenceSchema.Incarnation(WriterFence.For(system)!.Incarnation)}' " +
                $"AND akka_address = '{self.Address}' AND akka_uid = {self.Uid}"));

            var store = system.ActorOf(MetricsStoreHost.Props("fenced", new MetricsStoreSettings { FlushInterval = TimeSpan.FromMinutes(10) },
                SystemClock.Instance), "store");
            var sample = new MetricSample("probe_latency_ms", 1, DateTimeOffset.UtcNow);
            store.Tell(new RecordSamples("fenced", [sample]));
            store.Tell(new FlushMetrics("fenced"), kit.TestActor);
            kit.ExpectMsg<MetricsFlushed>(TimeSpan.FromSeconds(30));

            // What the survivors do when the cluster downs this node: record it and end its open journal sessions.
            await using (var admin = await OpenAsync(ConnectionString))
                await WriterFenceSchema.FenceAsync(admin, self.Address.ToString(), self.Uid, "downed by the cluster", TimeSpan.FromSeconds(5),
                    CancellationToken.None);

            store.Tell(new RecordSamples("fenced", [sample with { Timestamp = sample.Timestamp.AddSeconds(1) }]));
            store.Tell(new FlushMetrics("fenced"), kit.TestActor);
            var failure = kit.ExpectMsg<Status.Failure>(TimeSpan.FromSeconds(30));
            Assert.True(failure.Cause.Message.Contains("no longer kept by this node", StringComparison.Ordinal), failure.Cause.Message);
            // One warning, the fence's, not a "could not be saved, retrying" first.
            var warning = warnings.ExpectMsg<Warning>(TimeSpan.FromSeconds(10));
            Assert.Contains("refused by the fence: this node was removed from the cluster", warning.Message.ToString(), StringComparison.Ordinal);
            Assert.Contains("target fenced", warning.Message.ToString(), StringComparison.Ordinal);
            store.Tell(new RecordSamples("fenced", [sample with { Timestamp = sample.Timestamp.AddSeconds(2) }]));
            store.Tell(new FlushMetrics("fenced"), kit.TestActor);
            Assert.Contains("no longer kept by this node", kit.ExpectMsg<Status.Failure>(TimeSpan.FromSeconds(10)).Cause.Message, StringComparison.Ordinal);

            // The node shuts down as a downed node: the host maps that reason to the restart code 3.
            await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.IsType<Akka.Actor.CoordinatedShutdown.ClusterDowningReason>(Akka.Actor.CoordinatedShutdown.Get(system).ShutdownReason);
            Assert.Equal(1L, await _server.ScalarAsync(Database, "SELECT count(*) FROM journal WHERE persistence_id = 'metrics-fenced'"));
        }
        finally
        {
            await node.StopAsync();
            node.Dispose();
        }
    }
}
