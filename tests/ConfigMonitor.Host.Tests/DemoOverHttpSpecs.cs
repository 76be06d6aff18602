using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// The node's demo is the reference service with its HTTP API on its own loopback listener, monitored through the http facets:
/// breaking it over HTTP (its fault injection, as docs/reference-service.md shows) raises the alert, and setting it right resolves it.
/// </summary>
public sealed class DemoOverHttpSpecs : IAsyncLifetime
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = TempDirectory.ForNode();
    private readonly TempDirectory _secondData = TempDirectory.ForNode();
    private readonly List<Microsoft.AspNetCore.Builder.WebApplication> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.StopWithinAsync(TestNode.StopTimeout);
        _data.Dispose();
        _secondData.Dispose();
    }

    private async Task<Microsoft.AspNetCore.Builder.WebApplication> StartAsync(string data, Action<Dictionary<string, string?>>? change = null)
    {
        var settings = TestNode.FastSettings(data);
        change?.Invoke(settings);
        var app = await TestNode.BuildAsync(settings);
        _nodes.Add(app);
        await app.StartNodeAsync();
        return app;
    }

    private static async Task<string> DemoUrl(HttpClient api) =>
        (await api.GetFromJsonAsync<JsonElement>("/api/targets/demo")).GetProperty("definition").GetProperty("endpoint").GetString()!;

    private static async Task<List<JsonElement>> DemoAlerts(HttpClient api, string rule) =>
        (await api.GetFromJsonAsync<JsonElement>("/api/alerts?state=all")).GetProperty("items").EnumerateArray()
            .Where(a => a.GetProperty("targetId").GetString() == "demo" && a.GetProperty("rule").GetString() == rule).ToList();

    [Fact]
    public async Task Breaking_the_demo_over_http_should_fire_the_alert_and_setting_it_right_should_resolve_it()
    {
        var app = await StartAsync(_data.Path);
        using var api = app.ApiClient();
        var demoUrl = await DemoUrl(api);
        using var demo = new HttpClient { BaseAddress = new Uri(demoUrl) };

        // Healthy first, through the http facets: every facet has answered.
        await Eventually.AssertAsync(async () =>
        {
            var status = (await api.GetFromJsonAsync<JsonElement>("/api/targets/demo")).GetProperty("status");
            return status.GetProperty("facets").EnumerateArray().All(f =>
                f.GetProperty("kind").GetString() == "http" && f.GetProperty("probes").GetInt64() > 0 && f.GetProperty("consecutiveFailures").GetInt32() == 0);
        }, WaitTimeout, "every facet of the demo should have answered over http");

        var applied = await demo.PostAsJsonAsync("/faults/database", new { available = false });
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        await Eventually.AssertAsync(async () => (await DemoAlerts(api, "unreachable")).Any(a => a.GetProperty("state").GetString() == "firing"),
            WaitTimeout, "database/unreachable should fire once the demo's database is down");
        var firing = (await DemoAlerts(api, "unreachable")).Single(a => a.GetProperty("state").GetString() == "firing");
        Assert.Contains("database unavailable", firing.GetProperty("message").GetString());

        Assert.Equal(HttpStatusCode.OK, (await demo.PostAsync("/faults/reset", null)).StatusCode);
        await Eventually.AssertAsync(async () => (await DemoAlerts(api, "unreachable")).All(a => a.GetProperty("state").GetString() == "resolved"),
            WaitTimeout, "database/unreachable should resolve once the demo is set right");
    }

    [Fact]
    public async Task Two_nodes_on_one_machine_should_each_serve_their_own_demo_on_a_free_port()
    {
        var first = await StartAsync(_data.Path);
        var second = await StartAsync(_secondData.Path);
        using var firstApi = first.ApiClient();
        using var secondApi = second.ApiClient();

        var (a, b) = (await DemoUrl(firstApi), await DemoUrl(secondApi));

        Assert.NotEqual(a, b);
        foreach (var url in new[] { a, b })
        {
            Assert.Matches(@"^http://127\.0\.0\.1:[0-9]+$", url);
            using var demo = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal(HttpStatusCode.OK, (await demo.GetAsync("/config/app.name")).StatusCode);
        }
    }

    [Fact]
    public async Task Without_the_demo_there_should_be_no_demo_target_and_no_demo_listener()
    {
        var app = await StartAsync(_data.Path, s => s["ConfigMonitor:Demo:Enabled"] = "false");
        using var api = app.ApiClient();

        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/targets/demo")).StatusCode);
    }

    [Fact]
    public async Task A_demo_port_in_use_should_stop_the_node_as_transient_naming_the_setting()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Demo:Url"] = $"http://127.0.0.1:{port}";

        var error = await Assert.ThrowsAsync<TransientStartupException>(() => TestNode.BuildAsync(settings));

        Assert.Contains($"the demo config service cannot listen on http://127.0.0.1:{port} (ConfigMonitor:Demo:Url): the port is already in use", error.Message);
    }

    [Fact]
    public async Task A_demo_beyond_loopback_should_need_the_token_and_be_probed_on_loopback_when_it_listens_everywhere()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Demo:Url"] = "http://0.0.0.0:0";
        var refused = await Assert.ThrowsAsync<NodeConfigurationException>(() => TestNode.BuildAsync(settings));
        Assert.Contains("field 'Demo:Url' is 'http://0.0.0.0:0', which other hosts can reach", refused.Message);
        Assert.Contains("Api:Token", refused.Message);

        var app = await StartAsync(_data.Path, s =>
        {
            s["ConfigMonitor:Demo:Url"] = "http://0.0.0.0:0";
            s["ConfigMonitor:Api:Token"] = "demo-token";
        });
        using var api = app.ApiClient();
        Assert.Matches(@"^http://127\.0\.0\.1:[0-9]+$", await DemoUrl(api));
    }

    [Theory]
    [InlineData("https://127.0.0.1:0")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://127.0.0.1:0/demo")]
    [InlineData("not a url")]
    public async Task A_bad_demo_url_should_stop_the_node_with_one_line_naming_it(string url)
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Demo:Url"] = url;

        var error = await Assert.ThrowsAsync<NodeConfigurationException>(() => TestNode.BuildAsync(settings));

        Assert.Contains("field 'Demo:Url'", error.Message);
        Assert.Contains("http://host:port", error.Message);
    }
}
