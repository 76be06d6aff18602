using System.Net.Sockets;
using System.Text;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// A private, throwaway Redis (Debian's redis-server) on a free loopback port, no persistence, its folder a temp folder of its
/// own; optionally with a password (<c>--requirepass</c>). The test can cause a real outage (<see cref="StopAsync"/> kills the
/// process), resume service on the SAME port (<see cref="StartAsync"/>; the data is gone, as after a real crash without
/// persistence), or hang it (<see cref="Pause"/>: SIGSTOP). Disposing kills it and deletes its folder.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>The server binary's name, looked up on PATH.</summary>
    public const string Binary = "redis-server";

    private readonly ServerProcess _server;
    private readonly string? _password;
    private readonly IReadOnlyList<string> _extraArguments;

    private RedisServer(string folder, int port, string? password, IReadOnlyList<string> extraArguments)
    {
        _server = new ServerProcess(Binary, folder);
        Port = port;
        _password = password;
        _extraArguments = extraArguments;
    }

    /// <summary>True when redis-server is on PATH (gate tests with <c>RequiredServer.Require(RedisServer.Available, …)</c>).</summary>
    public static bool Available => ServerProcessSupport.Find(Binary) is not null;

    /// <summary>The server's working folder.</summary>
    public string Folder => _server.Folder;

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, the redis kind's endpoint.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>True while the process runs (also when paused).</summary>
    public bool Running => _server.Running;

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Log => _server.Log;

    /// <summary>Starts a new server on a free port (with <paramref name="password"/> when given, and further arguments such as <c>--maxmemory 10mb</c>).</summary>
    public static async Task<RedisServer> StartNewAsync(string? password = null, params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("configmonitor-redis-").FullName;
        return await ServerProcessSupport.StartedAsync(new RedisServer(folder, LoopbackPorts.Free(), password, extraArguments), s => s.StartAsync());
    }

    /// <summary>Starts (again) on the same port and waits until it answers PING (30 s at most).</summary>
    public Task StartAsync()
    {
        List<string> arguments = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Folder];
        if (_password is not null) arguments.AddRange(["--requirepass", _password]);
        arguments.AddRange(_extraArguments);
        return _server.StartAsync(arguments, AnswersPingAsync, Endpoint);
    }

    /// <summary>A real outage: kills the process (SIGKILL) and waits for it to exit.</summary>
    public Task StopAsync() => _server.StopAsync();

    /// <summary>Hangs the server (SIGSTOP): the kernel still accepts connections, but nothing answers.</summary>
    public void Pause() => _server.Pause();

    /// <summary>Resumes a paused server (SIGCONT).</summary>
    public void Resume() => _server.Resume();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    // A raw RESP PING, so the helper needs no client library: "+PONG", or "-NOAUTH" when a password is required (also ready).
    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cts.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
