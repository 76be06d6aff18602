
namespace ConfigMonitor.Actors.Tests.Adapters.Sql;

/// <summary>
/// One private PostgreSQL per test class: a <c>config</c> database with the reference table and three rows, a read-only
/// <c>monitor</c> role and a <c>writer</c> role that may write (to prove the probe's read-only transaction is what stops a write),
/// and a sequence whose value must never move. Passwords reach the probes through environment variables (env: secrets).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Database = "config";

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    /// <summary>Null when PostgreSQL is not installed (each test then goes through RequiredServer first).</summary>
    public PostgresServer? Server { get; private set; }

    public string MonitorPassword { get; } = "mon-" + Guid.NewGuid().ToString("N");

    public string WriterPassword { get; } = "wri-" + Guid.NewGuid().ToString("N");

    public string MonitorSecret => $"env:CM_SQL_MONITOR_{_suffix}";

    public string WriterSecret => $"env:CM_SQL_WRITER_{_suffix}";

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        Environment.SetEnvironmentVariable(MonitorSecret[4..], MonitorPassword);
        Environment.SetEnvironmentVariable(WriterSecret[4..], WriterPassword);
        Server = await PostgresServer.CreateAsync();
        await Server.CreateConfigDatabaseAsync(Database,
            ("monitor.probe", "ok", "the probe key", 3),
            ("feature.flags", "{\"beta\":true}", null, 7),
            ("empty.value", null, "a key whose value is NULL", 1));
        await Server.ExecuteAsync(Database, "CREATE SEQUENCE probe_counter");
        await Server.CreateRoleAsync("monitor", MonitorPassword, Database);
        await Server.CreateRoleAsync("writer", WriterPassword, Database, canWrite: true);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(MonitorSecret[4..], null);
        Environment.SetEnvironmentVariable(WriterSecret[4..], null);
        if (Server is not null) await Server.DisposeAsync();
    }
}
