using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace ConfigMonitor.Host.Tests;

/// <summary>A node without a token (loopback only), whose changes a page of another site open in the user's browser must not make.</summary>
public sealed class TokenlessNode : IAsyncLifetime
{
    private readonly TempDirectory _data = TempDirectory.ForNode();

    public WebApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await TestNode.BuildAsync(TestNode.FastSettings(_data.Path));
        await App.StartAsync();
        Client = App.ApiClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopWithinAsync(TestNode.StopTimeout);
        await App.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>
/// Change requests a browser could send for another site's page (forms, text/plain, cross-origin fetches) are refused before
/// anything changes, on a node without a token; JSON from the node's own page, the CLI or an API client goes through.
/// </summary>
public sealed class ChangeRequestSpecs(TokenlessNode node) : IClassFixture<TokenlessNode>
{
    private const string Silence = """{"matchers":[{"field":"target","value":"csrf-probe"}],"duration":"1h","comment":"csrf","createdBy":"spec"}""";

    public static TheoryData<string, string?, string?, string, HttpStatusCode> Refused => new()
    {
        // body content type, Origin, Sec-Fetch-Site, what the problem names, status
        { "application/x-www-form-urlencoded", null, null, "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType },
        { "multipart/form-data; boundary=x", null, null, "multipart/form-data", HttpStatusCode.UnsupportedMediaType },
        { "text/plain", null, null, "text/plain", HttpStatusCode.UnsupportedMediaType },
        { "", null, null, "no Content-Type", HttpStatusCode.UnsupportedMediaType },
        { "application/json", "http://evil.example", null, "http://evil.example", HttpStatusCode.Forbidden },
        { "application/json", "null", null, "(null,", HttpStatusCode.Forbidden },
        { "application/json", "http://127.0.0.1:1", null, "http://127.0.0.1:1", HttpStatusCode.Forbidden },
        { "application/json", null, "cross-site", "cross-site", HttpStatusCode.Forbidden },
        // Another port of the same host is the same site, not the same origin: a local page of another program.
        { "application/json", null, "same-site", "same-site", HttpStatusCode.Forbidden },
        { "text/plain", null, "cross-site", "cross-site", HttpStatusCode.Forbidden },
        { "application/+json", null, null, "application/+json", HttpStatusCode.UnsupportedMediaType },
        { "application/json; charset=utf-16", null, null, "charset utf-16", HttpStatusCode.UnsupportedMediaType },
        { "application/json; charset=iso-8859-1", null, null, "charset iso-8859-1", HttpStatusCode.UnsupportedMediaType },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_change_another_site_could_send_should_be_refused_and_change_nothing(string contentType, string? origin, string? fetchSite,
        string named, HttpStatusCode status)
    {
        var before = await SilenceCountAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/silences") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Silence)) };
        if (contentType.Length > 0) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (fetchSite is not null) request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);

        var response = await node.Client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Contains(named, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        Assert.Equal(before, await SilenceCountAsync());
    }

    [Fact]
    public async Task A_bodiless_cross_site_post_should_not_acknowledge_or_delete()
    {
        using var ack = new HttpRequestMessage(HttpMethod.Post, "/api/alerts/no-such-alert/ack");
        ack.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await node.Client.SendAsync(ack)).StatusCode);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/targets/demo");
        delete.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await node.Client.SendAsync(delete)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Client.GetAsync("/api/targets/demo")).StatusCode);
    }

    public static TheoryData<string, string?, string?> Accepted => new()
    {
        { "application/json", null, null },
        { "application/json; charset=utf-8", null, null },
        { "APPLICATION/JSON", null, null },
        { "application/merge-patch+json", null, null },
        { "application/json", null, "same-origin" },
        { "application/json", null, "none" },
        { "application/json", "self", "same-origin" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Json_from_the_nodes_own_page_or_a_client_should_be_taken(string contentType, string? origin, string? fetchSite)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/silences") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Silence)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin == "self" ? node.Client.BaseAddress!.GetLeftPart(UriPartial.Authority) : origin);
        if (fetchSite is not null) request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);

        var response = await node.Client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        // A bodiless change without a Content-Type (the CLI's DELETE) is taken too.
        Assert.Equal(HttpStatusCode.OK, (await node.Client.DeleteAsync($"/api/silences/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("evil.example", false)]
    [InlineData("127.0.0.1.evil.example", false)]
    [InlineData("localhost.evil.example", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST.", true)]
    [InlineData("app.localhost", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("[::1]", true)]
    public async Task Without_a_token_only_loopback_host_names_should_be_answered_so_a_rebound_name_cannot_read_or_change(string host, bool answered)
    {
        var port = node.Client.BaseAddress!.Port;
        var before = await SilenceCountAsync();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/"), (HttpMethod.Get, "/api/status"), (HttpMethod.Post, "/api/silences") })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Host = $"{host}:{port}";
            if (method == HttpMethod.Post)
            {
                // What a rebound page sends: same-origin by its own name, a JSON body.
                request.Content = new StringContent(Silence, Encoding.UTF8, "application/json");
                request.Headers.TryAddWithoutValidation("Origin", $"http://{host}:{port}");
                request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
            }
            var response = await node.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (answered)
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"{method} {path} as {host}: {(int)response.StatusCode} {body}");
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} as {host}: {(int)response.StatusCode} {body}");
                Assert.Contains($"names '{host}'", body);
            }
        }
        Assert.Equal(answered ? before + 1 : before, await SilenceCountAsync());
    }

    private async Task<int> SilenceCountAsync() =>
        (await node.Client.GetFromJsonAsync<JsonElement>("/api/silences?all=true")).GetProperty("items").GetArrayLength();
}
