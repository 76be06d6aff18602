using System.Diagnostics;
using System.Text;

namespace ConfigMonitor.Tests.Shared.Servers;

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
    private readonly StringBuilder _log = new();
    private Process? _process;

    private readonly IReadOnlyList<string> _extraArguments;

    private EtcdServer(string folder, int clientPort, int peerPort, IReadOnlyList<string> extraArguments)
    {
        _extraArguments = extraArguments;
        Folder = folder;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    /// <summary>True when etcd is on PATH (gate tests with <c>RequiredServer.Require(EtcdServer.Available, …)</c>).</summary>
    public static bool Available => ServerProcessSupport.Find(Binary) is not null;

    /// <summary>The folder holding the data directory.</summary>
    public string Folder { get; }

    /// <summary>The client port (the gRPC API and the JSON gateway).</summary>
    public int ClientPort { get; }

    /// <summary>The peer port (raft; a single member talks to no one).</summary>
    public int PeerPort { get; }

    /// <summary>The client URL, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    /// <summary>True while the process runs (also when paused).</summary>
    public bool Running => _process is { HasExited: false };

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts a new server on free ports (with further arguments such as <c>--quota-backend-bytes=…</c>) and waits until it answers.</summary>
    public static async Task<EtcdServer> StartNewAsync(params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("configmonitor-etcd-").FullName;
        var server = new EtcdServer(folder, ServerProcessSupport.FreePort(), ServerProcessSupport.FreePort(), extraArguments);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (again) on the same ports with the same data, and waits until it answers (30 s at most).</summary>
    public async Task StartAsync()
    {
        if (Running) throw new InvalidOperationException("etcd is already running");
        var peer = $"http://127.0.0.1:{PeerPort}";
        var start = new ProcessStartInfo(ServerProcessSupport.Find(Binary) ?? throw new InvalidOperationException("etcd is not on PATH"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Folder,
            ArgumentList =
            {
                "--data-dir", Path.Combine(Folder, "data"), "--name", "t",
                "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"t={peer}",
            },
        };
        foreach (var argument in _extraArguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                // Healthy means a leader is elected and a linearizable read went through: the server can answer probes.
                var health = await Probe.GetStringAsync($"{Endpoint}/health");
                if (health.Contains("\"true\"", StringComparison.Ordinal)) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (process.HasExited || DateTime.UtcNow >= deadline)
                throw new InvalidOperationException($"etcd did not become healthy on {Endpoint}: {Log}");
            await Task.Delay(50);
        }
    }

    /// <summary>A real outage: kills the process (SIGKILL) and waits for it to exit. The data stays for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            ServerProcessSupport.Signal(_process.Id, ServerProcessSupport.SigCont);
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Hangs the server (SIGSTOP): the kernel still accepts connections, but nothing answers.</summary>
    public void Pause() => ServerProcessSupport.Signal(_process?.Id ?? throw new InvalidOperationException("etcd is not running"), ServerProcessSupport.SigStop);

    /// <summary>Resumes a paused server (SIGCONT).</summary>
    public void Resume() => ServerProcessSupport.Signal(_process?.Id ?? throw new InvalidOperationException("etcd is not running"), ServerProcessSupport.SigCont);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is not a test failure.
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }
}
