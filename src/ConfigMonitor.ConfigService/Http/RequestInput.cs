using System.Text;
using System.Text.Json;
using ConfigMonitor.Actors.Protocol;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.ConfigService.Http;

/// <summary>The JSON type a body field must have.</summary>
public enum FieldKind
{
    /// <summary>A string; null is refused.</summary>
    Text,

    /// <summary>A string or null.</summary>
    TextOrNull,

    /// <summary>true or false.</summary>
    Boolean,
}

/// <summary>A field a body may hold.</summary>
public sealed record BodyField(string Name, FieldKind Kind, bool Required);

/// <summary>A request body that passed its checks: the fields given, by their contract name.</summary>
public sealed class CheckedBody(IReadOnlyDictionary<string, JsonElement> fields)
{
    /// <summary>The string (or null) of <paramref name="name"/>; null when not given.</summary>
    public string? Text(string name) => fields.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>Whether <paramref name="name"/> was given (with any value, null included).</summary>
    public bool Has(string name) => fields.ContainsKey(name);

    /// <summary>The boolean of <paramref name="name"/>.</summary>
    public bool Boolean(string name) => fields[name].GetBoolean();
}

/// <summary>Key and body checks of the HTTP API: everything refused is a 400 or 413 naming what is wrong, never a 500.</summary>
public static class RequestInput
{
    /// <summary>The longest key the service accepts.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>The largest body the service reads.</summary>
    public const int MaxBodyBytes = TextLimits.RequestBodyBytes;

    /// <summary>How much of a too-large body is still read (and discarded) so the client sees the 413 rather than a reset.</summary>
    private const int DrainBytes = 1024 * 1024;

    /// <summary>What is wrong with a configuration key, or null when it is fine (1 to 256 characters, no control character).</summary>
    public static string? CheckKey(string? key, string field = "key")
    {
        if (string.IsNullOrEmpty(key))
            return $"{field} is missing; give the configuration key, for example app.name";
        if (key.Length > MaxKeyLength)
            return $"{field} '{TextLimits.Quote(key, 40)}' is {key.Length} characters long; the limit is {MaxKeyLength}";
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsControl(c))
                return $"{field} has a control character (U+{(int)c:X4}) at position {i}; a key is printable text such as app.name";
            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return $"{field} has a broken character (a lone surrogate) at position {i}; send the key as valid UTF-8";
        }
        return null;
    }

    /// <summary>
    /// Reads the body as a JSON object holding only <paramref name="fields"/>, each of its kind, each once (names compared
    /// ignoring case); an empty body is allowed when no field is required. Returns the body, or the refusal to send.
    /// </summary>
    public static async Task<(CheckedBody? Body, IResult? Refusal)> ReadBodyAsync(HttpRequest request, IReadOnlyList<BodyField> fields, CancellationToken ct)
    {
        if (request.ContentLength > DrainBytes)
            return (null, TooLarge(request, close: true));
        byte[] bytes;
        try
        {
            bytes = await ReadBoundedAsync(request.Body, MaxBodyBytes + 1, ct);
            if (bytes.Length > MaxBodyBytes)
            {
                var drained = await ReadBoundedAsync(request.Body, DrainBytes, ct);
                return (null, TooLarge(request, close: drained.Length >= DrainBytes));
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request, close: true));
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return (null, Bad("the body is not valid UTF-8; send the JSON encoded as UTF-8"));
        }
        var expected = string.Join(", ", fields.Select(Describe));
        if (string.IsNullOrWhiteSpace(text))
        {
            return fields.Any(f => f.Required)
                ? (null, Bad($"the request needs a JSON object body with {expected}"))
                : (new CheckedBody(new Dictionary<string, JsonElement>()), null);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return (null, Bad($"the body is not valid JSON ({FirstSentence(e.Message)}); send a JSON object with {expected}"));
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, Bad($"the body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, but a JSON object with {expected} is expected"));
            var problems = new List<string>();
            var given = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string name;
                try
                {
                    name = property.Name;
                }
                catch (InvalidOperationException)
                {
                    problems.Add("a field name has an escape that is not a character (a lone surrogate such as \\ud800)");
                    continue;
                }
                var field = fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
                if (field is null)
                {
                    problems.Add($"field '{TextLimits.Quote(name, 40)}' is unknown; this route reads {expected}");
                    continue;
                }
                if (given.ContainsKey(field.Name))
                {
                    problems.Add($"field '{field.Name}' is given twice (names are compared ignoring case); give it once");
                    continue;
                }
                if (CheckKind(field, property.Value) is { } wrong)
                {
                    problems.Add(wrong);
                    continue;
                }
                given[field.Name] = property.Value.Clone();
            }
            foreach (var missing in fields.Where(f => f.Required && !given.ContainsKey(f.Name) && !problems.Any(p => p.Contains($"'{f.Name}'", StringComparison.Ordinal))))
                problems.Add($"field '{missing.Name}' is missing; it must be {KindText(missing.Kind)}");
            return problems.Count > 0 ? (null, Bad(string.Join("; ", problems))) : (new CheckedBody(given), null);
        }
    }

    private static string? CheckKind(BodyField field, JsonElement value)
    {
        var ok = field.Kind switch
        {
            FieldKind.Text => value.ValueKind == JsonValueKind.String,
            FieldKind.TextOrNull => value.ValueKind is JsonValueKind.String or JsonValueKind.Null,
            _ => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        };
        if (!ok)
            return $"field '{field.Name}' is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, but it must be {KindText(field.Kind)}";
        if (value.ValueKind != JsonValueKind.String) return null;
        try
        {
            _ = value.GetString();
            return null;
        }
        catch (InvalidOperationException)
        {
            return $"field '{field.Name}' has an escape that is not a character (a lone surrogate such as \\ud800); write it as valid Unicode";
        }
    }

    private static string Describe(BodyField field) => $"'{field.Name}' ({KindText(field.Kind)}{(field.Required ? "" : ", optional")})";

    private static string KindText(FieldKind kind) => kind switch
    {
        FieldKind.Text => "a string",
        FieldKind.TextOrNull => "a string or null",
        _ => "true or false",
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return TextLimits.Bounded(cut < 0 ? message.TrimEnd('.') : message[..cut], 200);
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream body, int limit, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(limit, 81920)];
        using var kept = new MemoryStream();
        while (kept.Length < limit)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - kept.Length)), ct);
            if (n == 0) break;
            kept.Write(buffer, 0, n);
        }
        return kept.ToArray();
    }

    /// <summary>400 with <c>{"error": ...}</c>.</summary>
    public static IResult Bad(string error) => Results.Json(new ErrorBody(error), ContractJson.Options, statusCode: StatusCodes.Status400BadRequest);

    private static IResult TooLarge(HttpRequest request, bool close)
    {
        if (close) request.HttpContext.Response.Headers.Connection = "close";
        return Results.Json(new ErrorBody($"the request body is larger than {MaxBodyBytes} bytes ({MaxBodyBytes / 1024} KiB), the most this service reads"),
            ContractJson.Options, statusCode: StatusCodes.Status413PayloadTooLarge);
    }
}
