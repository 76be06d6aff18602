using System.Diagnostics;
using System.Text;

namespace ConfigMonitor.Testing;

/// <summary>The built ConfigMonitor.Host.dll run as a real process with <c>dotnet</c>, its output captured line by line.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private NodeProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stderr.AppendLine(e.Data); };
    }

    /// <summary>The copy of the host that the project reference puts next to the test assembly.</summary>
    public static string HostAssembly
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "ConfigMonitor.Host.dll");
            Assert.True(File.Exists(path), $"ConfigMonitor.Host.dll should be copied next to the tests ({path}); build the test project");
            return path;
        }
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything written to stdout so far.</summary>
    public string StandardOutput { get { lock (_gate) return _stdout.ToString(); } }

    /// <summary>Everything written to stderr so far.</summary>
    public string StandardError { get { lock (_gate) return _stderr.ToString(); } }

    /// <summary>The exit code (after the process exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet ConfigMonitor.Host.dll args…</c> in <paramref name="workingDirectory"/>.</summary>
    public static NodeProcess Start(string workingDirectory, params string[] args) =>
        Start(workingDirectory, HostAssembly, new Dictionary<string, string>(), args);

    /// <summary>Starts the node with extra environment variables (ASPNETCORE_URLS, HTTP_PORTS …).</summary>
    public static NodeProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(workingDirectory, HostAssembly, environment, args);

    /// <summary>
    /// Starts a copy of the node whose files next to the binary (akka.hocon, appsettings.json) <paramref name="prepare"/> may
    /// change or delete: the folder <c>node</c> under <paramref name="workingDirectory"/> holds copies of those files and of
    /// ConfigMonitor.Host.dll, and links to the rest of the build output.
    /// </summary>
    public static NodeProcess StartCopy(string workingDirectory, Action<string> prepare, params string[] args)
    {
        var source = Path.GetDirectoryName(HostAssembly)!;
        var folder = Path.Combine(workingDirectory, "node");
        HostCopy.Into(source, folder);
        prepare(folder);
        return Start(workingDirectory, Path.Combine(folder, "ConfigMonitor.Host.dll"), new Dictionary<string, string>(), args);
    }

    private static NodeProcess Start(string workingDirectory, string assembly, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        Directory.CreateDirectory(workingDirectory);
        // The SDK that runs the tests names its own dotnet; fall back to the one on PATH.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Settings from the test environment must not leak into the node under test.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ConfigMonitor__", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        // Nor may the listen addresses of the environment running the tests (a CI image may set ASPNETCORE_HTTP_PORTS).
        foreach (var key in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS",
                     "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS", "urls", "http_ports", "https_ports" })
            info.Environment.Remove(key);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new NodeProcess(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits until stdout holds <paramref name="text"/>; fails early if the process exits first.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        Eventually.AssertAsync(() =>
        {
            if (StandardOutput.Contains(text, StringComparison.Ordinal)) return Task.FromResult(true);
            if (_process.HasExited)
                Assert.Fail($"the node exited with {_process.ExitCode} before printing '{text}'.{Environment.NewLine}stdout:{Environment.NewLine}{StandardOutput}{Environment.NewLine}stderr:{Environment.NewLine}{StandardError}");
            return Task.FromResult(false);
        }, timeout, $"the node should print '{text}'");

    /// <summary>The lines written to stderr, without blank ones.</summary>
    public IReadOnlyList<string> StandardErrorLines =>
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Sends a POSIX signal (INT, TERM) with the system's kill command.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit and its output to be read to the end; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            // The parameterless overload also waits for the redirected streams to reach end of file.
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
