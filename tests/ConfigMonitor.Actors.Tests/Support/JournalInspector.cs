using Microsoft.Data.Sqlite;

namespace ConfigMonitor.Actors.Tests.Support;

/// <summary>Reads the node's SQLite journal directly, to prove what is (and is not) stored.</summary>
public static class JournalInspector
{
    public static async Task<long> CountEventsAsync(string dataDirectory, string persistenceId) =>
        await ScalarAsync(dataDirectory, "SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND deleted = 0", persistenceId);

    public static async Task<long> CountSnapshotsAsync(string dataDirectory, string persistenceId) =>
        await ScalarAsync(dataDirectory, "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id", persistenceId);

    private static async Task<long> ScalarAsync(string dataDirectory, string sql, string persistenceId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "configmonitor.db")};Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
