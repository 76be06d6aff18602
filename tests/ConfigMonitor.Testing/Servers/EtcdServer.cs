
namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// A private, throwaway etcd (Debian's etcd-server) on free loopback ports, its data in a temp folder of its own. The test
/// can cause a real outage (<see cref="StopAsync"/> kills the process), resume service on the SAME port with the same data
/// (<see cref="StartAsync"/>), or hang it (<see cref="Pause"/>: SIGSTOP, connections are accepted but never answered).
/// Disposing kills it and deletes its folder. Linked into the test projects that need it.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    /// <summary>The server binary's name, looked up on PATH.</summary>
    public const string Binary = "etcd";

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ServerProcess _server;
    private readonly IReadOnlyList<string> _extraArguments;

    private EtcdServer(string folder, int clientPort, int peerPort, IReadOnlyList<string> extraArguments)
    {
        _extraArguments = extraArguments;
        _server = new ServerProcess(Binary, folder);
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    /// <summary>True when etcd is on PATH (gate tests with <c>RequiredServer.Require(EtcdServer.Available, …)</c>).</summary>
    public static bool Available => ServerProcessSupport.Find(Binary) is not null;

    /// <summary>The folder holding the data directory.</summary>
    public string Folder => _server.Folder;

    /// <summary>The client port (the gRPC API and the JSON gateway).</summary>
    public int ClientPort { get; }

    /// <summary>The peer port (raft; a single member talks to no one).</summary>
    public int PeerPort { get; }

    /// <summary>The client URL, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    /// <summary>True while the process runs (also when paused).</summary>
    public bool Running => _server.Running;

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Log => _server.Log;

    /// <summary>Starts a new server on free ports (with further arguments such as <c>--quota-backend-bytes=…</c>) and waits until it answers.</summary>
    public static async Task<EtcdServer> StartNewAsync(params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("configmonitor-etcd-").FullName;
        return await ServerProcessSupport.StartedAsync(new EtcdServer(folder, LoopbackPorts.Free(), LoopbackPorts.Free(), extraArguments), s => s.StartAsync());
    }

    /// <summary>Starts (again) on the same ports with the same data, and waits until it answers (30 s at most).</summary>
    public Task StartAsync()
    {
        var peer = $"http://127.0.0.1:{PeerPort}";
        List<string> arguments =
        [
            "--data-dir", Path.Combine(Folder, "data"), "--name", "t",
            "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"t={peer}",
            .. _extraArguments,
        ];
        return _server.StartAsync(arguments, HealthyAsync, Endpoint);
    }

    // Healthy means a leader is elected and a linearizable read went through: the server can answer probes.
    private async Task<bool> HealthyAsync()
    {
        try
        {
            return (await Probe.GetStringAsync($"{Endpoint}/health")).Contains("\"true\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>A real outage: kills the process (SIGKILL) and waits for it to exit. The data stays for <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => _server.StopAsync();

    /// <summary>Hangs the server (SIGSTOP): the kernel still accepts connections, but nothing answers.</summary>
    public void Pause() => _server.Pause();

    /// <summary>Resumes a paused server (SIGCONT).</summary>
    public void Resume() => _server.Resume();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
