using System.Net.Sockets;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ConfigMonitor.Host;

/// <summary>Where a PostgreSQL journal is, for operators: host, port, database and user — never the password.</summary>
public sealed record PostgresJournalAddress(string Host, int Port, string Database, string User)
{
    /// <summary>Reads the parts of <paramref name="connectionString"/> that may be shown (Npgsql's defaults where a part is missing).</summary>
    public static PostgresJournalAddress Of(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = builder.Username ?? Environment.UserName;
        return new PostgresJournalAddress(builder.Host ?? "localhost", builder.Port, builder.Database ?? user, user);
    }

    /// <inheritdoc />
    public override string ToString() => $"host {Host}, port {Port}, database {Database}, user {User}";
}

/// <summary>The classes of a journal that cannot be used; the gate logs again only when the class changes.</summary>
public enum JournalProblemKind { Unreachable, NoAnswer, UnknownHost, LoginRefused, DatabaseMissing, MissingRight, Busy, Other }

/// <summary>One attempt to use the PostgreSQL journal failed: its class, what went wrong and what the operator can do.</summary>
public sealed record JournalProblem(JournalProblemKind Kind, string Reason, string Advice)
{
    /// <summary>Reason and advice in one sentence.</summary>
    public override string ToString() => $"{Reason}; {Advice}";
}

/// <summary>
/// The check a node makes before its persistent actors start: can it log in to the PostgreSQL journal, and may its user create
/// the journal's tables (Akka.Persistence.Sql's auto-initialisation runs CREATE TABLE IF NOT EXISTS, which PostgreSQL refuses
/// without CREATE on the schema even when the tables exist)? Each failure is named by its class, never by a stack trace.
/// </summary>
public static class PostgresJournalCheck
{
    /// <summary>One attempt: null when the journal can be used, else the problem.</summary>
    public static async Task<JournalProblem?> TryAsync(string connectionString, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        var address = PostgresJournalAddress.Of(connectionString);
        // Each attempt is a new login (no pool to hold a broken connection), bounded so that a host that never answers cannot hang it.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        builder.Timeout = Math.Max(1, Math.Min(builder.Timeout, (int)Math.Ceiling(attemptTimeout.TotalSeconds)));
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(attemptTimeout);
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(attempt.Token);
            await using var command = new NpgsqlCommand(
                "SELECT current_schema(), current_schema() IS NOT NULL AND has_schema_privilege(current_schema(), 'CREATE')", connection);
            await using var reader = await command.ExecuteReaderAsync(attempt.Token);
            await reader.ReadAsync(attempt.Token);
            var schema = reader.IsDBNull(0) ? null : reader.GetString(0);
            if (schema is null)
                return new JournalProblem(JournalProblemKind.MissingRight, $"user {address.User} has no schema on its search_path in database {address.Database}",
                    $"create one it may use (CREATE SCHEMA … AUTHORIZATION {address.User}) or set its search_path");
            if (!reader.GetBoolean(1))
                return new JournalProblem(JournalProblemKind.MissingRight,
                    $"user {address.User} may not create the journal's tables in schema {schema} of database {address.Database} (the journal creates them on first start)",
                    $"grant it (GRANT CREATE ON SCHEMA {schema} TO {address.User}) or make {address.User} the database's owner");
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is NpgsqlException or OperationCanceledException or SocketException or TimeoutException)
        {
            return Classify(e, address, attemptTimeout);
        }
    }

    /// <summary>Names the class of a failed attempt: unreachable, no answer, refused login, missing database, missing rights, or PostgreSQL's own words.</summary>
    public static JournalProblem Classify(Exception error, PostgresJournalAddress address, TimeSpan attemptTimeout)
    {
        var chain = Chain(error).ToList();
        var where = $"{address.Host}:{address.Port}";
        if (chain.OfType<PostgresException>().FirstOrDefault() is { } postgres)
        {
            return postgres.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => new JournalProblem(JournalProblemKind.LoginRefused,
                    $"PostgreSQL at {where} refused the login of user {address.User} ({postgres.SqlState}: {postgres.MessageText})",
                    "check Username and Password in ConfigMonitor:ConnectionString, and that the role exists and may log in"),
                PostgresErrorCodes.InvalidCatalogName => new JournalProblem(JournalProblemKind.DatabaseMissing,
                    $"database {address.Database} does not exist on {where}",
                    $"create it (CREATE DATABASE \"{address.Database}\" OWNER \"{address.User}\") or name an existing one in ConfigMonitor:ConnectionString"),
                PostgresErrorCodes.InsufficientPrivilege => new JournalProblem(JournalProblemKind.MissingRight,
                    $"user {address.User} lacks a right in database {address.Database} ({postgres.SqlState}: {postgres.MessageText})",
                    $"grant CONNECT on the database and CREATE on its schema to {address.User}"),
                PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections => new JournalProblem(JournalProblemKind.Busy,
                    $"PostgreSQL at {where} cannot take the connection now ({postgres.SqlState}: {postgres.MessageText})",
                    "wait for it to finish starting, or raise max_connections"),
                _ => new JournalProblem(JournalProblemKind.Other, $"PostgreSQL at {where} answered {postgres.SqlState}: {postgres.MessageText}",
                    "see PostgreSQL's log for this error"),
            };
        }
        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new JournalProblem(JournalProblemKind.Unreachable, $"nothing accepts connections at {where}",
                    "start PostgreSQL, or correct Host and Port in ConfigMonitor:ConnectionString"),
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => new JournalProblem(JournalProblemKind.UnknownHost, $"the host {address.Host} cannot be resolved",
                    "correct Host in ConfigMonitor:ConnectionString, or the DNS entry"),
                SocketError.TimedOut => NoAnswer(where, attemptTimeout),
                _ => new JournalProblem(JournalProblemKind.Unreachable, $"{where} cannot be reached ({socket.SocketErrorCode})",
                    "check the address in ConfigMonitor:ConnectionString and the network between the node and PostgreSQL"),
            };
        }
        if (chain.Any(e => e is TimeoutException or OperationCanceledException)) return NoAnswer(where, attemptTimeout);
        // Npgsql's own message names what it could not do; it never holds the password.
        return new JournalProblem(JournalProblemKind.Other, $"the login at {where} failed: {chain[^1].Message}", "check ConfigMonitor:ConnectionString and PostgreSQL's log");
    }

    private static JournalProblem NoAnswer(string where, TimeSpan attemptTimeout) => new(JournalProblemKind.NoAnswer,
        $"{where} did not answer a login within {attemptTimeout.TotalSeconds:0.#} s",
        "check that the host is up and that no firewall drops the traffic to PostgreSQL's port");

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException) yield return e;
    }
}

/// <summary>
/// Holds the node's persistent actors back until the journal can be used. With PostgreSQL it tries the journal before any
/// persistent actor starts (an Akka.Hosting starter that runs first) and, while it cannot, keeps the node not ready with the reason
/// (<c>/health/ready</c> answers 503 with it), logs the reason once (again only when it changes), tries again every
/// <see cref="RetryInterval"/>, and after <see cref="ConfigMonitorOptions.JournalStartTimeout"/> gives up with
/// <see cref="JournalUnavailableException"/>: the process exits with code 3 so its supervisor restarts it. SQLite is prepared
/// before the host is built (<see cref="SqliteStore"/>), so its gate is open from the start.
/// </summary>
public sealed class JournalGate
{
    /// <summary>The pause between two attempts.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    /// <summary>The longest one attempt may take (a host that never answers).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly ConfigMonitorOptions _options;
    private readonly ILogger _logger;
    private volatile string? _waiting;

    /// <summary>A gate for the node configured by <paramref name="options"/>.</summary>
    public JournalGate(ConfigMonitorOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        Open = options.Persistence != PersistenceProvider.PostgreSql;
        if (!Open) _waiting = $"checking the PostgreSQL journal ({Address}) before the node's persistent actors start";
    }

    /// <summary>True once the journal can be used (at once for SQLite).</summary>
    public bool Open { get; private set; }

    /// <summary>Set when the gate gave up: the node must exit with code 3.</summary>
    public JournalUnavailableException? Failure { get; private set; }

    /// <summary>True once Akka has started behind the gate, every starter (the writer fence among them) done.</summary>
    public bool AkkaStarted { get; private set; }

    /// <summary>Why the node is not ready yet, while the gate is shut.</summary>
    public string? Waiting => Open ? null : _waiting;

    /// <summary>
    /// Why Akka.Hosting's own checks may not be asked yet: the gate is shut, or Akka is still starting. Asked before the writer
    /// fence has run, the persistence checks would start this node's journal, whose CREATE TABLE IF NOT EXISTS on a new database
    /// races the one node the fence lets create the tables (PostgreSQL answers the loser with a duplicate key in pg_type).
    /// </summary>
    public string? AkkaNotReady => Waiting ?? (AkkaStarted ? null : "the actor system is starting");

    /// <summary>Called by <see cref="GatedAkkaHostedService"/> once Akka's start has finished.</summary>
    internal void MarkAkkaStarted() => AkkaStarted = true;

    private PostgresJournalAddress Address => PostgresJournalAddress.Of(_options.EffectiveConnectionString);

    /// <summary>Returns once the journal can be used; throws <see cref="JournalUnavailableException"/> after the start timeout.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (Open) return;
        var address = Address;
        var started = DateTimeOffset.UtcNow;
        var deadline = started + _options.JournalStartTimeout;
        JournalProblem? last = null;
        while (true)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            var attempt = left < AttemptTimeout ? (left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1)) : AttemptTimeout;
            var problem = await PostgresJournalCheck.TryAsync(_options.EffectiveConnectionString, attempt, cancellationToken);
            if (problem is null)
            {
                Open = true;
                if (last is not null)
                    _logger.LogInformation("the PostgreSQL journal ({Address}) can be used now, after {Seconds:0} s; the node starts",
                        address, (DateTimeOffset.UtcNow - started).TotalSeconds);
                return;
            }
            _waiting = $"the PostgreSQL journal ({address}) cannot be used: {problem}; not ready, trying again until {deadline:HH:mm:ss} UTC, " +
                       "then the node exits with code 3";
            // Once per class: the same cause again (or in other words) is not news.
            if (problem.Kind != last?.Kind)
                _logger.LogWarning("the PostgreSQL journal ({Address}) cannot be used: {Problem}. The node is not ready; it tries again every " +
                                   "{Retry:0} s until {Deadline:HH:mm:ss} UTC ({Timeout}), then exits with code 3 so its supervisor restarts it",
                    address, problem, RetryInterval.TotalSeconds, deadline, "ConfigMonitor:JournalStartTimeout");
            last = problem;
            if (DateTimeOffset.UtcNow + RetryInterval >= deadline)
                throw Failure = new JournalUnavailableException(
                    $"the PostgreSQL journal ({address}) could not be used within {_options.JournalStartTimeout.TotalSeconds:0} s " +
                    $"(ConfigMonitor:JournalStartTimeout): {problem}; exiting with code 3 so a supervisor restarts the node");
            await Task.Delay(RetryInterval, cancellationToken);
        }
    }
}

/// <summary>
/// Akka.Hosting's checks, held back while the <see cref="JournalGate"/> is shut and until Akka's start has finished: the node is
/// alive but not ready, with the reason. Asking them earlier would create the actor system and start the journal, whose failing
/// initialisation Akka.Persistence.Sql logs with a stack trace several times a second, or whose table creation races another node's.
/// </summary>
internal sealed class GatedAkkaHealthCheck(JournalGate gate, bool liveness, IHealthCheck inner) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        gate.AkkaNotReady is { } waiting
            ? Task.FromResult(liveness ? HealthCheckResult.Healthy("alive; " + waiting) : HealthCheckResult.Unhealthy(waiting))
            : inner.CheckHealthAsync(context, cancellationToken);
}

/// <summary>
/// Akka.Hosting's hosted service, started once the <see cref="JournalGate"/> opens. When the gate gives up, Akka is never started
/// (no actor system, no stack traces from Akka.Hosting) and the host is asked to stop; <c>StartNodeAsync</c> then throws the gate's
/// <see cref="JournalUnavailableException"/>.
/// </summary>
public sealed class GatedAkkaHostedService(AkkaConfigurationBuilder configurationBuilder, IServiceProvider serviceProvider,
    ILogger<AkkaHostedService> logger, IHostApplicationLifetime applicationLifetime, JournalGate gate)
    : AkkaHostedService(configurationBuilder, serviceProvider, logger, applicationLifetime)
{
    private readonly IHostApplicationLifetime _lifetime = applicationLifetime;

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.ApplicationStopping);
            await gate.WaitAsync(stop.Token);
        }
        catch (JournalUnavailableException)
        {
            _lifetime.StopApplication();
            return;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the journal: nothing of Akka to start.
            return;
        }
        await base.StartAsync(cancellationToken);
        gate.MarkAkkaStarted();
    }
}
