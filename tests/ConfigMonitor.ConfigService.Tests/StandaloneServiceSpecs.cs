using System.Net;
using System.Text;
using System.Text.Json;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The standalone process, as <c>dotnet run --project src/ConfigMonitor.ConfigService</c> starts it: its built dll, on a free port.</summary>
public sealed class StandaloneServiceSpecs : IDisposable
{
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("refsvc-standalone-").FullName;

    public void Dispose() => Directory.Delete(_workingDirectory, recursive: true);

    [Fact]
    public async Task Should_serve_a_key_take_a_fault_and_stop_cleanly_on_SIGINT()
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", address.ToString());
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

        await service.WaitForAsync(client, "/health", HttpStatusCode.OK);
        using var read = await client.GetAsync("/config/app.name");
        using var fault = await client.PostAsync("/faults/database", new StringContent("""{"available":false}""", Encoding.UTF8, "application/json"));
        using var health = await client.GetAsync("/health");
        await service.InterruptAsync();

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("ConfigMonitor Reference Service", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, service.Process.ExitCode);
        Assert.True(File.Exists(Path.Combine(_workingDirectory, "data", "config-service.db")), "the database is data/config-service.db under the working directory");
        Assert.Single(service.Output, line => line.Contains($"Reference config service listening on {address.ToString().TrimEnd('/')}"));
    }

    [Fact]
    public async Task Should_exit_3_with_one_line_and_no_stack_trace_when_its_port_is_in_use()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", $"http://127.0.0.1:{port}");

        await service.WaitForExitAsync();

        Assert.Equal(3, service.Process.ExitCode);
        Assert.Contains("address already in use", Assert.Single(service.Errors));
        Assert.DoesNotContain(service.Output, line => line.Contains("   at ", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_exit_2_with_one_line_naming_a_wrong_setting()
    {
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", $"http://127.0.0.1:{LoopbackPorts.Free()}", "--ConfigService:CacheCapacity=0");

        await service.WaitForExitAsync();

        Assert.Equal(2, service.Process.ExitCode);
        Assert.Equal("ConfigService:CacheCapacity is '0'; write a whole number of entries from 1 to 1000000", Assert.Single(service.Errors));
    }
}
