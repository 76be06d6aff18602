using System.Text;
using System.Text.Json;
using ConfigMonitor.Actors.Protocol;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>Reads a request body as a JSON object; anything else is a 400 problem (413 when too large), never a 500.</summary>
public static class JsonBody
{
    /// <summary>
    /// The body's root object; null with a problem when it is not JSON or not an object, or is larger than
    /// <see cref="TextLimits.RequestBodyBytes"/> (with or without Content-Length). An empty body is allowed when <paramref name="optional"/>.
    /// </summary>
    public static async Task<(JsonElement? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, bool optional, CancellationToken ct)
    {
        if (request.ContentLength > DrainBytes) return (null, TooLarge(request));
        byte[] bytes;
        try
        {
            bytes = await ReadBoundedAsync(request.Body, ct);
            if (bytes.Length > TextLimits.RequestBodyBytes)
            {
                // Read the rest (within DrainBytes) so the client gets the 413 instead of a reset connection.
                await request.Body.CopyToAsync(Stream.Null, ct);
                return (null, TooLarge());
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request));
        }
        if (InvalidUtf8At(bytes) is { } at)
            return (null, Bad($"the body is not valid UTF-8 at byte {at} (send the JSON encoded as UTF-8)"));
        var text = Encoding.UTF8.GetString(bytes);
        if (string.IsNullOrWhiteSpace(text))
            return optional ? (null, null) : (null, Bad("the request needs a JSON object body"));
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, Bad($"the body is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, but a JSON object is expected"));
            var problems = Problems(document.RootElement);
            if (problems.Count > 0) return (null, Bad(string.Join("; ", problems), problems));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, Bad($"the body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>The offset of the first byte that does not belong to a UTF-8 sequence, or null when all of them do.</summary>
    public static long? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[Math.Min(bytes.Length, 4096)];
        long offset = 0;
        while (!bytes.IsEmpty)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out var read, out _, replaceInvalidSequences: false, isFinalBlock: true);
            if (status is System.Buffers.OperationStatus.InvalidData or System.Buffers.OperationStatus.NeedMoreData) return offset + read;
            offset += read;
            bytes = bytes[read..];
        }
        return null;
    }

    /// <summary>
    /// What no request body may hold, at any depth: a field given twice (names compared case-insensitively, as every reader of the
    /// body compares them, so which one wins is never a guess) and a text whose escapes are not a character (a lone surrogate such
    /// as <c>\ud800</c>). Fields are named by their path (<c>performance.interval</c>, <c>matchers[0].field</c>).
    /// </summary>
    public static List<string> Problems(JsonElement body)
    {
        var problems = new List<string>();
        Walk(body, "", problems);
        return problems;
    }

    private static void Walk(JsonElement element, string path, List<string> problems)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                var repeated = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        problems.Add($"{(path.Length == 0 ? "the body" : $"field '{path}'")} has a field name with an escape that is not a character (a lone surrogate such as \\ud800)");
                        continue;
                    }
                    var full = path.Length == 0 ? name : $"{path}.{name}";
                    if (seen.TryGetValue(name, out var first))
                    {
                        if (repeated.Add(name)) problems.Add($"field '{first}' is given twice (names are compared ignoring case); give each field once");
                        continue;
                    }
                    seen[name] = full;
                    Walk(property.Value, full, problems);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{i++}]", problems);
                break;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                }
                catch (InvalidOperationException)
                {
                    problems.Add($"field '{path}' has an escape that is not a character (a lone surrogate such as \\ud800); write the text as valid Unicode");
                }
                break;
        }
    }

    /// <summary>Reads up to one byte past the limit, so a larger body is known without reading it all.</summary>
    private static async Task<byte[]> ReadBoundedAsync(Stream body, CancellationToken ct)
    {
        var buffer = new byte[TextLimits.RequestBodyBytes + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await body.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0) break;
            read += n;
        }
        return buffer[..read];
    }

    /// <summary>
    /// How much of a too-large body the API still reads (and discards) before it answers 413: a client that is still sending
    /// when the server closes would see a reset connection instead of the answer. Larger bodies get the 413 with
    /// <c>Connection: close</c> and are not read.
    /// </summary>
    public const int DrainBytes = 1024 * 1024;

    private static IResult TooLarge(HttpRequest request)
    {
        request.HttpContext.Response.Headers.Connection = "close";
        return TooLarge();
    }

    /// <summary>413 naming the limit.</summary>
    public static IResult TooLarge() =>
        ActorAsk.Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"the request body is larger than {TextLimits.RequestBodyBytes} bytes ({TextLimits.RequestBodyBytes / 1024} KiB), the most the management API reads");

    /// <summary>400 with one line per problem in the detail and a <c>problems</c> list.</summary>
    public static IResult Bad(string detail, IReadOnlyList<string>? problems = null) =>
        ActorAsk.Problem(StatusCodes.Status400BadRequest, "Invalid request", detail,
            new Dictionary<string, object?> { ["problems"] = problems ?? [detail] });
}
