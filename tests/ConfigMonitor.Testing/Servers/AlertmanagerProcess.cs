using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// A real Alertmanager (Debian's prometheus-alertmanager) on a loopback port, clustering off, in a folder of its own.
/// Its resolve timeout is 2 s, so an alert that is not re-sent disappears quickly.
/// </summary>
public sealed class AlertmanagerProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus-alertmanager";
    private readonly Process _process;
    private readonly TempDirectory _folder;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>How often readiness is polled while Alertmanager starts.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static bool Installed => File.Exists(Binary);

    private AlertmanagerProcess(Process process, int port, TempDirectory folder)
    {
        _process = process;
        Port = port;
        _folder = folder;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public static async Task<AlertmanagerProcess> StartAsync()
    {
        var folder = new TempDirectory();
        var port = LoopbackPorts.Free();
        await File.WriteAllTextAsync(folder.File("alertmanager.yml"), "global:\n  resolve_timeout: 2s\nroute:\n  receiver: none\nreceivers:\n  - name: none\n");
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList =
            {
                $"--config.file={folder.File("alertmanager.yml")}", $"--web.listen-address=127.0.0.1:{port}",
                $"--storage.path={folder.File("data")}", "--cluster.listen-address=",
            },
        };
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var am = new AlertmanagerProcess(process, port, folder);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if ((await Http.GetAsync(new Uri(am.Url, "-/ready"))).IsSuccessStatusCode) return am;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow >= deadline || process.HasExited)
                throw new InvalidOperationException($"Alertmanager did not become ready on port {port}");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The alerts Alertmanager lists as not yet resolved (GET /api/v2/alerts).</summary>
    public async Task<JsonArray> AlertsAsync() => (await Http.GetFromJsonAsync<JsonArray>(new Uri(Url, "api/v2/alerts")))!;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _folder.Dispose();
    }
}
