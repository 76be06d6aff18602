using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;

namespace ConfigMonitor.ConfigService;

/// <summary>The database a reference configuration service keeps its table in.</summary>
public enum ConfigStoreProvider
{
    /// <summary>A SQLite file at <see cref="ConfigServiceSettings.DatabasePath"/> (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database reached with <see cref="ConfigServiceSettings.ConnectionString"/>.</summary>
    PostgreSql,
}

/// <summary>How a reference configuration service is set up: its database (a SQLite file by default, or PostgreSQL), cache size, seed data, name and clock.</summary>
public sealed record ConfigServiceSettings(string DatabasePath, string ServiceName)
{
    /// <summary>A service over PostgreSQL: <see cref="DatabasePath"/> is not used.</summary>
    public static ConfigServiceSettings ForPostgreSql(string connectionString, string serviceName) =>
        new("", serviceName) { Provider = ConfigStoreProvider.PostgreSql, ConnectionString = connectionString };

    /// <summary>The database kind; SQLite at <see cref="DatabasePath"/> unless set.</summary>
    public ConfigStoreProvider Provider { get; init; } = ConfigStoreProvider.Sqlite;

    /// <summary>The Npgsql connection string when <see cref="Provider"/> is PostgreSQL (it may hold a password: log <see cref="DatabaseDescription"/> instead).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The most configuration entries kept in the LRU cache.</summary>
    public int CacheCapacity { get; init; } = 100;

    /// <summary>Whether an empty table is filled with realistic sample rows at start.</summary>
    public bool SeedSampleRows { get; init; } = true;

    /// <summary>How long a database call may take: SQLite's wait for a lock held by another connection, PostgreSQL's whole call (connect, query).</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait before preparing a database that failed at start is tried again; each further try waits twice as long, up to <see cref="InitializeRetryMaxDelay"/>.</summary>
    public TimeSpan InitializeRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries to prepare a database that failed at start.</summary>
    public TimeSpan InitializeRetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The source of "now" for <c>updated_at</c> and change events.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>The database for logs: the SQLite file, or "PostgreSQL" and the connection string with its password replaced by ***.</summary>
    public string DatabaseDescription => Provider == ConfigStoreProvider.PostgreSql
        ? $"PostgreSQL {Redaction.Redact(ConnectionString)}"
        : DatabasePath;

    /// <summary>The settings without the connection string's password, so a record's generated ToString cannot leak it.</summary>
    public override string ToString() =>
        $"ConfigServiceSettings {{ ServiceName = {ServiceName}, Database = {DatabaseDescription}, CacheCapacity = {CacheCapacity} }}";
}
