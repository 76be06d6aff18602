using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ConfigMonitor.Tests.Shared;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>
/// The reference config service as its own process (<c>dotnet ConfigMonitor.ConfigService.dll --urls … --ConfigService:DatabasePath=…</c>,
/// the dll the Host's project reference puts next to the tests) on a free loopback port. <see cref="StopAsync"/> kills it (a
/// real outage); <see cref="StartAsync"/> brings it back on the same port and database; <see cref="FaultAsync"/> posts a fault.
/// </summary>
public sealed class ReferenceServiceProcess : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("configmonitor-refsvc-").FullName;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _client;
    private Process? _process;

    private ReferenceServiceProcess(int port)
    {
        Port = port;
        _client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The built service next to the tests.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "ConfigMonitor.ConfigService.dll");

    /// <summary>True when the service's dll was built next to the tests.</summary>
    public static bool Available => File.Exists(Dll) && File.Exists(Path.ChangeExtension(Dll, ".runtimeconfig.json"));

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>http://127.0.0.1:port (no trailing slash).</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>What the service wrote.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts a new service on a free port and waits until /health answers 200.</summary>
    public static async Task<ReferenceServiceProcess> StartNewAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var service = new ReferenceServiceProcess(port);
        try
        {
            await service.StartAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (again) on the same port and database; returns once /health answers 200 (60 s at most).</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("the reference service is already running");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { Dll, "--urls", Url, $"--ConfigService:DatabasePath={Path.Combine(_folder, "config-service.db")}" },
        };
        foreach (var key in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "HTTP_PORTS" }) start.Environment.Remove(key);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Eventually.AssertAsync(async () =>
        {
            if (process.HasExited) Assert.Fail($"the reference service exited before it answered on {Url}: {Log}");
            using var health = await _client.GetAsync("/health");
            return health.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), $"the reference service should answer on {Url}");
    }

    /// <summary>A real outage: kills the process and waits until it is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>POST /faults/{name} with a JSON body (e.g. <c>read-delay</c>, <c>{"delay":"2s"}</c>); fails unless 200.</summary>
    public async Task FaultAsync(string name, string json = "{}")
    {
        using var response = await _client.PostAsync($"/faults/{name}", new StringContent(json, Encoding.UTF8, "application/json"));
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"POST /faults/{name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
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
