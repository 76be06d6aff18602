using System.Diagnostics;
using System.Text;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// One child server process of a test (etcd, redis-server, the reference config service): started with its arguments, its output kept for failure messages,
/// waited for until it answers, killed for a real outage, paused and resumed (SIGSTOP/SIGCONT), its temp folder deleted at the end.
/// </summary>
internal sealed class ServerProcess(string binary, string folder)
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <summary>The server's temp folder.</summary>
    public string Folder { get; } = folder;

    /// <summary>True while the process runs (also when paused).</summary>
    public bool Running => _process is { HasExited: false };

    /// <summary>What the server wrote so far.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// Starts the binary (a name on PATH or a full path) with <paramref name="arguments"/> and waits (<paramref name="within"/>,
    /// 30 s by default) until <paramref name="ready"/> says it answers. The test host's URL settings are not inherited.
    /// </summary>
    public async Task StartAsync(IEnumerable<string> arguments, Func<Task<bool>> ready, string endpoint, TimeSpan? within = null)
    {
        if (Running) throw new InvalidOperationException($"{binary} is already running");
        var path = Path.IsPathRooted(binary) ? binary : ServerProcessSupport.Find(binary) ?? throw new InvalidOperationException($"{binary} is not on PATH");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Folder,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var key in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "HTTP_PORTS" }) start.Environment.Remove(key);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await ready())
        {
            if (process.HasExited || DateTime.UtcNow >= deadline)
                throw new InvalidOperationException($"{binary} did not answer on {endpoint}: {Log}");
            await Task.Delay(50);
        }
    }

    /// <summary>A real outage: kills the process (SIGKILL, resumed first if paused) and waits for it to exit.</summary>
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
    public void Pause() => ServerProcessSupport.Signal(_process?.Id ?? throw new InvalidOperationException($"{binary} is not running"), ServerProcessSupport.SigStop);

    /// <summary>Resumes a paused server (SIGCONT).</summary>
    public void Resume() => ServerProcessSupport.Signal(_process?.Id ?? throw new InvalidOperationException($"{binary} is not running"), ServerProcessSupport.SigCont);

    /// <summary>Stops the server and deletes its folder.</summary>
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
