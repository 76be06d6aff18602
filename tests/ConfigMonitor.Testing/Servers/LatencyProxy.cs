using System.Net;
using System.Net.Sockets;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// A loopback TCP proxy in front of a real server, for honest network faults: it accepts on a free port and forwards every
/// byte both ways. <see cref="Delay"/> holds each chunk the server sends back for that long before passing it on (a slow link
/// or a slow server, as the client sees it); <see cref="Stalled"/> holds every chunk, both ways, until it is cleared (a
/// partition: connections stay open, nothing arrives). A refused upstream connection closes the client's connection, as a
/// stopped server would. Disposing closes the listener and every connection. Linked into the test projects that need it.
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private static readonly TimeSpan StallPoll = TimeSpan.FromMilliseconds(20);
    private readonly TcpListener _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private long _delayTicks;
    private int _stalled;
    private long _accepted;

    private LatencyProxy(string upstreamHost, int upstreamPort)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>Starts a proxy on a free loopback port forwarding to <paramref name="upstreamHost"/>:<paramref name="upstreamPort"/>.</summary>
    public static LatencyProxy Start(string upstreamHost, int upstreamPort) => new(upstreamHost, upstreamPort);

    /// <summary>The proxy's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>How long each chunk from the server is held before it is passed to the client (zero: none).</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>While true, nothing passes either way (connections stay open; the bytes wait until it is cleared).</summary>
    public bool Stalled
    {
        get => Volatile.Read(ref _stalled) != 0;
        set => Volatile.Write(ref _stalled, value ? 1 : 0);
    }

    /// <summary>How many client connections the proxy has accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Back to a plain pass-through: no delay, not stalled.</summary>
    public void Reset()
    {
        Delay = TimeSpan.Zero;
        Stalled = false;
    }

    /// <summary>Closes every open connection (the listener stays): clients see their connections reset.</summary>
    public void DropConnections()
    {
        lock (_connections)
        {
            foreach (var connection in _connections) connection.Dispose();
            _connections.Clear();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        DropConnections();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        Track(client);
        Track(upstream);
        try
        {
            client.NoDelay = true;
            upstream.NoDelay = true;
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stopping.Token);
            var toServer = PumpAsync(client, upstream, delayed: false);
            var toClient = PumpAsync(upstream, client, delayed: true);
            // Either side closing ends the pair.
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Upstream refused (the server is down) or a side went away: the client sees its connection closed.
        }
        finally
        {
            Untrack(client);
            Untrack(upstream);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool delayed)
    {
        var buffer = new byte[16 * 1024];
        var source = from.GetStream();
        var sink = to.GetStream();
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stopping.Token);
                if (read == 0) return;
                if (delayed && Delay is { Ticks: > 0 } delay) await Task.Delay(delay, _stopping.Token);
                while (Stalled) await Task.Delay(StallPoll, _stopping.Token);
                await sink.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended.
        }
    }

    private void Track(TcpClient connection)
    {
        lock (_connections) _connections.Add(connection);
    }

    private void Untrack(TcpClient connection)
    {
        lock (_connections) _connections.Remove(connection);
    }
}
