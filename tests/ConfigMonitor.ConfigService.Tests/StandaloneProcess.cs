using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The standalone service's built dll run as its own process in a working directory, with its output captured line by line.</summary>
internal sealed class StandaloneProcess : IDisposable
{
    private static readonly string ServiceDll = Path.Combine(AppContext.BaseDirectory, "ConfigMonitor.ConfigService.dll");
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];

    private StandaloneProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_errors) _errors.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public IReadOnlyList<string> Output { get { lock (_output) return _output.ToList(); } }

    public IReadOnlyList<string> Errors { get { lock (_errors) return _errors.ToList(); } }

    /// <summary>Starts <c>dotnet ConfigMonitor.ConfigService.dll args…</c> in <paramref name="workingDirectory"/>.</summary>
    public static StandaloneProcess Start(string workingDirectory, params string[] args)
    {
        Assert.True(File.Exists(ServiceDll), $"the service is built next to the tests: {ServiceDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServiceDll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("ASPNETCORE_URLS");
        return new StandaloneProcess(Process.Start(start)!);
    }

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="status"/>; fails if the process exits or 60 s pass.</summary>
    public async Task WaitForAsync(HttpClient client, string path, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(Process.HasExited, $"the service exited early: {string.Join(Environment.NewLine, Errors.Concat(Output))}");
            try
            {
                using var response = await client.GetAsync(path);
                last = response.StatusCode;
                if (response.StatusCode == status) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        Assert.Fail($"the service did not answer {status} to GET {path} within 60 s (last answer: {last?.ToString() ?? "none"})");
    }

    /// <summary>Sends SIGINT (Ctrl-C) and waits for the process to exit.</summary>
    public async Task InterruptAsync()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGINT is sent with kill(2)");
        Assert.Equal(0, kill(Process.Id, SigInt));
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Process.WaitForExitAsync(exited.Token);
    }

    /// <summary>Waits for the process to exit on its own.</summary>
    public async Task WaitForExitAsync()
    {
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Process.WaitForExitAsync(exited.Token);
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }

    private const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
