using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>Prepares the node's SQLite file before the journal opens it.</summary>
public static class SqliteStore
{
    /// <summary>
    /// Creates the data folder and switches the file to WAL, so queries read while the single writer writes;
    /// the busy timeout of the connection string makes a writer wait for the lock instead of failing.
    /// A folder that cannot be created is a configuration problem (<see cref="InvalidConfigMonitorOptionsException"/>);
    /// a file that cannot be opened now (locked, disk full) is <see cref="JournalUnavailableException"/>.
    /// </summary>
    public static async Task PrepareAsync(ConfigMonitorOptions options, CancellationToken cancellationToken = default)
    {
        // The data folder is made in every mode: the demo service's file and the disk_space check live there too.
        var folder = options.Persistence == PersistenceProvider.Sqlite
            ? Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(options.EffectiveConnectionString).DataSource))
            : Path.GetFullPath(options.DataDirectory);
        try
        {
            if (folder is not null) Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidConfigMonitorOptionsException(
                [$"setting '{ConfigMonitorOptionsReader.SectionName}:DataDirectory' resolves to '{folder}', which cannot be created: {e.Message}"]);
        }
        if (options.Persistence != PersistenceProvider.Sqlite) return;
        var builder = new SqliteConnectionStringBuilder(options.EffectiveConnectionString);
        try
        {
            await using var connection = new SqliteConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = (string?)await command.ExecuteScalarAsync(cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new JournalUnavailableException($"the SQLite journal {builder.DataSource} refused WAL mode (got '{mode}')");
        }
        catch (SqliteException e)
        {
            throw new JournalUnavailableException($"the SQLite journal {builder.DataSource} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>The connection string with any password replaced by <c>***</c>, for the start-up log line.</summary>
    public static string Redacted(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (var key in builder.Keys.Cast<string>().ToList())
        {
            if (key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant() is "password" or "pwd")
                builder[key] = "***";
        }
        return builder.ConnectionString;
    }
}

/// <summary>The journal cannot be reached at start (a locked or unreadable file, a database down): a cause that may pass.</summary>
public sealed class JournalUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
