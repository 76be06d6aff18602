using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;

namespace ConfigMonitor.Actors.Adapters;

/// <summary>
/// The clients a node shares among all its targets: one HTTP connection pool (which etcd's JSON gateway also uses), and one
/// client per endpoint of every other kind (a Redis multiplexer, an Npgsql data source, …), made on first use and disposed
/// when the actor system terminates. An Akka extension, so every loop of a node finds the same instance.
/// </summary>
public sealed class FacetConnections : IExtension, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<object>> _shared = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Creates the node's pool (prefer <see cref="For"/>).</summary>
    public FacetConnections()
    {
        Handler = new SocketsHttpHandler
        {
            // Keep-alive connections are reused across probes; recycled every few minutes so DNS changes are seen.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = 16,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        // Each call sets its own deadline (the probe timeout) through a CancellationToken; the client's own is only a backstop.
        Http = new HttpClient(Handler, disposeHandler: false) { Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.UserAgent.ParseAdd("ConfigMonitor/1.0");
        // Event streams hold their connection while a round trip waits for its event: in the probes' pool, 16 streams to one
        // server (30 targets on one reference service, each probed at once by the event round) took every connection, and the
        // round trips' own notify calls and every loop's reads timed out behind them. Streams get a pool of their own.
        StreamHandler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 1024,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        StreamHttp = new HttpClient(StreamHandler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        StreamHttp.DefaultRequestHeaders.UserAgent.ParseAdd("ConfigMonitor/1.0");
    }

    /// <summary>The pool of long-lived event streams (server-sent events), apart from the probes' requests.</summary>
    public SocketsHttpHandler StreamHandler { get; }

    /// <summary>The node's client for event streams (its calls carry their own deadlines and cancellation).</summary>
    public HttpClient StreamHttp { get; }

    /// <summary>The node's HTTP connection pool.</summary>
    public SocketsHttpHandler Handler { get; }

    /// <summary>The node's HTTP client (never dispose it; never set per-request state on it).</summary>
    public HttpClient Http { get; }

    /// <summary>The shared client under <paramref name="key"/> (e.g. "redis|127.0.0.1:6379"), made once by <paramref name="create"/>.</summary>
    public T Shared<T>(string key, Func<T> create) where T : class
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return (T)_shared.GetOrAdd(key, _ => new Lazy<object>(() => create(), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>How many shared clients exist (for tests: one per endpoint however many targets use it).</summary>
    public int SharedCount => _shared.Count;

    /// <summary>The node's instance.</summary>
    public static FacetConnections For(ActorSystem system) => system.WithExtension<FacetConnections, FacetConnectionsProvider>();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var lazy in _shared.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                switch (lazy.Value)
                {
                    case IAsyncDisposable asyncDisposable: await asyncDisposable.DisposeAsync().ConfigureAwait(false); break;
                    case IDisposable disposable: disposable.Dispose(); break;
                }
            }
            catch (Exception)
            {
                // Closing a client at shutdown must not stop the others from closing.
            }
        }
        _shared.Clear();
        Http.Dispose();
        Handler.Dispose();
        StreamHttp.Dispose();
        StreamHandler.Dispose();
    }
}

/// <summary>Makes the node's <see cref="FacetConnections"/> and disposes it when the actor system terminates.</summary>
public sealed class FacetConnectionsProvider : ExtensionIdProvider<FacetConnections>
{
    /// <inheritdoc />
    public override FacetConnections CreateExtension(ExtendedActorSystem system)
    {
        var connections = new FacetConnections();
        system.RegisterOnTermination(() => connections.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return connections;
    }
}
