using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace ConfigMonitor.ConfigService.Storage;

/// <summary>
/// The <c>system_configurations</c> table in PostgreSQL, through one pooled <see cref="NpgsqlDataSource"/>. Every call opens a
/// pooled connection and ends within <c>timeout</c>: past it the call is cancelled and fails with a <see cref="TimeoutException"/>.
/// </summary>
internal sealed class PostgresConfigStore : IConfigStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _timeout;

    public PostgresConfigStore(string connectionString, TimeSpan timeout)
    {
        _timeout = timeout;
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true });
    }

    /// <inheritdoc />
    public Task<int> InitializeAsync(bool seedSampleRows, DateTimeOffset now, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using (var create = new NpgsqlCommand("""
                CREATE TABLE IF NOT EXISTS system_configurations (
                    key text PRIMARY KEY,
                    value text,
                    description text,
                    updated_at timestamptz NOT NULL,
                    version bigint NOT NULL
                )
                """, connection))
            {
                await create.ExecuteNonQueryAsync(token);
            }
            if (!seedSampleRows)
                return 0;

            await using var transaction = await connection.BeginTransactionAsync(token);
            // Two services starting on one empty table must not both seed it: the lock makes the second see the first's rows.
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE system_configurations IN SHARE ROW EXCLUSIVE MODE", connection, transaction))
                await lockTable.ExecuteNonQueryAsync(token);
            await using (var count = new NpgsqlCommand("SELECT COUNT(*) FROM system_configurations", connection, transaction))
            {
                if (Convert.ToInt64(await count.ExecuteScalarAsync(token), CultureInfo.InvariantCulture) > 0)
                    return 0;
            }

            await using var insert = new NpgsqlCommand("""
                INSERT INTO system_configurations (key, value, description, updated_at, version)
                SELECT key, value, description, @updatedAt, 1 FROM unnest(@keys, @values, @descriptions) AS s(key, value, description)
                """, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("updatedAt", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
            insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ConfigStores.SampleRows.Select(r => r.Key).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]>("values", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ConfigStores.SampleRows.Select(r => r.Value).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]>("descriptions", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ConfigStores.SampleRows.Select(r => r.Description).ToArray() });
            var seeded = await insert.ExecuteNonQueryAsync(token);
            await transaction.CommitAsync(token);
            return seeded;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigRow?> ReadAsync(string key, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT key, value, description, updated_at, version FROM system_configurations WHERE key = @key");
            command.Parameters.Add(new NpgsqlParameter<string>("key", NpgsqlDbType.Text) { TypedValue = key });
            await using var reader = await command.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token))
                return null;
            return new ConfigRow(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt64(4));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<(long SelectOne, long RowCount)> ProbeAsync(CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var selectOne = new NpgsqlCommand("SELECT 1", connection);
            var one = Convert.ToInt64(await selectOne.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
            await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM system_configurations", connection);
            var rows = Convert.ToInt64(await count.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
            return (one, rows);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWrite> UpsertAsync(string key, string? value, string? description, DateTimeOffset now, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            // Writers of one key take turns, so the old value read below is the one this write replaces, even when two
            // writers insert a new key at once (a row lock cannot serialise them: there is no row yet).
            await using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", connection, transaction))
            {
                turn.Parameters.Add(new NpgsqlParameter<string>("key", NpgsqlDbType.Text) { TypedValue = key });
                await turn.ExecuteNonQueryAsync(token);
            }

            // The CTE reads the row as it was before this statement (one snapshot for the whole statement); no FOR UPDATE, which
            // would skip the row once the statement itself has updated it, and the advisory lock already keeps other writers out.
            await using var upsert = new NpgsqlCommand("""
                WITH old AS MATERIALIZED (SELECT value FROM system_configurations WHERE key = @key)
                INSERT INTO system_configurations AS c (key, value, description, updated_at, version)
                VALUES (@key, @value, @description, @updatedAt, 1)
                ON CONFLICT (key) DO UPDATE SET
                    value = excluded.value,
                    description = COALESCE(excluded.description, c.description),
                    updated_at = excluded.updated_at,
                    version = c.version + 1
                RETURNING c.version, (SELECT value FROM old)
                """, connection, transaction);
            upsert.Parameters.Add(new NpgsqlParameter<string>("key", NpgsqlDbType.Text) { TypedValue = key });
            upsert.Parameters.Add(new NpgsqlParameter("value", NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
            upsert.Parameters.Add(new NpgsqlParameter("description", NpgsqlDbType.Text) { Value = (object?)description ?? DBNull.Value });
            upsert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("updatedAt", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
            long version;
            string? oldValue;
            await using (var reader = await upsert.ExecuteReaderAsync(token))
            {
                if (!await reader.ReadAsync(token))
                    throw new InvalidOperationException($"the upsert of {key} returned no row");
                version = reader.GetInt64(0);
                oldValue = reader.IsDBNull(1) ? null : reader.GetString(1);
            }

            await transaction.CommitAsync(token);
            return new ConfigWrite(key, oldValue, value, version);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // Npgsql's own Timeout/Command Timeout may be longer than the service's; this deadline is the one a caller sees.
    private async Task<T> WithinTimeoutAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (Exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // No inner exception: callers report GetBaseException(), which would be Npgsql's "canceling statement due to user request".
            throw new TimeoutException($"PostgreSQL did not answer within {ConfigMonitor.Actors.Targets.Durations.Format(_timeout)}");
        }
    }
}
