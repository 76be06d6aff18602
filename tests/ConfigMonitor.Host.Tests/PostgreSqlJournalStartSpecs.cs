using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Hosting;
using Npgsql;

namespace ConfigMonitor.Host.Tests;

/// <summary>One private PostgreSQL for the journal start specs: a database, a role with a known password, a role without CREATE.</summary>
public sealed class JournalStartPostgres : IAsyncLifetime
{
    public const string Database = "journal_start";
    public const string LimitedRole = "limited";
    public const string MonitorRole = "monitor";

    /// <summary>The server, or null when PostgreSQL is not installed.</summary>
    public PostgresServer? Server { get; private set; }

    /// <summary>The monitor role's real password (the specs log in with other ones).</summary>
    public string MonitorPassword { get; } = "right-" + Guid.NewGuid().ToString("N");

    /// <summary>The limited role's password.</summary>
    public string LimitedPassword { get; } = "limited-" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        Server = await PostgresServer.CreateAsync();
        await Server.CreateDatabaseAsync(Database);
        await Server.ExecuteAsync("postgres", $"CREATE ROLE {MonitorRole} LOGIN PASSWORD '{MonitorPassword}'");
        // CONNECT and USAGE on public but, as PostgreSQL 15 does by default, no CREATE on it: the journal's tables cannot be made.
        await Server.CreateRoleAsync(LimitedRole, LimitedPassword, Database, canWrite: true);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

/// <summary>
/// A node whose PostgreSQL journal cannot be used at start, run as the operator runs it (the node process) against a real
/// PostgreSQL: for each class of failure it is alive but not ready (503 with the reason), says why in exactly one log line naming
/// the database (never the password) and what to do, writes no stack trace, and after ConfigMonitor:JournalStartTimeout exits
/// with code 3 and one line on stderr; when PostgreSQL comes back within the wait, the node starts and becomes ready.
/// </summary>
public sealed class PostgreSqlJournalStartSpecs(JournalStartPostgres postgres) : IClassFixture<JournalStartPostgres>, IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _work = TempDirectory.ForNode();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    // The password each case puts in its connection string: it must appear in no output and no answer.
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");

    public enum FailureClass { Down, WrongPassword, DatabaseMissing, NoCreateRight, HostHangs }

    private string[] Args(string connectionString, string startTimeout) =>
    [
        "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0", $"--ConfigMonitor:DataDirectory={Path.Combine(_work.Path, "data")}",
        "--ConfigMonitor:Persistence=PostgreSql", $"--ConfigMonitor:ConnectionString={connectionString}",
        $"--ConfigMonitor:JournalStartTimeout={startTimeout}",
    ];

    private static string ConnectionString(int port, string database, string user, string password) =>
        $"Host=127.0.0.1;Port={port};Database={database};Username={user};Password={password}";

    [SkippableTheory]
    [InlineData(FailureClass.Down, "nothing accepts connections at 127.0.0.1:", "start PostgreSQL")]
    [InlineData(FailureClass.WrongPassword, "refused the login of user monitor (28P01", "check Username and Password")]
    [InlineData(FailureClass.DatabaseMissing, "database no_such_database does not exist", "CREATE DATABASE \"no_such_database\"")]
    [InlineData(FailureClass.NoCreateRight, "user limited may not create the journal's tables in schema public", "GRANT CREATE ON SCHEMA public TO limited")]
    [InlineData(FailureClass.HostHangs, "did not answer a login within", "no firewall drops the traffic")]
    public async Task A_node_whose_journal_cannot_be_used_is_not_ready_says_why_once_and_exits_3(FailureClass failure, string reason, string advice)
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var server = postgres.Server!;
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        var held = new List<TcpClient>();
        string connection;
        switch (failure)
        {
            case FailureClass.Down:
                connection = ConnectionString(LoopbackPorts.Free(), JournalStartPostgres.Database, PostgresServer.Superuser, _password);
                break;
            case FailureClass.WrongPassword:
                connection = ConnectionString(server.Port, JournalStartPostgres.Database, JournalStartPostgres.MonitorRole, _password);
                break;
            case FailureClass.DatabaseMissing:
                // The right password for a database that is not there: the password is still what must never show.
                connection = ConnectionString(server.Port, "no_such_database", JournalStartPostgres.MonitorRole, postgres.MonitorPassword);
                break;
            case FailureClass.NoCreateRight:
                connection = ConnectionString(server.Port, JournalStartPostgres.Database, JournalStartPostgres.LimitedRole, postgres.LimitedPassword);
                break;
            default:
                // Accepts the TCP connection and never says a word, as a host behind a black-holing firewall or a frozen server does.
                silent.Start();
                _ = Task.Run(async () =>
                {
                    while (true)
                    {
                        try
                        {
                            var client = await silent.AcceptTcpClientAsync();
                            lock (held) held.Add(client);
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException)
                        {
                            return;
                        }
                    }
                });
                connection = ConnectionString(((IPEndPoint)silent.LocalEndpoint).Port, JournalStartPostgres.Database, PostgresServer.Superuser, _password);
                break;
        }
        var secret = Regex.Match(connection, "Password=([^;]+)").Groups[1].Value;

        // A silent host costs a whole attempt (10 s) before the reason is known: a longer wait, so the API can be asked meanwhile.
        using var node = NodeProcess.Start(_work.Path, Args(connection, failure == FailureClass.HostHangs ? "25s" : "12s"));
        var api = await ApiAddressAsync(node);
        string? readyBody = null;
        await Eventually.AssertAsync(async () =>
        {
            var response = await _http.GetAsync(new Uri(api, "/health/ready"));
            readyBody = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.ServiceUnavailable && readyBody.Contains(reason, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), $"/health/ready should answer 503 naming '{reason}' while the node waits for its journal");
        var live = await _http.GetAsync(new Uri(api, "/health/live"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var answers = readyBody + await live.Content.ReadAsStringAsync()
                                + await (await _http.GetAsync(new Uri(api, "/api/cluster"))).Content.ReadAsStringAsync()
                                + await (await _http.GetAsync(new Uri(api, "/api/targets"))).Content.ReadAsStringAsync();

        Assert.True(await node.WaitForExitAsync(ExitTimeout), "the node should give up and exit on its own");
        lock (held) held.ForEach(c => c.Dispose());
        Assert.True(node.ExitCode == ExitCodes.Transient,
            $"exit code {node.ExitCode}, expected {ExitCodes.Transient}.{Environment.NewLine}stderr:{Environment.NewLine}{node.StandardError}{Environment.NewLine}stdout:{Environment.NewLine}{node.StandardOutput}");

        var stdout = node.StandardOutput;
        var logLines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var saying = logLines.Where(l => l.Contains(reason, StringComparison.Ordinal)).ToList();
        Assert.True(saying.Count == 1, $"the reason should be logged exactly once, it was {saying.Count} times:{Environment.NewLine}{stdout}");
        Assert.Contains(advice, saying[0]);
        Assert.Contains($"database {(failure == FailureClass.DatabaseMissing ? "no_such_database" : JournalStartPostgres.Database)}", saying[0]);
        Assert.Contains("exits with code 3", saying[0]);
        var exitLine = Assert.Single(node.StandardErrorLines);
        Assert.Contains(reason, exitLine);
        Assert.Contains("exiting with code 3", exitLine);
        Assert.DoesNotContain("   at ", stdout + node.StandardError);
        Assert.DoesNotContain("Exception", stdout + node.StandardError);
        // Akka.Persistence.Sql never started: none of its failing initialisations.
        Assert.DoesNotContain("Failed to initialize SQL", stdout);
        foreach (var text in new[] { stdout, node.StandardError, answers })
            Assert.DoesNotContain(secret, text);
    }

    [SkippableFact]
    public async Task A_node_started_while_postgresql_is_down_starts_once_postgresql_is_back()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        await using var server = await PostgresServer.CreateAsync();
        await server.CreateDatabaseAsync("comes_back");
        var secret = server.SuperuserPassword;
        await server.StopAsync();

        using var node = NodeProcess.Start(_work.Path, Args(server.SuperuserConnectionString("comes_back"), "90s"));
        var api = await ApiAddressAsync(node);
        await Eventually.AssertAsync(async () =>
        {
            var response = await _http.GetAsync(new Uri(api, "/health/ready"));
            return response.StatusCode == HttpStatusCode.ServiceUnavailable
                   && (await response.Content.ReadAsStringAsync()).Contains("nothing accepts connections", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the node should be not ready while PostgreSQL is down");

        await server.StartAsync();
        string answers = "";
        await Eventually.AssertAsync(async () =>
        {
            var response = await _http.GetAsync(new Uri(api, "/health/ready"));
            answers = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK;
        }, ReadyTimeout, "the node should start and become ready once PostgreSQL is back");
        // It really runs on the journal: the registry's recovery made the tables, and the demo target is monitored.
        Assert.NotNull(await server.ScalarAsync("comes_back", "SELECT to_regclass('journal')::text"));
        await Eventually.AssertAsync(async () => (await _http.GetAsync(new Uri(api, "/api/targets/demo"))).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the demo target should be served");
        answers += await (await _http.GetAsync(new Uri(api, "/api/cluster"))).Content.ReadAsStringAsync();

        await node.SignalAsync("TERM");
        Assert.True(await node.WaitForExitAsync(ExitTimeout), "the node should stop on SIGTERM");
        Assert.Equal(ExitCodes.Stopped, node.ExitCode);
        var stdout = node.StandardOutput;
        Assert.Single(stdout.Split('\n'), l => l.Contains("nothing accepts connections", StringComparison.Ordinal));
        Assert.Contains("can be used now", stdout);
        Assert.DoesNotContain("Failed to initialize SQL", stdout);
        foreach (var text in new[] { stdout, node.StandardError, answers })
            Assert.DoesNotContain(secret, text);
    }

    [SkippableFact]
    public async Task A_node_waiting_for_another_to_create_the_journal_tables_should_not_create_them_when_its_readiness_is_asked()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var server = postgres.Server!;
        await server.CreateDatabaseAsync("created_once");
        // Another node creating the journal's tables on this new database: it holds the lock the whole time.
        await using var other = new NpgsqlConnection(server.SuperuserConnectionString("created_once"));
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({WriterFenceSchema.JournalCreationLock})", other))
            await take.ExecuteNonQueryAsync();

        using var node = NodeProcess.Start(_work.Path, Args(server.SuperuserConnectionString("created_once"), "90s"));
        var api = await ApiAddressAsync(node);
        await Eventually.AssertAsync(async () => (long)(await server.ScalarAsync("created_once",
                $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = {WriterFenceSchema.JournalCreationLock & 0xFFFF_FFFF}"))! == 1,
            TimeSpan.FromSeconds(60), "the node should wait for the journal creation lock");
        // Its readiness, asked while it waits, must not start its journal (whose auto-initialisation would create the tables
        // beside the other node's creation, the race that ends in a duplicate key in pg_type).
        for (var i = 0; i < 10; i++)
        {
            var response = await _http.GetAsync(new Uri(api, "/health/ready"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("the actor system is starting", await response.Content.ReadAsStringAsync());
            await Task.Delay(200); // the pace of a readiness probe, not a wait for a result
        }
        Assert.Null(await server.ScalarAsync("created_once", "SELECT to_regclass('journal')::text"));
        Assert.Null(await server.ScalarAsync("created_once", "SELECT to_regclass('snapshot')::text"));

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({WriterFenceSchema.JournalCreationLock})", other))
            await release.ExecuteNonQueryAsync();
        await Eventually.AssertAsync(async () => (await _http.GetAsync(new Uri(api, "/health/ready"))).StatusCode == HttpStatusCode.OK,
            ReadyTimeout, "the node should create the tables and become ready once the lock is free");
        Assert.NotNull(await server.ScalarAsync("created_once", "SELECT to_regclass('journal')::text"));
        await node.SignalAsync("TERM");
        Assert.True(await node.WaitForExitAsync(ExitTimeout), "the node should stop on SIGTERM");
        Assert.DoesNotContain("duplicate key", node.StandardOutput);
    }

    [SkippableFact]
    public async Task The_connection_string_password_is_in_no_log_line_and_no_answer_even_with_debug_logging()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var server = postgres.Server!;
        await server.ExecuteAsync("postgres", "CREATE DATABASE never_logged OWNER monitor");
        var secret = postgres.MonitorPassword;
        // Every category at Debug (ours, ASP.NET Core's, the health checks'): a password that any of them wrote would show.
        using var node = NodeProcess.Start(_work.Path,
        [
            .. Args(ConnectionString(server.Port, "never_logged", JournalStartPostgres.MonitorRole, secret), "60s"),
            "--Logging:LogLevel:Default=Debug", "--Logging:LogLevel:Microsoft=Debug", "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=Debug",
            "--ConfigMonitor:Targets:demo:Performance:Interval=1s",
        ]);
        var api = await ApiAddressAsync(node);
        await Eventually.AssertAsync(async () => (await _http.GetAsync(new Uri(api, "/health/ready"))).StatusCode == HttpStatusCode.OK,
            ReadyTimeout, "the node should become ready on PostgreSQL");
        await Eventually.AssertAsync(async () => (await _http.GetAsync(new Uri(api, "/api/targets/demo/metrics"))).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the demo target should have metrics");

        var answers = new List<string>();
        foreach (var path in new[]
                 {
                     "/health", "/health/ready", "/health/live", "/api/cluster", "/api/targets", "/api/targets/demo", "/api/targets/demo/metrics",
                     "/api/alerts", "/metrics", "/api/targets/no-such-target", "/api/targets/demo/metrics/no_such_metric/summary?window=nonsense",
                     "/no/such/route",
                 })
        {
            var response = await _http.GetAsync(new Uri(api, path));
            answers.Add($"{path} {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        // A refused write: its error answer must not carry the password either.
        var malformed = await _http.PostAsync(new Uri(api, "/api/targets"), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        answers.Add($"malformed {(int)malformed.StatusCode}: {await malformed.Content.ReadAsStringAsync()}");
        Assert.Contains(answers, a => a.StartsWith("/api/cluster 200", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("/health/ready 200", StringComparison.Ordinal));

        await node.SignalAsync("TERM");
        Assert.True(await node.WaitForExitAsync(ExitTimeout), "the node should stop on SIGTERM");
        Assert.Equal(ExitCodes.Stopped, node.ExitCode);
        var stdout = node.StandardOutput;
        Assert.Contains("dbug:", stdout);
        Assert.Contains("database PostgreSql (host 127.0.0.1", stdout);
        foreach (var line in stdout.Split('\n').Concat(node.StandardErrorLines).Concat(answers))
            Assert.False(line.Contains(secret, StringComparison.Ordinal), $"the password shows in: {line}");
    }

    private static async Task<Uri> ApiAddressAsync(NodeProcess node)
    {
        await node.WaitForOutputAsync("Now listening on: ", TimeSpan.FromSeconds(30));
        var match = Regex.Match(node.StandardOutput, @"Now listening on: (http://\S+)");
        return new Uri(match.Groups[1].Value);
    }

    public void Dispose()
    {
        _http.Dispose();
        _work.Dispose();
    }
}
