using System.Net.Http.Headers;
using System.Text;

namespace ConfigMonitor.ConfigService.Tests.Http;

/// <summary>Bad input by class: each is a 400 or 413 with <c>{"error": ...}</c> naming what is wrong, never a 500, and the service stays up.</summary>
public sealed class ReferenceServiceBadInputSpecs : IAsyncLifetime
{
    private static readonly string LongKey = new('k', 257);
    private ReferenceServiceServer _server = null!;

    public async Task InitializeAsync() => _server = await ReferenceServiceServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, string?, string> BadRequests => new()
    {
        // bad JSON
        { "PUT", "/config/app.name", "{\"value\":", "is not valid JSON" },
        { "POST", "/events/notify", "not json", "is not valid JSON" },
        { "POST", "/faults/hang", "{\"hang\":true,}", "is not valid JSON" },
        // not an object
        { "POST", "/faults/database", "[true]", "is a JSON array, but a JSON object" },
        { "PUT", "/config/app.name", "\"text\"", "is a JSON string, but a JSON object" },
        // unknown field
        { "PUT", "/config/app.name", "{\"value\":\"v\",\"colour\":\"red\"}", "field 'colour' is unknown" },
        { "POST", "/faults/cache-flush", "{\"all\":true}", "field 'all' is unknown" },
        { "POST", "/faults/reset", "{\"now\":1}", "field 'now' is unknown" },
        // wrong type
        { "POST", "/faults/database", "{\"available\":\"no\"}", "field 'available' is a JSON string, but it must be true or false" },
        { "POST", "/faults/drop-events", "{\"drop\":1}", "field 'drop' is a JSON number, but it must be true or false" },
        { "POST", "/faults/read-delay", "{\"delay\":2}", "field 'delay' is a JSON number, but it must be a string" },
        { "PUT", "/config/app.name", "{\"value\":42}", "field 'value' is a JSON number, but it must be a string or null" },
        { "POST", "/events/notify", "{\"key\":null}", "field 'key' is a JSON null, but it must be a string" },
        // missing field / empty body
        { "POST", "/faults/hang", "{}", "field 'hang' is missing" },
        { "PUT", "/config/app.name", "", "needs a JSON object body" },
        { "POST", "/events/notify", "{\"newValue\":\"v\"}", "field 'key' is missing" },
        // a field twice
        { "POST", "/faults/hang", "{\"hang\":true,\"Hang\":false}", "is given twice" },
        // bad durations
        { "POST", "/faults/read-delay", "{\"delay\":\"soon\"}", "field 'delay' is 'soon', which is not a duration" },
        { "POST", "/faults/read-delay", "{\"delay\":\"2\"}", "which is not a duration" },
        { "POST", "/faults/read-delay", "{\"delay\":\"11m\"}", "outside 0s to 10m" },
        // keys
        { "GET", "/config/" + LongKey, null, "is 257 characters long; the limit is 256" },
        { "GET", "/config/" + LongKey + "/metadata", null, "is 257 characters long" },
        { "PUT", "/config/" + LongKey, "{\"value\":\"v\"}", "is 257 characters long" },
        { "GET", "/config/bad%01key", null, "control character (U+0001)" },
        { "POST", "/events/notify", "{\"key\":\"" + LongKey + "\"}", "field 'key' '" },
        { "POST", "/events/notify", "{\"key\":\"\"}", "field 'key' is missing" },
        { "GET", "/events", null, "query parameter 'key' is missing" },
        { "GET", "/events?key=", null, "query parameter 'key' is missing" },
        { "GET", "/events?key=a&key=b", null, "given 2 times" },
        { "GET", "/events?key=" + LongKey, null, "is 257 characters long" },
        // broken text
        { "POST", "/events/notify", "{\"key\":\"\\ud800\"}", "lone surrogate" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Should_refuse_with_400_naming_what_is_wrong(string method, string path, string? body, string fragment)
    {
        using var response = await _server.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await ReferenceServiceServer.JsonAsync(response)).GetProperty("error").GetString();
        Assert.Contains(fragment, error);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Should_refuse_a_body_that_is_not_UTF8()
    {
        using var content = new ByteArrayContent([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _server.Client.PostAsync("/events/notify", content);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("not valid UTF-8", (await ReferenceServiceServer.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_refuse_a_body_over_64_KiB_with_413(bool chunked)
    {
        var json = "{\"key\":\"app.name\",\"newValue\":\"" + new string('x', 70 * 1024) + "\"}";
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        if (chunked) content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events/notify") { Content = content };
        if (chunked) request.Headers.TransferEncodingChunked = true;

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(413, (int)response.StatusCode);
        Assert.Contains("larger than 65536 bytes", (await ReferenceServiceServer.JsonAsync(response)).GetProperty("error").GetString());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Should_refuse_a_huge_announced_body_without_reading_it()
    {
        using var content = new ByteArrayContent(new byte[2 * 1024 * 1024]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _server.Client.PutAsync("/config/app.name", content);

        Assert.Equal(413, (int)response.StatusCode);
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        var (status, _) = await _server.GetJsonAsync("/health");
        Assert.Equal(200, status);
    }
}
