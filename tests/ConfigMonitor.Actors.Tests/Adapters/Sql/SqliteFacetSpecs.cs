using System.Diagnostics;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Adapters.Sql;

/// <summary>The sql kind on SQLite, against real files: read-only for real (the file is never created nor written).</summary>
public sealed class SqliteFacetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private readonly FacetConnections _connections = new();
    private readonly TempDirectory _folder = new();

    public Task InitializeAsync()
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE system_configurations(key TEXT PRIMARY KEY, value TEXT, description TEXT, updated_at TEXT, version INTEGER);
            INSERT INTO system_configurations VALUES ('monitor.probe', 'ok', 'the probe key', '2026-11-30T12:00:00Z', 3);
            INSERT INTO system_configurations VALUES ('limits.max', '42', NULL, NULL, 1);
            """;
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await _connections.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private string Database => _folder.File("config.db");

    private TargetDefinition Target(string endpoint, string id = "orders", params (string Key, string Value)[] fields)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Targets:{id}:Adapter"] = "sql",
            [$"Targets:{id}:Provider"] = "sqlite",
            [$"Targets:{id}:Endpoint"] = endpoint,
        };
        foreach (var (key, value) in fields) settings[$"Targets:{id}:{key}"] = value;
        return Assert.Single(TargetDefinitionReader.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Targets")));
    }

    private IConfigServiceAdapter Adapter(TargetDefinition target) => FacetAdapters.Create(Sys, _connections, target);

    private long RowCount()
    {
        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM system_configurations";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Should_read_a_value_report_an_absent_key_read_metadata_and_count_rows()
    {
        var adapter = Adapter(Target(Database));

        Assert.Equal(new ConfigValue("monitor.probe", "ok", true), await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
        Assert.Equal(new ConfigValue("nope", "fallback", false), await adapter.GetConfigAsync("nope", "fallback", ProbeTimeout));
        Assert.Equal(new ConfigEntry("monitor.probe", "ok", true, "the probe key", new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), 3, false),
            await adapter.GetConfigWithMetadataAsync("monitor.probe", ProbeTimeout));
        Assert.Equal(new ConfigEntry("limits.max", "42", true, null, null, 1, false), await adapter.GetConfigWithMetadataAsync("limits.max", ProbeTimeout));
        Assert.Equal(new DatabaseProbeResult(1, 2), await adapter.ProbeDatabaseAsync(ProbeTimeout));
        Assert.Equal(new ConfigValue("x' OR '1'='1", null, false), await adapter.GetConfigAsync("x' OR '1'='1", null, ProbeTimeout));
    }

    [Fact]
    public async Task Should_read_the_file_at_its_path_each_probe_so_a_moved_or_replaced_file_is_seen()
    {
        var adapter = Adapter(Target(Database));
        Assert.Equal("ok", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);

        // Moved away: the path names no file any more, whatever the monitor opened before.
        var away = Database + ".away";
        File.Move(Database, away);
        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
        Assert.Contains("cannot open the SQLite file", failure.Message);

        // Replaced: another file at the path, with another value, is what the next probe reads.
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE system_configurations(key TEXT PRIMARY KEY, value TEXT, description TEXT, updated_at TEXT, version INTEGER);
                INSERT INTO system_configurations VALUES ('monitor.probe', 'replaced', NULL, NULL, 4);
                """;
            command.ExecuteNonQuery();
        }
        Assert.Equal("replaced", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
        Assert.Equal(new DatabaseProbeResult(1, 1), await adapter.ProbeDatabaseAsync(ProbeTimeout));
    }

    [Fact]
    public async Task Should_accept_a_data_source_connection_string_and_a_custom_query_reading_the_value_only()
    {
        var adapter = Adapter(Target($"Data Source={Database}", fields: [("Config:Query", "SELECT CAST(value AS INTEGER) * 2, description FROM system_configurations WHERE key = @key"),
            ("Database:Query", "SELECT COUNT(*) FROM system_configurations WHERE description IS NULL")]));

        Assert.Equal(new ConfigValue("limits.max", "84", true), await adapter.GetConfigAsync("limits.max", null, ProbeTimeout));
        Assert.Equal(new ConfigEntry("monitor.probe", "0", true, null, null, 0, false), await adapter.GetConfigWithMetadataAsync("monitor.probe", ProbeTimeout));
        Assert.Equal(new DatabaseProbeResult(1, 1), await adapter.ProbeDatabaseAsync(ProbeTimeout));
    }

    [Fact]
    public async Task Should_refuse_a_query_that_writes_and_leave_the_file_unchanged()
    {
        var inserting = Adapter(Target(Database, fields: ("Config:Query", "INSERT INTO system_configurations(key, value) VALUES (@key, 'written') RETURNING value")));
        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => inserting.GetConfigAsync("new.key", null, ProbeTimeout));
        Output?.WriteLine(failure.Message);
        Assert.Contains("tried to write", failure.Message);
        Assert.Contains(Database, failure.Message);

        var deleting = Adapter(Target(Database, "deleting", ("Database:Query", "DELETE FROM system_configurations RETURNING 1")));
        await Assert.ThrowsAsync<ConfigServiceException>(() => deleting.ProbeDatabaseAsync(ProbeTimeout));

        // Mode=ReadOnly in the endpoint cannot be undone by the endpoint either.
        var readWrite = Adapter(Target($"Data Source={Database};Mode=ReadWrite", "rw",
            ("Config:Query", "UPDATE system_configurations SET value = 'written' WHERE key = @key RETURNING value")));
        await Assert.ThrowsAsync<ConfigServiceException>(() => readWrite.GetConfigAsync("monitor.probe", null, ProbeTimeout));

        Assert.Equal(2, RowCount());
        Assert.Equal("ok", (await Adapter(Target(Database, "reader")).GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
    }

    [Fact]
    public async Task Should_fail_naming_a_file_that_does_not_exist_and_not_create_it()
    {
        var missing = _folder.File("no-such.db");
        var adapter = Adapter(Target(missing));

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout));
        Output?.WriteLine(failure.Message);
        Assert.Contains($"cannot open the SQLite file '{missing}'", failure.Message);
        await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.ProbeDatabaseAsync(ProbeTimeout));
        Assert.False(File.Exists(missing));
    }

    [SkippableFact]
    public async Task Should_interrupt_a_runaway_query_at_the_probe_timeout()
    {
        RequiredServer.Require(File.Exists(SqliteShell), $"{SqliteShell} (Debian's sqlite3) watches the file's locks from another process");
        // Endless, in constant memory, and holding the file's SHARED lock while it runs (it read the table first).
        // The target's own probe timeout, 30 s (at most its shortest loop interval), is the driver's backstop; the call's 300 ms
        // deadline must end the query long before.
        var adapter = Adapter(Target(Database, fields: [("Config:Query",
            "WITH RECURSIVE c(x) AS (SELECT COUNT(*) FROM system_configurations UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c WHERE @key IS NOT NULL"),
            ("ProbeTimeout", "30s")]));
        var timeout = TimeSpan.FromMilliseconds(300);

        var watch = Stopwatch.StartNew();
        // The probe answers at its deadline, not when the query ends (it never would): a call left waiting for the query fails
        // here with a TimeoutException after 30 s instead of hanging the run. How soon after the deadline it answers depends
        // on how busy the machine's thread pool is (3.2 s once on a loaded CI machine), so it is reported, not asserted.
        await Assert.ThrowsAsync<ProbeTimeoutException>(() => adapter.GetConfigAsync("monitor.probe", null, timeout).WaitAsync(TimeSpan.FromSeconds(30)));
        Output?.WriteLine($"the probe answered {watch.Elapsed.TotalMilliseconds:0} ms after it began, with a {timeout.TotalMilliseconds:0} ms timeout");
        // Interrupted, not left spinning: while the query runs, another process cannot lock the file exclusively (the driver's
        // 30 s backstop would end it only long after this wait).
        await Eventually.AssertAsync(ExclusiveLockGrantedAsync, TimeSpan.FromSeconds(15), "the runaway query should have been interrupted at the probe timeout");
        Assert.Equal(new DatabaseProbeResult(1, 2), await adapter.ProbeDatabaseAsync(ProbeTimeout));
    }

    private const string SqliteShell = "/usr/bin/sqlite3";

    /// <summary>
    /// Whether another process is granted the file's EXCLUSIVE lock (SQLite's locks are POSIX locks, which a process never
    /// conflicts with itself on: a connection in this process is granted it beside a running statement of this process).
    /// </summary>
    private async Task<bool> ExclusiveLockGrantedAsync()
    {
        var shell = new ProcessStartInfo(SqliteShell, [Database, "PRAGMA busy_timeout = 0; BEGIN EXCLUSIVE; COMMIT;"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(shell)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && !error.Contains("locked", StringComparison.Ordinal))
            throw new InvalidOperationException($"sqlite3 failed: {error}");
        return process.ExitCode == 0;
    }

    [Fact]
    public async Task Should_share_one_endpoint_entry_among_targets_on_one_file()
    {
        var adapters = Enumerable.Range(0, 10).Select(i => Adapter(Target(Database, $"t{i}"))).ToList();
        foreach (var adapter in adapters) Assert.Equal("ok", (await adapter.GetConfigAsync("monitor.probe", null, ProbeTimeout)).Value);
        Assert.Equal(1, _connections.SharedCount);
    }
}
