using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace ConfigMonitor.Testing;

/// <summary>
/// One real node for a test class: free loopback ports for remoting and the API, its own data folder, a bearer token,
/// fast loops; started once, stopped through CoordinatedShutdown at the end.
/// </summary>
public sealed class ApiNode : IAsyncLifetime
{
    /// <summary>The token the node requires for changes.</summary>
    public const string Token = "test-token-7f3a";

    private readonly TempDirectory _data = TempDirectory.ForNode();

    /// <summary>The running node.</summary>
    public WebApplication App { get; private set; } = null!;

    /// <summary>A client without a token (reads, and refused changes).</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>A client with the token.</summary>
    public HttpClient Operator { get; private set; } = null!;

    /// <summary>host:port of the API.</summary>
    public string Node => $"{App.ApiAddress().Host}:{App.ApiAddress().Port}";

    public async Task InitializeAsync()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Api:Token"] = Token;
        App = await TestNode.BuildAsync(settings);
        await App.StartAsync();
        Anonymous = App.ApiClient();
        Operator = App.ApiClient(Token);
        await WaitForDemoSamplesAsync(Anonymous);
    }

    /// <summary>Ready for the tests: the demo target has recorded its first samples.</summary>
    public static Task WaitForDemoSamplesAsync(HttpClient client) =>
        Eventually.AssertAsync(async () =>
        {
            var response = await client.GetAsync("/api/targets/demo/metrics");
            if (!response.IsSuccessStatusCode) return false;
            var metrics = await response.Content.ReadFromJsonAsync<JsonElement>();
            return metrics.EnumerateArray().Any(m => m.GetProperty("metric").GetString() == "config_access_ms");
        }, TimeSpan.FromSeconds(90), "the demo target should record config_access_ms");

    public async Task DisposeAsync()
    {
        Anonymous.Dispose();
        Operator.Dispose();
        await App.StopWithinAsync(TestNode.StopTimeout);
        await App.DisposeAsync();
        _data.Dispose();
    }
}
