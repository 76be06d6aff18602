using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>A reply read whole (bounded): its status, body and the headers the config facet uses for metadata.</summary>
public sealed record HttpReply(Uri Url, HttpStatusCode Status, string? ReasonPhrase, byte[] Body, string? ETag, DateTimeOffset? LastModified)
{
    /// <summary>True for 2xx.</summary>
    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    /// <summary>"503 Service Unavailable".</summary>
    public string StatusText => ReasonPhrase is { Length: > 0 } phrase ? $"{(int)Status} {phrase}" : ((int)Status).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One http facet's way to its service: URLs from the endpoint and a path template, the bearer secret on every request, the
/// probe timeout on every call, bounded reads, and every failure as a one-line <see cref="ConfigServiceException"/> or
/// <see cref="ProbeTimeoutException"/>. Requests go through the node's one <see cref="HttpClient"/>, never mutated.
/// </summary>
public sealed class HttpFacetClient(HttpClient http, string endpoint, string? secret, HttpClient? streams = null)
{
    /// <summary>The largest reply body read (1 MiB); a larger one is refused.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>How much of a body an error message quotes.</summary>
    public const int ExcerptChars = 200;

    /// <summary>The node's client.</summary>
    public HttpClient Http { get; } = http;

    /// <summary>The node's client for event streams (a pool of their own, so open streams never hold up a probe's request).</summary>
    public HttpClient Streams { get; } = streams ?? http;

    /// <summary>The URL of <paramref name="path"/> (a path under the endpoint, or an absolute URL), <c>{key}</c> replaced by the escaped key.</summary>
    public Uri Url(string path, string? key = null)
    {
        var filled = key is null ? path : path.Replace("{key}", Uri.EscapeDataString(key), StringComparison.Ordinal);
        return filled.StartsWith('/') ? new Uri(endpoint.TrimEnd('/') + filled, UriKind.Absolute) : new Uri(filled, UriKind.Absolute);
    }

    /// <summary>A request to <paramref name="url"/> with the secret (resolved now) as a bearer token.</summary>
    public HttpRequestMessage Request(string operation, HttpMethod method, Uri url, out string? secretValue)
    {
        var request = new HttpRequestMessage(method, url);
        secretValue = null;
        if (secret is not null)
        {
            try
            {
                secretValue = SecretReference.Resolve(secret);
            }
            catch (SecretUnavailableException e)
            {
                request.Dispose();
                throw new ConfigServiceException(operation, e.Message);
            }
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secretValue);
        }
        return request;
    }

    /// <summary>Sends a request and reads the whole reply (up to <see cref="MaxBodyBytes"/>) within <paramref name="timeout"/>; any status is returned.</summary>
    public async Task<HttpReply> SendAsync(string operation, HttpMethod method, Uri url, HttpContent? content, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        using var request = Request(operation, method, url, out var secretValue);
        request.Content = content;
        try
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var body = await ReadBoundedAsync(operation, url, response, deadline.Token).ConfigureAwait(false);
            return new HttpReply(url, response.StatusCode, response.ReasonPhrase, body, response.Headers.ETag?.Tag, response.Content.Headers.LastModified);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ProbeTimeoutException(operation, timeout);
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            // The client's own backstop timeout (longer than any probe timeout should be).
            throw new ProbeTimeoutException(operation, Http.Timeout);
        }
        catch (HttpRequestException e)
        {
            throw new ConfigServiceException(operation, Scrub($"{method} {Redaction.Redact(url.ToString())}: {Describe(e)}", secretValue));
        }
        catch (IOException e)
        {
            throw new ConfigServiceException(operation, Scrub($"{method} {Redaction.Redact(url.ToString())}: the reply broke off ({e.Message})", secretValue));
        }
    }

    /// <summary>GET <paramref name="url"/>, 2xx expected, parsed as JSON; other statuses and malformed JSON are failures.</summary>
    public async Task<JsonElement> GetJsonAsync(string operation, Uri url, TimeSpan timeout)
    {
        var reply = await SendAsync(operation, HttpMethod.Get, url, null, timeout).ConfigureAwait(false);
        if (!reply.IsSuccess) throw Failure(operation, reply);
        return Json(operation, reply);
    }

    /// <summary>The reply's body as JSON; a malformed body is a failure quoting it.</summary>
    public ConfigServiceException? TryJson(string operation, HttpReply reply, out JsonElement json)
    {
        try
        {
            using var document = JsonDocument.Parse(reply.Body);
            json = document.RootElement.Clone();
            return null;
        }
        catch (JsonException e)
        {
            json = default;
            return new ConfigServiceException(operation, ScrubSecret(
                $"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText} with malformed JSON ({FirstLine(e.Message)}): {Excerpt(reply.Body)}"));
        }
    }

    /// <summary>The reply's body as JSON, or a failure.</summary>
    public JsonElement Json(string operation, HttpReply reply) => TryJson(operation, reply, out var json) is { } failure ? throw failure : json;

    /// <summary>
    /// A non-success reply as a failure: the status and the service's own error text (<c>error</c> or <c>message</c> of a JSON
    /// body, else a short excerpt of the body), redacted.
    /// </summary>
    public ConfigServiceException Failure(string operation, HttpReply reply, string? errorText = null)
    {
        var what = errorText ?? ErrorText(reply.Body);
        return new ConfigServiceException(operation,
            ScrubSecret($"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText}{(what.Length > 0 ? ": " + what : "")}"));
    }

    /// <summary>The error text of a body: its JSON <c>error</c> (a string, or an object's <c>message</c>) or <c>message</c>, else an excerpt.</summary>
    public static string ErrorText(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            foreach (var pointer in new[] { "/error", "/message", "/database/error", "/error/message", "/detail", "/title" })
                if (JsonPointer.TryResolve(document.RootElement, pointer, out var found) && found.ValueKind == JsonValueKind.String)
                    return Shorten(found.GetString()!);
        }
        catch (JsonException)
        {
            // Not JSON: quote the text itself.
        }
        return Excerpt(body);
    }

    /// <summary>The first <see cref="ExcerptChars"/> characters of a body on one line, redacted.</summary>
    public static string Excerpt(byte[] body)
    {
        if (body.Length == 0) return "(empty body)";
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, ExcerptChars * 4));
        return Shorten(text) + (body.Length > ExcerptChars * 4 ? $" ({body.Length} bytes)" : "");
    }

    private static string Shorten(string text)
    {
        var oneLine = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        if (oneLine.Length > ExcerptChars) oneLine = oneLine[..ExcerptChars] + "…";
        return Redaction.Redact(oneLine);
    }

    private static async Task<byte[]> ReadBoundedAsync(string operation, Uri url, HttpResponseMessage response, CancellationToken cancel)
    {
        if (response.Content.Headers.ContentLength is > MaxBodyBytes)
            throw new ConfigServiceException(operation, TooLarge(url, response, response.Content.Headers.ContentLength.Value));
        await using var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength is { } length)
        {
            // The usual reply: its length is known, so it is read straight into an array of that size (no copy, no chunk).
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, cancel).ConfigureAwait(false);
            return body;
        }
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false);
                if (read == 0) return buffer.ToArray();
                if (buffer.Length + read > MaxBodyBytes)
                    throw new ConfigServiceException(operation, TooLarge(url, response, null));
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static string TooLarge(Uri url, HttpResponseMessage response, long? length) =>
        $"{Redaction.Redact(url.ToString())} answered {(int)response.StatusCode} with a body of {(length is { } n ? $"{n} bytes" : "more than 1 MiB")}; " +
        $"replies larger than {MaxBodyBytes} bytes (1 MiB) are refused";

    private static string Describe(HttpRequestException e)
    {
        var inner = e.InnerException is { } cause && !e.Message.Contains(cause.Message, StringComparison.Ordinal) ? $" ({FirstLine(cause.Message)})" : "";
        var kind = e.HttpRequestError == HttpRequestError.Unknown ? "" : $"{e.HttpRequestError}: ";
        return kind + FirstLine(e.Message) + inner;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    // A server could echo the token back (in an error body); it never leaves this client.
    private static string Scrub(string text, string? secretValue) =>
        secretValue is { Length: > 0 } ? text.Replace(secretValue, "***", StringComparison.Ordinal) : text;

    /// <summary><paramref name="text"/> with the secret's value (should a server echo it) replaced by <c>***</c>.</summary>
    public string ScrubSecret(string text)
    {
        if (secret is null) return text;
        try
        {
            return Scrub(text, SecretReference.Resolve(secret));
        }
        catch (SecretUnavailableException)
        {
            return text; // nothing was sent, so nothing can be echoed
        }
    }
}
