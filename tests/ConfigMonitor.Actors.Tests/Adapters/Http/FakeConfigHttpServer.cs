using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, a free port) in the SHAPE of the reference config service's API: config reads
/// (200 / 404 / 503 when its database is down), metadata, cache statistics, health, a server-sent change stream per key and the
/// notify call. Tests can override any path with their own answer, make every request hang, and see the headers sent.
/// </summary>
public sealed class FakeConfigHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<int, (string Key, Channel<string> Events)> _streams = new();
    private int _nextStream;
    private int _nextEventId;

    private FakeConfigHttpServer(WebApplication app) => _app = app;

    /// <summary>The base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; private set; } = "";

    public ConcurrentDictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads and health answer 503 as the reference does when its database is unavailable.</summary>
    public volatile bool DatabaseDown;

    /// <summary>Every request waits until the client gives up.</summary>
    public volatile bool Hang;

    /// <summary>The change stream opens without its ': subscribed' comment.</summary>
    public volatile bool SilentSubscribe;

    /// <summary>Change events are written with CRLF line ends and their JSON split over several data lines.</summary>
    public volatile bool CrLfMultiLineEvents;

    public (long Hits, long Misses, int Size, int MaxSize) Cache = (90, 10, 12, 100);

    /// <summary>path (without query) → an answer that replaces the reference route.</summary>
    public ConcurrentDictionary<string, Func<HttpContext, Task>> Routes { get; } = new(StringComparer.Ordinal);

    /// <summary>The Authorization header of every request, in order ("" when none).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary>The request target of every request as sent (escaped path and query).</summary>
    public ConcurrentQueue<string> RawTargets { get; } = new();

    /// <summary>The TCP connections requests came on.</summary>
    public ConcurrentDictionary<string, byte> Connections { get; } = new();

    /// <summary>How many event streams are open now.</summary>
    public int OpenStreams => _streams.Count;

    public static async Task<FakeConfigHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeConfigHttpServer(app);
        server.Map(app);
        await app.StartAsync();
        server.Url = app.Urls.Single().TrimEnd('/');
        return server;
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
            RawTargets.Enqueue(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget);
            Connections.TryAdd(context.Connection.Id, 0);
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                return;
            }
            if (Routes.TryGetValue(context.Request.Path.Value ?? "", out var route))
            {
                await route(context);
                return;
            }
            await next(context);
        });
        // Routing leaves %2F escaped in a route value; the key is the fully unescaped text.
        app.MapGet("/config/{key}", (string key) =>
        {
            key = Uri.UnescapeDataString(key);
            return DatabaseDown ? Unavailable("get_config")
                : Values.TryGetValue(key, out var value) ? Results.Json(new { key, value, found = true })
                : Results.Json(new { key, value = (string?)null, found = false }, statusCode: 404);
        });
        app.MapGet("/config/{key}/metadata", (string key) =>
            DatabaseDown ? Unavailable("get_config_with_metadata")
            : Values.TryGetValue(key, out var value)
                ? Results.Json(new { key, value, found = true, description = "probe key", updatedAt = "2026-11-30T10:00:00Z", version = 7, fromCache = true })
                : Results.Json(new { key, value = (string?)null, found = false }, statusCode: 404));
        app.MapGet("/cache/stats", () => Results.Json(new { hits = Cache.Hits, misses = Cache.Misses, size = Cache.Size, maxSize = Cache.MaxSize }));
        app.MapGet("/health", () => DatabaseDown
            ? Results.Json(new { status = "down", database = new { status = "down", error = "database unavailable" } }, statusCode: 503)
            : Results.Json(new { status = "up", database = new { status = "up", selectOne = 1, rows = Values.Count, responseMs = 1.3 } }));
        app.MapGet("/events", StreamAsync);
        app.MapPost("/events/notify", async (HttpContext context) =>
        {
            var change = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            var key = change.GetProperty("key").GetString()!;
            var data = JsonSerializer.Serialize(new
            {
                key, oldValue = change.GetProperty("oldValue").GetString(), newValue = change.GetProperty("newValue").GetString(),
                changedAt = "2026-11-30T10:00:01Z",
            });
            var sent = 0;
            foreach (var stream in _streams.Values.Where(s => s.Key == key))
                if (stream.Events.Writer.TryWrite(data)) sent++;
            return Results.Json(new { key, subscribers = sent });
        });
    }

    private static IResult Unavailable(string operation) => Results.Json(new { operation, error = "database unavailable" }, statusCode: 503);

    private async Task StreamAsync(HttpContext context)
    {
        var key = context.Request.Query["key"].ToString();
        var id = Interlocked.Increment(ref _nextStream);
        var events = Channel.CreateUnbounded<string>();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        _streams[id] = (key, events);
        try
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (!SilentSubscribe) await WriteAsync(context, $": subscribed {id}\n\n");
            await foreach (var data in events.Reader.ReadAllAsync(context.RequestAborted))
            {
                var eventId = Interlocked.Increment(ref _nextEventId);
                if (CrLfMultiLineEvents)
                {
                    // The same JSON over three data lines (joined by LF it is still the JSON), CRLF line ends, a keep-alive first.
                    var comma = data.IndexOf(',', StringComparison.Ordinal);
                    var second = data.IndexOf(",\"newValue\"", StringComparison.Ordinal);
                    await WriteAsync(context, ": keep-alive\r\n\r\n");
                    await WriteAsync(context, $"event: change\r\nid: {eventId}\r\ndata: {data[..(comma + 1)]}\r\ndata:{data[(comma + 1)..(second + 1)]}\r\ndata: {data[(second + 1)..]}\r\n\r\n");
                }
                else
                {
                    await WriteAsync(context, $": keep-alive\n\nevent: change\nid: {eventId}\ndata: {data}\n\n");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client closed the stream: that is the unsubscribe.
        }
        finally
        {
            _streams.TryRemove(id, out _);
        }
    }

    private static async Task WriteAsync(HttpContext context, string text)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>An answer with <paramref name="status"/> and a raw body.</summary>
    public static Func<HttpContext, Task> Raw(int status, string body, string contentType = "application/json") => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in _streams.Values) stream.Events.Writer.TryComplete();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
