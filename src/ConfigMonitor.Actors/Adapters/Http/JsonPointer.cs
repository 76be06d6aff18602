using System.Globalization;
using System.Text.Json;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>RFC 6901 JSON pointers evaluated against a parsed reply ("" is the whole document).</summary>
public static class JsonPointer
{
    /// <summary>The element <paramref name="pointer"/> names in <paramref name="root"/>; false when it names nothing.</summary>
    public static bool TryResolve(JsonElement root, string pointer, out JsonElement found)
    {
        found = root;
        if (pointer.Length == 0) return true;
        if (pointer[0] != '/') return false;
        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            switch (found.ValueKind)
            {
                case JsonValueKind.Object when found.TryGetProperty(token, out var child):
                    found = child;
                    break;
                case JsonValueKind.Array when IsIndex(token) && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                                               && index < found.GetArrayLength():
                    found = found[index];
                    break;
                default:
                    found = default;
                    return false;
            }
        }
        return true;
    }

    /// <summary>The text of a JSON value as a config value: a string as is, null as null, anything else as its JSON text.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    // RFC 6901: an array index is "0" or digits without a leading zero.
    private static bool IsIndex(string token) => token.Length > 0 && token.All(char.IsAsciiDigit) && (token == "0" || token[0] != '0');
}
