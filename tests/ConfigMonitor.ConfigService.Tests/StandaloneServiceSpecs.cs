using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The standalone process, as <c>dotnet run --project src/ConfigMonitor.ConfigService</c> starts it: its built dll, on a free port.</summary>
public sealed class StandaloneServiceSpecs : IDisposable
{
    private static readonly string ServiceDll = Path.Combine(AppContext.BaseDirectory, "ConfigMonitor.ConfigService.dll");
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("refsvc-standalone-").FullName;

    public void Dispose() => Directory.Delete(_workingDirectory, recursive: true);

    [Fact]
    public async Task Should_serve_a_key_take_a_fault_and_stop_cleanly_on_SIGINT()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGINT is sent with kill(2)");
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var service = Start("--urls", address.ToString());
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

        await WaitUntilServingAsync(client, service);
        using var read = await client.GetAsync("/config/app.name");
        using var fault = await client.PostAsync("/faults/database", new StringContent("""{"available":false}""", Encoding.UTF8, "application/json"));
        using var health = await client.GetAsync("/health");
        Assert.Equal(0, kill(service.Process.Id, SigInt));
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await service.Process.WaitForExitAsync(exited.Token);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("ConfigMonitor Reference Service", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, service.Process.ExitCode);
        Assert.True(File.Exists(Path.Combine(_workingDirectory, "data", "config-service.db")), "the database is data/config-service.db under the working directory");
        Assert.Single(service.Output, line => line.Contains($"Reference config service listening on {address.ToString().TrimEnd('/')}"));
    }

    [Fact]
    public async Task Should_exit_2_with_one_line_naming_a_wrong_setting()
    {
        using var service = Start("--urls", $"http://127.0.0.1:{FreePort()}", "--ConfigService:CacheCapacity=0");
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await service.Process.WaitForExitAsync(exited.Token);

        Assert.Equal(2, service.Process.ExitCode);
        Assert.Equal("ConfigService:CacheCapacity is '0'; write a whole number of entries from 1 to 1000000", Assert.Single(service.Errors));
    }

    private RunningService Start(params string[] args)
    {
        Assert.True(File.Exists(ServiceDll), $"the service is built next to the tests: {ServiceDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServiceDll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("ASPNETCORE_URLS");
        return new RunningService(Process.Start(start)!);
    }

    private static async Task WaitUntilServingAsync(HttpClient client, RunningService service)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(service.Process.HasExited, $"the service exited early: {string.Join(Environment.NewLine, service.Errors.Concat(service.Output))}");
            try
            {
                using var response = await client.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        Assert.Fail("the service did not answer /health within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private sealed class RunningService : IDisposable
    {
        private readonly List<string> _output = [];
        private readonly List<string> _errors = [];

        public RunningService(Process process)
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

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
