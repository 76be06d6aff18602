namespace ConfigMonitor.ConfigService.Storage;

/// <summary>One row of <c>system_configurations</c>.</summary>
internal sealed record ConfigRow(string Key, string? Value, string? Description, DateTimeOffset UpdatedAt, long Version);

/// <summary>The outcome of an upsert: the value before the write and the version after it.</summary>
internal sealed record ConfigWrite(string Key, string? OldValue, string? NewValue, long Version);

/// <summary>
/// The <c>system_configurations(key, value, description, updated_at, version)</c> table behind the reference service, in SQLite
/// or PostgreSQL. Every call is asynchronous and ends within the store's timeout (or its token); a failure is an exception whose
/// message says what went wrong and carries no password.
/// </summary>
internal interface IConfigStore : IAsyncDisposable
{
    /// <summary>Creates the table if missing and seeds sample rows into an empty table; returns the rows seeded.</summary>
    Task<int> InitializeAsync(bool seedSampleRows, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Reads one key; null when the key does not exist.</summary>
    Task<ConfigRow?> ReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>A round trip: <c>SELECT 1</c> then the row count.</summary>
    Task<(long SelectOne, long RowCount)> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or updates a key in one transaction (version + 1); a null description keeps the existing one. Returns the value before the write.</summary>
    Task<ConfigWrite> UpsertAsync(string key, string? value, string? description, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>Creates the store a <see cref="ConfigServiceSettings"/> asks for.</summary>
internal static class ConfigStores
{
    /// <summary>The SQLite file or the PostgreSQL data source of <paramref name="settings"/>.</summary>
    public static IConfigStore Create(ConfigServiceSettings settings) => settings.Provider switch
    {
        ConfigStoreProvider.Sqlite => new SqliteConfigStore(settings.DatabasePath, settings.BusyTimeout),
        ConfigStoreProvider.PostgreSql => new PostgresConfigStore(
            settings.ConnectionString ?? throw new ArgumentException("a PostgreSQL config service needs a connection string", nameof(settings)),
            settings.BusyTimeout),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Provider, "unknown config store provider"),
    };

    /// <summary>The samples an empty table is seeded with: realistic keys an application would hold.</summary>
    public static readonly (string Key, string Value, string Description)[] SampleRows =
    [
        ("app.name", "ConfigMonitor Reference Service", "Display name of the application"),
        ("app.environment", "staging", "Deployment environment the service runs in"),
        ("app.version", "1.4.2", "Release currently deployed"),
        ("feature.new_checkout", "false", "Feature flag: route users to the new checkout flow"),
        ("feature.dark_mode", "true", "Feature flag: offer the dark theme"),
        ("db.pool_size", "20", "Maximum open connections in the application's database pool"),
        ("db.query_timeout_ms", "3000", "Timeout of a single database query, in ms"),
        ("cache.ttl_seconds", "300", "Time to live of application cache entries, in seconds"),
        ("rate_limit.requests_per_minute", "600", "Requests a client may send per minute"),
        ("log.level", "Information", "Minimum level written to the application log"),
        ("monitor.probe", "ok", "Key read by ConfigMonitor on every probe"),
    ];
}
