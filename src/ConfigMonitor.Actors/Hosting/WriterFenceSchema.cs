using Npgsql;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// The fence at the database (PostgreSQL mode): every node process writes to the journal under an application name of its own
/// (<c>configmonitor/&lt;incarnation&gt;</c>), registered with its Akka address and uid; when the cluster downs a member, the
/// survivors record it in <c>configmonitor_fenced</c>, and a statement-level trigger on the journal and snapshot tables refuses
/// any write (insert, update, delete) from a session whose incarnation belongs to a fenced member. The SQL lives here so a spec
/// can run it against a real PostgreSQL without an actor system.
/// </summary>
public static class WriterFenceSchema
{
    /// <summary>The start of every journal session's application name; the incarnation (32 hex digits) follows.</summary>
    public const string ApplicationNamePrefix = "configmonitor/";

    /// <summary>The SQLSTATE of a write refused by the fence (class "CM" is not PostgreSQL's: nothing else raises it).</summary>
    public const string RefusedSqlState = "CMF01";

    /// <summary>The start of the refusal's message.</summary>
    public const string RefusedMessage = "configmonitor fence: writer";

    /// <summary>The journal's table (Akka.Persistence.Sql's default mapping, in the connection's current schema).</summary>
    public const string JournalTable = "journal";

    /// <summary>The snapshot store's table (Akka.Persistence.Sql's default mapping).</summary>
    public const string SnapshotTable = "snapshot";

    /// <summary>The trigger's name on each fenced table.</summary>
    public const string TriggerName = "configmonitor_fence";

    // One lock for the schema set-up, so that nodes starting together do not race on CREATE (which PostgreSQL reports as a
    // duplicate key in pg_type when two sessions create the same table at once).
    private const long SchemaLock = 0x636D_6665_6E63_6501; // "cmfence\x01"

    /// <summary>The application name of <paramref name="incarnation"/>'s sessions (46 characters; PostgreSQL keeps 63).</summary>
    public static string ApplicationName(Guid incarnation) => ApplicationNamePrefix + Incarnation(incarnation);

    /// <summary>The incarnation as stored: 32 lower-case hex digits.</summary>
    public static string Incarnation(Guid incarnation) => incarnation.ToString("N");

    /// <summary><paramref name="connectionString"/> with <paramref name="incarnation"/>'s application name (replacing any).</summary>
    public static string WithIncarnation(string connectionString, Guid incarnation) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName(incarnation) }.ConnectionString;

    /// <summary>True when <paramref name="error"/> (or an exception inside it) is a write the fence refused.</summary>
    public static bool IsRefusal(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: RefusedSqlState }) return true;
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsRefusal)) return true;
        }
        return false;
    }

    /// <summary>
    /// Creates the fence's tables and trigger function (idempotent, under an advisory lock), and the triggers on the journal and
    /// snapshot tables that exist now. Returns the tables that do not exist yet (the journal creates them when it first starts).
    /// </summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({SchemaLock})", cancellationToken);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS configmonitor_incarnations (
                incarnation text PRIMARY KEY,
                akka_address text NOT NULL,
                akka_uid bigint NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now());
            CREATE INDEX IF NOT EXISTS configmonitor_incarnations_member ON configmonitor_incarnations (akka_address, akka_uid);
            CREATE TABLE IF NOT EXISTS configmonitor_fenced (
                akka_address text NOT NULL,
                akka_uid bigint NOT NULL,
                fenced_at timestamptz NOT NULL DEFAULT now(),
                reason text NOT NULL,
                PRIMARY KEY (akka_address, akka_uid));
            CREATE OR REPLACE FUNCTION configmonitor_fence_check() RETURNS trigger LANGUAGE plpgsql AS $fence$
            DECLARE
                writer text := current_setting('application_name', true);
                member record;
            BEGIN
                -- Sessions that are not a node's journal (an operator, a migration, an older node) pass.
                IF writer IS NULL OR left(writer, 14) <> 'configmonitor/' THEN
                    RETURN NULL;
                END IF;
                SELECT i.akka_address, i.akka_uid, f.reason, f.fenced_at INTO member
                FROM configmonitor_incarnations i
                JOIN configmonitor_fenced f ON f.akka_address = i.akka_address AND f.akka_uid = i.akka_uid
                WHERE i.incarnation = substr(writer, 15);
                IF FOUND THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'CMF01',
                        MESSAGE = format('configmonitor fence: writer %s belongs to a node the cluster removed (%s, uid %s, fenced at %s: %s)',
                            substr(writer, 15), member.akka_address, member.akka_uid, member.fenced_at, member.reason),
                        HINT = 'the node must stop writing and restart; the members that took its targets over own their history now';
                END IF;
                RETURN NULL;
            END
            $fence$;
            """, cancellationToken);
        var missing = new List<string>();
        foreach (var table in new[] { JournalTable, SnapshotTable })
        {
            if (!await ExistsAsync(connection, transaction, table, cancellationToken))
            {
                missing.Add(table);
                continue;
            }
            await using var has = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = @name AND tgrelid = to_regclass(@table))", connection, transaction);
            has.Parameters.AddWithValue("name", TriggerName);
            has.Parameters.AddWithValue("table", table);
            if ((bool)(await has.ExecuteScalarAsync(cancellationToken))!) continue;
            // Statement level: one check per write statement, however many rows it holds. DELETE too: a removed node deletes nothing.
            await ExecuteAsync(connection, transaction,
                $"CREATE TRIGGER {TriggerName} BEFORE INSERT OR UPDATE OR DELETE ON \"{table}\" FOR EACH STATEMENT EXECUTE FUNCTION configmonitor_fence_check()",
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return missing;
    }

    /// <summary>
    /// The advisory lock held by the one node that has the journal create its tables on a new database, so that nodes starting
    /// together do not run the plugin's CREATE TABLE IF NOT EXISTS at once (PostgreSQL answers the loser with a duplicate key in pg_type).
    /// </summary>
    public const long JournalCreationLock = 0x636D_6665_6E63_6502; // "cmfence\x02"

    /// <summary>Waits for, and takes, the session lock under which one node has the journal create its tables.</summary>
    public static async Task LockJournalCreationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({JournalCreationLock})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Releases the lock of <see cref="LockJournalCreationAsync"/>.</summary>
    public static async Task UnlockJournalCreationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({JournalCreationLock})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records that <paramref name="incarnation"/> is the node process at <paramref name="akkaAddress"/> with <paramref name="akkaUid"/>.</summary>
    public static async Task RegisterAsync(NpgsqlConnection connection, Guid incarnation, string akkaAddress, long akkaUid, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO configmonitor_incarnations (incarnation, akka_address, akka_uid) VALUES (@incarnation, @address, @uid) ON CONFLICT (incarnation) DO NOTHING",
            connection);
        command.Parameters.AddWithValue("incarnation", Incarnation(incarnation));
        command.Parameters.AddWithValue("address", akkaAddress);
        command.Parameters.AddWithValue("uid", akkaUid);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Fences the member at <paramref name="akkaAddress"/> with <paramref name="akkaUid"/>: records it (once; every survivor may),
    /// then ends those of its database sessions that are not idle (waiting up to <paramref name="sessionEndTimeout"/> each), so that a
    /// transaction it began before the fence (a batch in flight when it was paused or cut off) is rolled back, not committed after the
    /// survivors read the journal. Returns the number of sessions ended. Idle sessions are left open: the trigger refuses their next
    /// write with the fence's own error. Sessions of roles the caller may not signal are left to the trigger.
    /// </summary>
    public static async Task<int> FenceAsync(NpgsqlConnection connection, string akkaAddress, long akkaUid, string reason, TimeSpan sessionEndTimeout,
        CancellationToken cancellationToken)
    {
        await using (var record = new NpgsqlCommand(
            "INSERT INTO configmonitor_fenced (akka_address, akka_uid, reason) VALUES (@address, @uid, @reason) ON CONFLICT (akka_address, akka_uid) DO NOTHING",
            connection))
        {
            record.Parameters.AddWithValue("address", akkaAddress);
            record.Parameters.AddWithValue("uid", akkaUid);
            record.Parameters.AddWithValue("reason", reason);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var end = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid, @wait))::int
            FROM pg_stat_activity a
            WHERE a.application_name IN (SELECT 'configmonitor/' || i.incarnation FROM configmonitor_incarnations i
                                         WHERE i.akka_address = @address AND i.akka_uid = @uid)
              AND a.pid <> pg_backend_pid()
              AND a.state <> 'idle'  -- an idle session has nothing in flight; the trigger refuses its next write
              AND pg_has_role(a.usesysid, 'MEMBER')
            """, connection);
        end.Parameters.AddWithValue("address", akkaAddress);
        end.Parameters.AddWithValue("uid", akkaUid);
        end.Parameters.AddWithValue("wait", (long)sessionEndTimeout.TotalMilliseconds);
        return (int)(await end.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection, transaction);
        command.Parameters.AddWithValue("table", table);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
