using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>Reads a request body as a JSON object; anything else is a 400 problem, never a 500.</summary>
public static class JsonBody
{
    /// <summary>The body's root object; null with a problem when it is not JSON or not an object. An empty body is allowed when <paramref name="optional"/>.</summary>
    public static async Task<(JsonElement? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, bool optional, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
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

    /// <summary>A string property (case-insensitive name), or null; a non-string value is reported in <paramref name="problems"/>.</summary>
    public static string? String(JsonElement body, string name, List<string> problems)
    {
        var value = Property(body, name);
        if (value is null || value.Value.ValueKind == JsonValueKind.Null) return null;
        if (value.Value.ValueKind == JsonValueKind.String) return value.Value.GetString();
        problems.Add($"field '{name}' must be a string");
        return null;
    }

    /// <summary>A property by case-insensitive name.</summary>
    public static JsonElement? Property(JsonElement body, string name)
    {
        foreach (var p in body.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    /// <summary>400 with one line per problem in the detail and a <c>problems</c> list.</summary>
    public static IResult Bad(string detail, IReadOnlyList<string>? problems = null) =>
        ActorAsk.Problem(StatusCodes.Status400BadRequest, "Invalid request", detail,
            new Dictionary<string, object?> { ["problems"] = problems ?? [detail] });
}
