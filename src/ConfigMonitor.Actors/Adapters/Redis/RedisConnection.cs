using ConfigMonitor.Actors.Targets;
using StackExchange.Redis;

namespace ConfigMonitor.Actors.Adapters.Redis;

/// <summary>
/// One Redis endpoint's <see cref="ConnectionMultiplexer"/>, shared by every target of the node that names it: made lazily and
/// asynchronously on the first call (never in a constructor), with <c>AbortOnConnectFail = false</c> so a server that is down
/// at first use is reached once it is back, and the password read from the secret reference when it connects.
/// Every call runs through <see cref="RunAsync{T}"/>, which turns what can go wrong into a probe failure with its reason.
/// </summary>
public sealed class RedisConnection(string endpoint, string? secret) : IAsyncDisposable
{
    private readonly object _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>The endpoint as it may be shown.</summary>
    public string RedactedEndpoint { get; } = Redaction.Redact(endpoint);

    /// <summary>How long the connection set-up took (the first call's extra cost), once connected; for reports and tests.</summary>
    public TimeSpan? SetUpDuration { get; private set; }

    /// <summary>
    /// Runs <paramref name="work"/> on the multiplexer (connecting first if needed) within <paramref name="timeout"/>:
    /// <see cref="ProbeTimeoutException"/> at the deadline, <see cref="ConfigServiceException"/> for a refused connection, a failed
    /// authentication or a Redis error answer (never quoting the password).
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, TimeSpan timeout, Func<ConnectionMultiplexer, Task<T>> work)
    {
        try
        {
            var started = DateTime.UtcNow;
            var multiplexer = await ConnectAsync(timeout).WaitAsync(timeout).ConfigureAwait(false);
            var left = timeout - (DateTime.UtcNow - started);
            if (left <= TimeSpan.Zero) throw new TimeoutException();
            return await work(multiplexer).WaitAsync(left).ConfigureAwait(false);
        }
        catch (TimeoutException) // ours (WaitAsync) or the client's own (RedisTimeoutException)
        {
            throw new ProbeTimeoutException(operation, timeout);
        }
        catch (RedisException e) when (IsAuthenticationFailure(e))
        {
            throw new ConfigServiceException(operation, AuthenticationFailed());
        }
        catch (RedisConnectionException e)
        {
            // "No connection is available" also covers a server that now refuses us for want of a password: ask it plainly.
            if (secret is null && await AsksForPasswordAsync().ConfigureAwait(false))
                throw new ConfigServiceException(operation, AuthenticationFailed());
            throw new ConfigServiceException(operation, $"cannot reach Redis at {RedactedEndpoint}: {Summary(e)}");
        }
        catch (RedisException e)
        {
            throw new ConfigServiceException(operation, $"Redis at {RedactedEndpoint} answered an error: {Summary(e)}");
        }
    }

    // One PING on a connection of its own (at most a second): "-NOAUTH" means the server is up and wants a password.
    private async Task<bool> AsksForPasswordAsync()
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var colon = endpoint.LastIndexOf(':');
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(endpoint[..colon].Trim('[', ']'), int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
                deadline.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), deadline.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, deadline.Token).ConfigureAwait(false);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException or FormatException)
        {
            return false;
        }
    }

    // The client's typed failure, or Redis's own error codes for a refused password (NOAUTH: none given; WRONGPASS: wrong).
    private static bool IsAuthenticationFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }) return true;
            if (e is RedisException && (e.Message.Contains("NOAUTH", StringComparison.Ordinal) || e.Message.Contains("WRONGPASS", StringComparison.Ordinal)))
                return true;
        }
        return false;
    }

    // The client's messages carry a long diagnostic tail (counters, thread pools); the first clause says what happened.
    private static string Summary(Exception e) => Redaction.Redact(e.Message.Split('\n', 2)[0].Split(", ", 2)[0].Trim());

    private string AuthenticationFailed() => secret is null
        ? $"Redis at {RedactedEndpoint} refused the connection: authentication required (the server has a password; name it in Secret as 'env:NAME' or 'file:/path')"
        : $"Redis at {RedactedEndpoint} refused the password of secret '{secret}': authentication failed";

    private Task<ConnectionMultiplexer> ConnectAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // A faulted set-up (a secret that could not be read, a bad endpoint) is tried again on the next call.
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled) _connecting = CreateAsync(timeout);
            return _connecting;
        }
    }

    private async Task<ConnectionMultiplexer> CreateAsync(TimeSpan timeout)
    {
        var started = DateTime.UtcNow;
        var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 100, int.MaxValue);
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = milliseconds,
            AsyncTimeout = milliseconds,
            SyncTimeout = milliseconds,
            ConnectRetry = 1,
            // A restarted server is found again within about a second, not after an exponential back-off.
            ReconnectRetryPolicy = new LinearRetry(1000),
            // While disconnected, a probe fails at once with the reason instead of waiting in a queue until its deadline.
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "ConfigMonitor",
            // The client refuses INFO without it (a client-side guard only; the server's ACL decides). We send INFO, SUBSCRIBE,
            // PUBLISH and UNSUBSCRIBE, nothing else.
            AllowAdmin = true,
            Password = secret is null ? null : SecretReference.Resolve(secret),
        };
        options.EndPoints.Add(endpoint);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        SetUpDuration = DateTime.UtcNow - started;
        return multiplexer;
    }

    /// <summary>The server of the endpoint (for INFO).</summary>
    internal IServer Server(ConnectionMultiplexer multiplexer) => multiplexer.GetServer(multiplexer.GetEndPoints()[0]);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
        }
        if (connecting is { IsCompletedSuccessfully: true }) await connecting.Result.DisposeAsync().ConfigureAwait(false);
    }
}
