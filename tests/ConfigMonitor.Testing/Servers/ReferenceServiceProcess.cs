using System.Net;
using System.Text;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// The reference config service as its own process (<c>dotnet ConfigMonitor.ConfigService.dll --urls … --ConfigService:DatabasePath=…</c>,
/// the dll the Host's project reference puts next to the tests) on a free loopback port. <see cref="StopAsync"/> kills it (a
/// real outage); <see cref="StartAsync"/> brings it back on the same port and database; <see cref="FaultAsync"/> posts a fault.
/// </summary>
public sealed class ReferenceServiceProcess : IAsyncDisposable
{
    private readonly ServerProcess _server;
    private readonly HttpClient _client;

    private ReferenceServiceProcess(int port)
    {
        Port = port;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        _server = new ServerProcess(dotnet, Directory.CreateTempSubdirectory("configmonitor-refsvc-").FullName);
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
    public string Log => _server.Log;

    /// <summary>Starts a new service on a free port and waits until /health answers 200.</summary>
    public static Task<ReferenceServiceProcess> StartNewAsync() =>
        ServerProcessSupport.StartedAsync(new ReferenceServiceProcess(LoopbackPorts.Free()), s => s.StartAsync());

    /// <summary>Starts (again) on the same port and database; returns once /health answers 200 (60 s at most).</summary>
    public Task StartAsync() =>
        _server.StartAsync([Dll, "--urls", Url, $"--ConfigService:DatabasePath={Path.Combine(_server.Folder, "config-service.db")}"],
            AnswersHealthAsync, Url, TimeSpan.FromSeconds(60));

    /// <summary>A real outage: kills the process and waits until it is gone.</summary>
    public Task StopAsync() => _server.StopAsync();

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
        await _server.DisposeAsync();
        _client.Dispose();
    }

    private async Task<bool> AnswersHealthAsync()
    {
        try
        {
            using var health = await _client.GetAsync("/health");
            return health.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
