using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ConfigMonitor.ConfigService.Storage;

/// <summary>The SQLite table behind the reference service; every call is asynchronous and opens its own connection.</summary>
internal sealed class SqliteConfigStore : IConfigStore
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    public SqliteConfigStore(string databasePath, TimeSpan busyTimeout)
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

    /// <inheritdoc />
    /// <remarks>Also switches the file to WAL.</remarks>
    public async Task<int> InitializeAsync(bool seedSampleRows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS system_configurations (
                key TEXT PRIMARY KEY,
                value TEXT,
                description TEXT,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            """, cancellationToken);
        if (!seedSampleRows)
            return 0;

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = "SELECT COUNT(*) FROM system_configurations;";
            if (Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
                return 0;
        }

        foreach (var (key, value, description) in ConfigStores.SampleRows)
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
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return ConfigStores.SampleRows.Length;
    }

    /// <inheritdoc />
    public async Task<ConfigRow?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, value, description, updated_at, version FROM system_configurations WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new ConfigRow(
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            reader.GetInt64(4));
    }

    /// <inheritdoc />
    public async Task<(long SelectOne, long RowCount)> ProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var selectOne = connection.CreateCommand();
        selectOne.CommandText = "SELECT 1;";
        var one = Convert.ToInt64(await selectOne.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM system_configurations;";
        var rows = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return (one, rows);
    }

    /// <inheritdoc />
    public async Task<ConfigWrite> UpsertAsync(string key, string? value, string? description, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE (the default here) takes the write lock first, so the old value read below cannot go stale.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        string? oldValue;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT value FROM system_configurations WHERE key = $key;";
            read.Parameters.AddWithValue("$key", key);
            var current = await read.ExecuteScalarAsync(cancellationToken);
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
            version = Convert.ToInt64(await upsert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ConfigWrite(key, oldValue, value, version);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {_busyTimeoutMs};", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(DateTimeOffset instant) => instant.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
