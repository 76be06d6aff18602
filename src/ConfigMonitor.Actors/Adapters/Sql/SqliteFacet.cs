using ConfigMonitor.Actors.Targets;
using Microsoft.Data.Sqlite;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Sql;

/// <summary>The connection settings of one SQLite file, shared by every target on it (Microsoft.Data.Sqlite pools by connection string).</summary>
public sealed record SqliteEndpoint(string ConnectionString, string File);

/// <summary>
/// A SQLite facet through Microsoft.Data.Sqlite: the file is opened <c>Mode=ReadOnly</c> (never created) and every probe runs
/// with <c>PRAGMA query_only = ON</c>. SQLite's calls are synchronous, so each runs on the thread pool, never on an actor's
/// thread, and is interrupted (<c>sqlite3_interrupt</c>) when the probe timeout passes.
/// </summary>
public sealed class SqliteFacet(FacetContext context) : IConfigFacet, IDatabaseFacet
{
    private readonly FacetSettings _settings = context.Facet.Settings;

    /// <summary>The node's settings for this file (made on first use).</summary>
    public SqliteEndpoint Endpoint => context.Connections.Shared("sql|sqlite|" + context.Facet.Endpoint, () => CreateEndpoint(context));

    private static SqliteEndpoint CreateEndpoint(FacetContext context)
    {
        var endpoint = context.Facet.Endpoint.Trim();
        var builder = endpoint.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(endpoint)
            : new SqliteConnectionStringBuilder { DataSource = endpoint };
        // Read-only for real: the file is never created nor written, whatever the endpoint said.
        builder.Mode = SqliteOpenMode.ReadOnly;
        builder.DefaultTimeout = SqlQueries.Seconds(context.Target.ProbeTimeout);
        // Every probe opens the file by its path: a pooled connection keeps the file it opened first, so a file moved away or
        // replaced was still read under its new name (a new-user trial). Opening a SQLite file costs microseconds.
        builder.Pooling = false;
        return new SqliteEndpoint(builder.ToString(), builder.DataSource);
    }

    /// <inheritdoc />
    public async Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout)
    {
        var row = await Read("get_config", timeout, SqlQueries.ConfigQuery(_settings), key, 1).ConfigureAwait(false);
        return row is null ? new ConfigValue(key, defaultValue, false) : new ConfigValue(key, SqlQueries.AsText(row[0]) ?? defaultValue, true);
    }

    /// <inheritdoc />
    public async Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout)
    {
        var withMetadata = SqlQueries.IsDefaultConfig(_settings);
        var row = await Read("get_config_with_metadata", timeout, SqlQueries.MetadataQuery(_settings), key, withMetadata ? 4 : 1).ConfigureAwait(false);
        return SqlQueries.Entry(key, row, withMetadata);
    }

    /// <inheritdoc />
    public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) =>
        Run("database_probe", timeout, connection =>
        {
            using var selectOne = connection.CreateCommand();
            selectOne.CommandText = "SELECT 1";
            var one = SqlQueries.AsVersion(selectOne.ExecuteScalar());
            using var count = connection.CreateCommand();
            count.CommandText = SqlQueries.RowCountQuery(_settings);
            return new DatabaseProbeResult(one, SqlQueries.AsVersion(count.ExecuteScalar()));
        });

    private Task<object?[]?> Read(string operation, TimeSpan timeout, string query, string key, int columns) =>
        Run(operation, timeout, connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = query;
            command.Parameters.AddWithValue("@key", key);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var row = new object?[Math.Min(columns, reader.FieldCount)];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            return row;
        });

    private Task<T> Run<T>(string operation, TimeSpan timeout, Func<SqliteConnection, T> work)
    {
        var endpoint = Endpoint;
        return SqlDeadline.Run(operation, timeout, token => Task.Run(() =>
        {
            using var connection = new SqliteConnection(endpoint.ConnectionString);
            connection.Open();
            using var interrupt = token.Register(() => SQLitePCL.raw.sqlite3_interrupt(connection.Handle));
            token.ThrowIfCancellationRequested();
            using (var queryOnly = connection.CreateCommand())
            {
                queryOnly.CommandText = "PRAGMA query_only = ON";
                queryOnly.ExecuteNonQuery();
            }
            return work(connection);
        }, token), (op, e) => Failure(op, e, endpoint));
    }

    private static Exception Failure(string operation, Exception e, SqliteEndpoint endpoint) => e switch
    {
        SqliteException { SqliteErrorCode: 14 } => new ConfigServiceException(operation,
            Redaction.Redact($"cannot open the SQLite file '{endpoint.File}' (it must exist and be readable; the monitor opens it read-only and never creates it): {e.Message}")),
        SqliteException { SqliteErrorCode: 8 } => new ConfigServiceException(operation,
            Redaction.Redact($"the query tried to write to '{endpoint.File}', which the monitor opens read-only: {e.Message}")),
        SqliteException sqlite => new ConfigServiceException(operation, Redaction.Redact($"SQLite error {sqlite.SqliteErrorCode} on '{endpoint.File}': {e.Message}")),
        _ => new ConfigServiceException(operation, Redaction.Redact($"{e.GetType().Name}: {e.Message}")),
    };
}
