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
        var text = Encoding.UTF8.GetString(bytes);
        if (string.IsNullOrWhiteSpace(text))
            return optional ? (null, null) : (null, Bad("the request needs a JSON object body"));
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, Bad($"the body is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, but a JSON object is expected"));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, Bad($"the body is not valid JSON: {e.Message}"));
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
