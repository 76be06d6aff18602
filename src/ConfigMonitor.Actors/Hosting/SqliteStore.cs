using Microsoft.Data.Sqlite;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>Prepares the node's SQLite file before the journal opens it.</summary>
public static class SqliteStore
{
    /// <summary>
    /// Creates the data folder and switches the file to WAL, so queries read while the single writer writes;
    /// the busy timeout of the connection string makes a writer wait for the lock instead of failing.
    /// </summary>
    public static async Task PrepareAsync(ConfigMonitorOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Persistence != PersistenceProvider.Sqlite) return;
        var builder = new SqliteConnectionStringBuilder(options.EffectiveConnectionString);
        var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (folder is not null) Directory.CreateDirectory(folder);
        await using var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = (string?)await command.ExecuteScalarAsync(cancellationToken);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite file {builder.DataSource} refused WAL mode (got '{mode}')");
    }
}
