using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.ConfigService.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.ConfigService.Tests.Http;

/// <summary>A real reference service for a test: the actor over a temp SQLite file, its HTTP routes on Kestrel at 127.0.0.1:0.</summary>
internal sealed class ReferenceServiceServer : IAsyncDisposable
{
    private readonly string _databasePath;
    private readonly ActorSystem _system;
    private readonly WebApplication _app;

    private ReferenceServiceServer(string databasePath, ActorSystem system, WebApplication app, Uri address)
    {
        _databasePath = databasePath;
        _system = system;
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public static async Task<ReferenceServiceServer> StartAsync(ReferenceServiceHttpOptions? options = null, int cacheCapacity = 100)
    {
        var databasePath = Path.Combine(Path.GetTempPath(), $"refsvc-http-{Guid.NewGuid():N}.db");
        var system = ActorSystem.Create($"refsvc-http-{Guid.NewGuid():N}", "akka.loglevel = WARNING");
        var service = system.ActorOf(ConfigServiceActor.Props(new ConfigServiceSettings(databasePath, "http-test") { CacheCapacity = cacheCapacity }),
            "config-service");
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        ReferenceServiceHttp.Map(app, system, service, options ?? new ReferenceServiceHttpOptions());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReferenceServiceServer(databasePath, system, app, new Uri(address));
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? bearer = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, path, json, bearer, ct);

    public Task<HttpResponseMessage> PutJsonAsync(string path, string json, string? bearer = null) => SendAsync(HttpMethod.Put, path, json, bearer);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json, string? bearer = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await Client.SendAsync(request, ct);
    }

    /// <summary>Applies a fault and checks it was applied.</summary>
    public async Task FaultAsync(string name, string json = "{}")
    {
        using var response = await PostJsonAsync($"/faults/{name}", json);
        Assert.Equal(200, (int)response.StatusCode);
        var body = await JsonAsync(response);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("applied").GetString()));
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> GetJsonAsync(string path, CancellationToken ct = default)
    {
        using var response = await Client.GetAsync(path, ct);
        return ((int)response.StatusCode, await JsonAsync(response));
    }

    public async Task<int> NotifyAsync(string key, string? oldValue, string? newValue)
    {
        using var response = await PostJsonAsync("/events/notify", JsonSerializer.Serialize(new { key, oldValue, newValue }));
        Assert.Equal(200, (int)response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal(key, body.GetProperty("key").GetString());
        return body.GetProperty("subscribers").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _system.Terminate();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_databasePath + suffix);
    }
}

/// <summary>A client of <c>GET /events</c>: reads the stream frame by frame (a frame ends with a blank line).</summary>
internal sealed class EventStreamClient : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private Task<string?>? _pendingLine;

    private EventStreamClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public string SubscriptionId { get; private set; } = "";

    /// <summary>Opens the stream and waits for its <c>: subscribed</c> comment, so the subscription is live on return.</summary>
    public static async Task<EventStreamClient> OpenAsync(HttpClient client, string key)
    {
        var response = await client.GetAsync($"/events?key={Uri.EscapeDataString(key)}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = new EventStreamClient(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        var first = await stream.NextFrameAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(first);
        var line = Assert.Single(first);
        Assert.StartsWith(": subscribed ", line);
        stream.SubscriptionId = line[": subscribed ".Length..];
        Assert.False(string.IsNullOrWhiteSpace(stream.SubscriptionId));
        return stream;
    }

    /// <summary>The next frame's lines, or null when none is complete within <paramref name="wait"/>.</summary>
    public async Task<List<string>?> NextFrameAsync(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var lines = new List<string>();
        while (true)
        {
            _pendingLine ??= _reader.ReadLineAsync();
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(_pendingLine, Task.Delay(left)) != _pendingLine)
                return null; // the partial frame stays unread; callers that get null stop reading this stream for the check
            var line = await _pendingLine;
            _pendingLine = null;
            if (line is null) throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (lines.Count > 0) return lines;
                continue;
            }
            lines.Add(line);
        }
    }

    /// <summary>The next <c>event: change</c> frame (skipping keep-alive comments) as (id, data), or null within <paramref name="wait"/>.</summary>
    public async Task<(long Id, JsonElement Data)?> NextChangeAsync(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            var frame = await NextFrameAsync(deadline - DateTime.UtcNow);
            if (frame is null) return null;
            if (frame.All(l => l.StartsWith(':'))) continue;
            Assert.Equal(3, frame.Count);
            Assert.Equal("event: change", frame[0]);
            Assert.StartsWith("id: ", frame[1]);
            Assert.StartsWith("data: ", frame[2]);
            using var data = JsonDocument.Parse(frame[2]["data: ".Length..]);
            return (long.Parse(frame[1]["id: ".Length..]), data.RootElement.Clone());
        }
        return null;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
