using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ConfigMonitor.ConfigService.Storage;

/// <summary>One row of <c>system_configurations</c>.</summary>
internal sealed record ConfigRow(string Key, string? Value, string? Description, DateTimeOffset UpdatedAt, long Version);

/// <summary>The outcome of an upsert: the value before the write and the version after it.</summary>
internal sealed record ConfigWrite(string Key, string? OldValue, string? NewValue, long Version);

/// <summary>The SQLite table behind the reference service; every call is asynchronous and opens its own connection.</summary>
internal sealed class ConfigStore
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    public ConfigStore(string databasePath, TimeSpan busyTimeout)
    {
        _busyTimeoutMs = (int)busyTimeout.TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // No pooled handles: a deleted or locked file shows up on the next call instead of being masked,
            // and tests can remove the file as soon as the service stops.
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
    }

    /// <summary>Creates the table if missing, switches the file to WAL, and seeds sample rows into an empty table; returns the rows seeded.</summary>
    public async Task<int> InitializeAsync(bool seedSampleRows, DateTimeOffset now)
    {
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;");
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS system_configurations (
                key TEXT PRIMARY KEY,
                value TEXT,
                description TEXT,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            """);
        if (!seedSampleRows)
            return 0;

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = "SELECT COUNT(*) FROM system_configurations;";
            if (Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0)
                return 0;
        }

        foreach (var (key, value, description) in SampleRows)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO system_configurations (key, value, description, updated_at, version)
                VALUES ($key, $value, $description, $updatedAt, 1);
                """;
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$value", value);
            insert.Parameters.AddWithValue("$description", description);
            insert.Parameters.AddWithValue("$updatedAt", Format(now));
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return SampleRows.Length;
    }

    /// <summary>Reads one key; null when the key does not exist.</summary>
    public async Task<ConfigRow?> ReadAsync(string key)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, value, description, updated_at, version FROM system_configurations WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return null;
        return new ConfigRow(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            reader.GetInt64(4));
    }

    /// <summary>A round trip: <c>SELECT 1</c> then the row count.</summary>
    public async Task<(long SelectOne, long RowCount)> ProbeAsync()
    {
        await using var connection = await OpenAsync();
        await using var selectOne = connection.CreateCommand();
        selectOne.CommandText = "SELECT 1;";
        var one = Convert.ToInt64(await selectOne.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM system_configurations;";
        var rows = Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        return (one, rows);
    }

    /// <summary>Inserts or updates a key in one transaction; a null description keeps the existing one.</summary>
    public async Task<ConfigWrite> UpsertAsync(string key, string? value, string? description, DateTimeOffset now)
    {
        await using var connection = await OpenAsync();
        // BEGIN IMMEDIATE (the default here) takes the write lock first, so the old value read below cannot go stale.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();

        string? oldValue;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT value FROM system_configurations WHERE key = $key;";
            read.Parameters.AddWithValue("$key", key);
            var current = await read.ExecuteScalarAsync();
            oldValue = current is null or DBNull ? null : (string)current;
        }

        long version;
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO system_configurations (key, value, description, updated_at, version)
                VALUES ($key, $value, $description, $updatedAt, 1)
                ON CONFLICT(key) DO UPDATE SET
                    value = excluded.value,
                    description = COALESCE(excluded.description, system_configurations.description),
                    updated_at = excluded.updated_at,
                    version = system_configurations.version + 1
                RETURNING version;
                """;
            upsert.Parameters.AddWithValue("$key", key);
            upsert.Parameters.AddWithValue("$value", (object?)value ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$description", (object?)description ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$updatedAt", Format(now));
            version = Convert.ToInt64(await upsert.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        await transaction.CommitAsync();
        return new ConfigWrite(key, oldValue, value, version);
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {_busyTimeoutMs};");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static string Format(DateTimeOffset instant) => instant.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static readonly (string Key, string Value, string Description)[] SampleRows =
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
