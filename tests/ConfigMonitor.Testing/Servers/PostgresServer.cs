using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// A private, throwaway PostgreSQL 15 cluster (Debian's <c>postgresql</c> package) for tests: initdb'd once into a temp folder,
/// served on a free loopback port with its socket in that folder, fsync off. Run as the <c>postgres</c> system user when the
/// tests run as root (PostgreSQL refuses root), as the current user otherwise. Password authentication (scram-sha-256) over
/// TCP, so a wrong password is refused for real. <see cref="StopAsync"/> is a real outage (the server process ends);
/// <see cref="StartAsync"/> brings it back on the same port and data; <see cref="DisposeAsync"/> kills it and deletes the folder.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian puts PostgreSQL 15's server binaries (another installed major version when 15 is absent, newest first).</summary>
    public static readonly string BinDirectory = FindBinDirectory();

    /// <summary>The superuser's name.</summary>
    public const string Superuser = "postgres";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _folder;
    private int _disposed;

    private PostgresServer(string folder, int port, string superuserPassword)
    {
        _folder = folder;
        Port = port;
        SuperuserPassword = superuserPassword;
    }

    /// <summary>True when PostgreSQL 15's initdb, pg_ctl and postgres are installed (and, as root, the postgres user exists).</summary>
    public static bool Available =>
        File.Exists(Path.Combine(BinDirectory, "initdb")) && File.Exists(Path.Combine(BinDirectory, "pg_ctl"))
        && File.Exists(Path.Combine(BinDirectory, "postgres")) && (!RunningAsRoot || PostgresUserExists());

    /// <summary>The loopback port the server listens on (the same across a stop and start).</summary>
    public int Port { get; }

    /// <summary>The superuser's password.</summary>
    public string SuperuserPassword { get; }

    /// <summary>The data directory.</summary>
    public string DataDirectory => Path.Combine(_folder, "data");

    /// <summary>True between a successful start and a stop.</summary>
    public bool Running { get; private set; }

    /// <summary>A connection string without password for <paramref name="database"/> and <paramref name="username"/> (what a target's Endpoint holds).</summary>
    public string Endpoint(string database, string username) => $"Host=127.0.0.1;Port={Port};Database={database};Username={username}";

    /// <summary>A superuser connection string (with its password) for <paramref name="database"/>.</summary>
    public string SuperuserConnectionString(string database = "postgres") =>
        $"{Endpoint(database, Superuser)};Password={SuperuserPassword};Pooling=false;Timeout=10;Command Timeout=30";

    /// <summary>initdb a new cluster in a temp folder, then start it. Takes a second or two; share one per test class.</summary>
    public static async Task<PostgresServer> CreateAsync()
    {
        if (!Available) throw new InvalidOperationException($"PostgreSQL 15 is not installed in {BinDirectory}");
        var folder = Path.Combine(Path.GetTempPath(), "configmonitor-postgres", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(folder, LoopbackPorts.Free(), "super-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (RunningAsRoot) await RunAsync("chown", [$"{Superuser}:{Superuser}", folder], asServerUser: false);
            var passwordFile = Path.Combine(folder, "superuser-password");
            await File.WriteAllTextAsync(passwordFile, server.SuperuserPassword + "\n");
            if (RunningAsRoot) await RunAsync("chown", [$"{Superuser}:{Superuser}", passwordFile], asServerUser: false);
            await RunAsync(Path.Combine(BinDirectory, "initdb"),
            [
                "-D", server.DataDirectory, "-U", Superuser, "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ], asServerUser: true);
            File.Delete(passwordFile);
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on the same port and data, and returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        var options = $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                      "-c full_page_writes=off -c max_connections=200 -c shared_buffers=16MB";
        await RunAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", DataDirectory, "-o", options, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "start"], asServerUser: true);
        Running = true;
    }

    /// <summary>A real outage: the server process ends at once (pg_ctl's immediate mode), dropping every connection.</summary>
    public async Task StopAsync()
    {
        Running = false;
        await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], asServerUser: true);
    }

    /// <summary>Runs <paramref name="sql"/> as the superuser in <paramref name="database"/>.</summary>
    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row of <paramref name="sql"/> as the superuser in <paramref name="database"/>.</summary>
    public async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    /// <summary>Creates a database (owned by the superuser).</summary>
    public Task CreateDatabaseAsync(string database) => ExecuteAsync("postgres", $"CREATE DATABASE \"{database}\"");

    /// <summary>
    /// Creates a login role with <paramref name="password"/> that may connect to <paramref name="database"/> and read every table of
    /// its public schema; with <paramref name="canWrite"/> it may also insert, update and delete (to prove it is the monitor's
    /// read-only transaction, not the grants, that stops a write).
    /// </summary>
    public async Task CreateRoleAsync(string role, string password, string database, bool canWrite = false)
    {
        await ExecuteAsync("postgres", $"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'");
        await ExecuteAsync("postgres", $"GRANT CONNECT ON DATABASE \"{database}\" TO \"{role}\"");
        var rights = canWrite ? "SELECT, INSERT, UPDATE, DELETE" : "SELECT";
        await ExecuteAsync(database, $"GRANT USAGE ON SCHEMA public TO \"{role}\"; GRANT {rights} ON ALL TABLES IN SCHEMA public TO \"{role}\"; " +
                                     $"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \"{role}\"");
    }

    /// <summary>
    /// Creates <paramref name="database"/> with the reference schema, <c>system_configurations(key text primary key, value text,
    /// description text, updated_at timestamptz, version bigint)</c>, holding <paramref name="rows"/> (key, value, description, version).
    /// </summary>
    public async Task CreateConfigDatabaseAsync(string database, params (string Key, string? Value, string? Description, long Version)[] rows)
    {
        await CreateDatabaseAsync(database);
        await ExecuteAsync(database,
            "CREATE TABLE system_configurations(key text PRIMARY KEY, value text, description text, updated_at timestamptz, version bigint)");
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync();
        foreach (var (key, value, description, version) in rows)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO system_configurations(key, value, description, updated_at, version) VALUES (@k, @v, @d, @u, @n)", connection);
            insert.Parameters.AddWithValue("k", key);
            insert.Parameters.AddWithValue("v", (object?)value ?? DBNull.Value);
            insert.Parameters.AddWithValue("d", (object?)description ?? DBNull.Value);
            insert.Parameters.AddWithValue("u", new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
            insert.Parameters.AddWithValue("n", version);
            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Kills the server and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopped, or never started: the folder goes anyway.
            }
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process: the OS temp cleaner takes the rest.
        }
    }

    private static string FindBinDirectory()
    {
        const string preferred = "/usr/lib/postgresql/15/bin";
        if (File.Exists(Path.Combine(preferred, "initdb")) || !Directory.Exists("/usr/lib/postgresql")) return preferred;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Directory, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Directory)
            .FirstOrDefault() ?? preferred;
    }

    private static bool RunningAsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    private static bool PostgresUserExists() =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(l => l.StartsWith(Superuser + ":", StringComparison.Ordinal));

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asServerUser)
    {
        var start = new ProcessStartInfo(asServerUser && RunningAsRoot ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asServerUser && RunningAsRoot)
        {
            foreach (var a in new[] { "-u", Superuser, "--", program }) start.ArgumentList.Add(a);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish within {CommandTimeout.TotalSeconds} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }
}
