using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The events facet over HTTP: the service's server-sent event stream of a key (GET, kept open; each <c>change</c> event is told
/// to the subscriber as <see cref="ConfigChanged"/>) and its notify call (POST JSON <c>{"key","oldValue","newValue"}</c>).
/// A subscription is live when the stream is open and, on the reference service, its <c>: subscribed</c> comment arrived.
/// A stream that ends or fails delivers nothing more: the event probe then reports the event as lost.
/// </summary>
public sealed class HttpEventsFacet(HttpFacetClient client, HttpShape shape) : IEventsFacet
{
    private const string SubscribeOperation = "subscribe_to_changes", NotifyOperation = "notify_change";

    /// <summary>The longest event-stream line (and event data) read: 1 MiB of characters.</summary>
    public const int MaxLineChars = HttpFacetClient.MaxBodyBytes;

    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);

    private sealed class Subscription(string id, string key, IActorRef subscriber) : IDisposable
    {
        public string Id { get; } = id;
        public string Key { get; } = key;
        public IActorRef Subscriber { get; } = subscriber;
        public CancellationTokenSource Life { get; } = new();
        public TaskCompletionSource Live { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public HttpResponseMessage? Response { get; set; }

        public void Dispose()
        {
            try
            {
                Life.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closed.
            }
            Response?.Dispose();
        }
    }

    /// <summary>How many streams are open (for tests: unsubscribe closes them).</summary>
    public int OpenStreams => _subscriptions.Count;

    /// <inheritdoc />
    public async Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout)
    {
        var url = client.Url(shape.Path, key);
        var subscription = new Subscription(Guid.NewGuid().ToString("N"), key, subscriber);
        using var deadline = new CancellationTokenSource(timeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, subscription.Life.Token);
        try
        {
            using var request = client.Request(SubscribeOperation, HttpMethod.Get, url, out _);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            var response = await client.Streams.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token).ConfigureAwait(false);
            subscription.Response = response;
            if (!response.IsSuccessStatusCode)
            {
                // The error body is short; read it (bounded) through the ordinary path to quote it.
                var body = await ReadSomeAsync(response, cancel.Token).ConfigureAwait(false);
                throw client.Failure(SubscribeOperation, new HttpReply(url, response.StatusCode, response.ReasonPhrase, body, null, null));
            }
            if (response.Content.Headers.ContentType?.MediaType is { } type && type != "text/event-stream")
                throw new ConfigServiceException(SubscribeOperation,
                    $"{Redaction.Redact(url.ToString())} answered {(int)response.StatusCode} with '{type}', not an event stream (text/event-stream)");
            var stream = await response.Content.ReadAsStreamAsync(cancel.Token).ConfigureAwait(false);
            _subscriptions[subscription.Id] = subscription;
            _ = Task.Run(() => ReadAsync(subscription, stream, url));
            if (shape.ReferenceRoute) await subscription.Live.Task.WaitAsync(cancel.Token).ConfigureAwait(false);
            return new Subscribed(subscription.Id, key);
        }
        catch (Exception e)
        {
            _subscriptions.TryRemove(subscription.Id, out _);
            subscription.Dispose();
            throw e switch
            {
                OperationCanceledException when deadline.IsCancellationRequested => new ProbeTimeoutException(SubscribeOperation, timeout),
                HttpRequestException or IOException => new ConfigServiceException(SubscribeOperation,
                    client.ScrubSecret($"GET {Redaction.Redact(url.ToString())}: {e.Message.Split('\n', 2)[0].Trim()}")),
                _ => e,
            };
        }
    }

    /// <inheritdoc />
    public async Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout)
    {
        var body = new JsonObject { ["key"] = key, ["oldValue"] = oldValue, ["newValue"] = newValue }.ToJsonString();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var reply = await client.SendAsync(NotifyOperation, HttpMethod.Post, client.Url(shape.NotifyPath, key), content, timeout).ConfigureAwait(false);
        if (!reply.IsSuccess) throw client.Failure(NotifyOperation, reply);
        if (reply.Body.Length == 0) return new ChangeNotified(key, 0);
        var json = client.Json(NotifyOperation, reply);
        var subscribers = JsonPointer.TryResolve(json, "/subscribers", out var n) && n.TryGetInt32(out var count) ? count : 0;
        return new ChangeNotified(key, subscribers);
    }

    /// <inheritdoc />
    public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout)
    {
        // Closing the stream is the unsubscribe (the service drops a subscriber whose stream closed); the probe wrote nothing.
        if (!_subscriptions.TryRemove(subscriptionId, out var subscription)) return Task.FromResult(new Unsubscribed(subscriptionId, false));
        subscription.Dispose();
        return Task.FromResult(new Unsubscribed(subscriptionId, true));
    }

    private async Task ReadAsync(Subscription subscription, Stream stream, Uri url)
    {
        var parser = new ServerSentEventParser(MaxLineChars);
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var items = new List<ServerSentItem>();
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    var read = await stream.ReadAsync(bytes, subscription.Life.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                    items.Clear();
                    parser.Feed(chars.AsSpan(0, count), items);
                    foreach (var item in items) Handle(subscription, item);
                }
            }
            subscription.Live.TrySetException(new ConfigServiceException(SubscribeOperation,
                $"{Redaction.Redact(url.ToString())} closed the event stream before it said ': subscribed'"));
        }
        catch (Exception e)
        {
            // After the subscription is live, a broken stream only means no more events: the event probe reports the loss.
            subscription.Live.TrySetException(new ConfigServiceException(SubscribeOperation,
                client.ScrubSecret($"the event stream of {Redaction.Redact(url.ToString())} failed: {e.Message.Split('\n', 2)[0].Trim()}")));
        }
        finally
        {
            // Leave the entry for UnsubscribeAsync (it reports Existed); only the connection goes.
            subscription.Response?.Dispose();
        }
    }

    private void Handle(Subscription subscription, ServerSentItem item)
    {
        switch (item)
        {
            case ServerSentComment comment when comment.Text == "subscribed" || comment.Text.StartsWith("subscribed ", StringComparison.Ordinal):
                subscription.Live.TrySetResult();
                break;
            case ServerSentEvent { Type: "change" or "message" } change when Parse(subscription, change) is { } changed:
                subscription.Subscriber.Tell(changed);
                break;
        }
    }

    // data: {"key","oldValue","newValue","changedAt"}. Data that is not such a change (another key, not JSON) is not ours to report.
    private static ConfigChanged? Parse(Subscription subscription, ServerSentEvent change)
    {
        try
        {
            using var document = JsonDocument.Parse(change.Data);
            var data = document.RootElement;
            if (data.ValueKind != JsonValueKind.Object) return null;
            if (data.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String && key.GetString() != subscription.Key) return null;
            string? Text(string name) => data.TryGetProperty(name, out var value) ? JsonPointer.AsText(value) : null;
            var changedAt = Text("changedAt") is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed : DateTimeOffset.UtcNow;
            return new ConfigChanged(subscription.Id, subscription.Key, Text("oldValue"), Text("newValue"), changedAt);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        var buffer = new byte[HttpFacetClient.ExcerptChars * 4];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancel).ConfigureAwait(false);
            if (read == 0) break;
            total += read;
        }
        return buffer[..total];
    }
}
