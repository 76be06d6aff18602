using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ConfigMonitor.ConfigService;

namespace ConfigMonitor.Host.Tests;

/// <summary>The status page's routes on a real node (its demo target over HTTP): the overview, a target's health, their refusals and ETags.</summary>
public sealed class StatusEndpointsSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_list_the_demo_target_with_its_state_node_and_counts_over_every_target()
    {
        JsonElement status = default;
        await Eventually.AssertAsync(async () =>
        {
            status = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/status");
            return status.GetProperty("targets").EnumerateArray().Any(t => t.GetProperty("state").GetString() is "healthy" or "degraded");
        }, WaitTimeout, "the demo target should be judged from its first probes");

        var demo = Assert.Single(status.GetProperty("targets").EnumerateArray());
        Assert.Equal("demo", demo.GetProperty("id").GetString());
        Assert.StartsWith("akka.tcp://configmonitor@127.0.0.1:", demo.GetProperty("node").GetString());
        Assert.Equal(JsonValueKind.String, demo.GetProperty("lastProbeAt").ValueKind);
        var counts = status.GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("total").GetInt32());
        Assert.Equal(1, status.GetProperty("matching").GetInt32());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("next").ValueKind);
        Assert.Empty(status.GetProperty("unansweredNodes").EnumerateArray());

        var filtered = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/status?state=unhealthy&q=DEM");
        Assert.Equal(1, filtered.GetProperty("counts").GetProperty("total").GetInt32());
        var shown = filtered.GetProperty("targets").GetArrayLength();
        Assert.Equal(filtered.GetProperty("matching").GetInt32(), shown);
        var byText = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/status?q=DEM&limit=1");
        Assert.Equal("demo", Assert.Single(byText.GetProperty("targets").EnumerateArray()).GetProperty("id").GetString());
        var none = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/status?q=no-such-target");
        Assert.Empty(none.GetProperty("targets").EnumerateArray());
        Assert.Equal(0, none.GetProperty("matching").GetInt32());
        Assert.Equal(1, none.GetProperty("counts").GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("/api/status?state=sick", "parameter 'state'")]
    [InlineData("/api/status?limit=0", "parameter 'limit'")]
    [InlineData("/api/status?limit=1001", "parameter 'limit'")]
    [InlineData("/api/status?limit=ten", "parameter 'limit'")]
    [InlineData("/api/status?cursor=%21%21", "parameter 'cursor'")]
    public async Task Should_refuse_a_bad_parameter_naming_it(string path, string named)
    {
        using var response = await node.Anonymous.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, body);
    }

    [Fact]
    public async Task Should_answer_the_seven_checks_of_a_target_and_404_for_an_unknown_one()
    {
        JsonElement health = default;
        await Eventually.AssertAsync(async () =>
        {
            health = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo/health");
            return health.GetProperty("checks").EnumerateArray().All(c => c.GetProperty("status").GetString() != "unknown");
        }, WaitTimeout, "every check of the demo should be judged once its loops and its event round trip have run");

        Assert.Equal("demo", health.GetProperty("targetId").GetString());
        Assert.StartsWith("akka.tcp://configmonitor@127.0.0.1:", health.GetProperty("node").GetString());
        Assert.Equal(["configuration_service", "database_connectivity", "cache_performance", "event_system", "service_adapters", "memory_usage", "disk_space"],
            health.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var configuration = health.GetProperty("checks")[0].GetProperty("figures");
        Assert.True(configuration.TryGetProperty("read_ms", out _));
        Assert.True(configuration.TryGetProperty("max_read_ms", out _));

        using var missing = await node.Anonymous.GetAsync("/api/targets/nope/health");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no target has id 'nope'", await missing.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/status")]
    [InlineData("/api/targets/demo/health")]
    [InlineData("/api/alerts")]
    [InlineData("/api/cluster")]
    public async Task Should_answer_304_without_a_body_when_the_etag_still_matches(string path)
    {
        // A poll can race a probe that changes the answer: the spec waits for two reads in a row with the same tag.
        await Eventually.AssertAsync(async () =>
        {
            using var first = await node.Anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var etag = first.Headers.ETag;
            Assert.NotNull(etag);
            Assert.False(etag.IsWeak);
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.IfNoneMatch.Add(etag);
            using var second = await node.Anonymous.SendAsync(request);
            if (second.StatusCode == HttpStatusCode.OK) return false;
            Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
            Assert.Empty(await second.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, second.Headers.ETag);
            return true;
        }, WaitTimeout, $"a second read of {path} with the first's ETag should answer 304");
    }

    [Fact]
    public async Task Should_answer_200_with_a_new_etag_once_the_state_changes()
    {
        await Eventually.AssertAsync(async () =>
            (await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/status?state=healthy")).GetProperty("matching").GetInt32() == 1,
            WaitTimeout, "the demo should first be healthy");
        using var before = await node.Anonymous.GetAsync("/api/status?state=unhealthy");
        var etag = before.Headers.ETag!;

        await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(false));
        try
        {
            await Eventually.AssertAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status?state=unhealthy");
                request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag.Tag));
                using var response = await node.Anonymous.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK) return false;
                Assert.NotEqual(etag, response.Headers.ETag);
                var page = await response.Content.ReadFromJsonAsync<JsonElement>();
                return page.GetProperty("targets").EnumerateArray().Any(t => t.GetProperty("id").GetString() == "demo");
            }, WaitTimeout, "the demo should be listed unhealthy, with a new ETag, once its database is down");
        }
        finally
        {
            await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(true));
        }
    }
}
