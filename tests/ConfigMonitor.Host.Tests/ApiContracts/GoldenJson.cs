using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>
/// The API's golden JSON files (ApiContracts/Golden): what the management API wrote before its answers came from view records,
/// compared with what it writes now. <c>CONFIGMONITOR_WRITE_GOLDEN=1</c> writes a file that is missing (never one that exists);
/// under <c>CI=true</c> nothing is written.
/// </summary>
public static partial class GoldenJson
{
    /// <summary>The golden folder in the source tree (the files are the contract, kept beside the spec).</summary>
    public static string Folder([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Golden");

    /// <summary>What differs from the golden file <paramref name="name"/>, or null when <paramref name="actual"/> is the same text.</summary>
    public static string? Compare(string name, string actual) => Compare(name, actual, (expected, now) => expected == now);

    /// <summary>
    /// What differs from the golden shape <paramref name="name"/>: the same names in the same order and the same kinds, where a
    /// null and a value of a scalar kind match (a last error or a last success is there in one run and not yet in another).
    /// </summary>
    public static string? CompareShape(string name, string actual) =>
        Compare(name, actual, (expected, now) => Matches(JsonNode.Parse(expected), JsonNode.Parse(now)));

    private static bool Matches(JsonNode? golden, JsonNode? actual) => (golden, actual) switch
    {
        (null, null) => true,
        (null, JsonValue) or (JsonValue, null) => true,
        (JsonValue g, JsonValue a) => g.ToJsonString() == a.ToJsonString(),
        (JsonObject g, JsonObject a) => g.Select(p => p.Key).SequenceEqual(a.Select(p => p.Key)) && g.All(p => Matches(p.Value, a[p.Key])),
        (JsonArray g, JsonArray a) => a.All(i => g.Any(e => Matches(e, i))) && (a.Count == 0 || g.All(e => a.Any(i => Matches(e, i)))),
        _ => false,
    };

    private static string? Compare(string name, string actual, Func<string, string, bool> same)
    {
        var path = Path.Combine(Folder(), name);
        if (!File.Exists(path))
        {
            if (Environment.GetEnvironmentVariable("CONFIGMONITOR_WRITE_GOLDEN") == "1" && Environment.GetEnvironmentVariable("CI") != "true")
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, actual, new UTF8Encoding(false));
                return null;
            }
            return $"{name}: no golden file (write it once with CONFIGMONITOR_WRITE_GOLDEN=1 and commit it); the API now writes:{Environment.NewLine}{actual}";
        }
        var expected = File.ReadAllText(path, Encoding.UTF8);
        return same(expected, actual) ? null : $"{name}: the API's JSON changed (a client would see another contract).{Environment.NewLine}golden: {expected}{Environment.NewLine}now:    {actual}";
    }

    /// <summary>
    /// The shape of a JSON answer of a running node, where values differ from run to run: property names in the order written,
    /// strings as their class (timestamp, snake_case word, duration, other text), numbers and booleans as their kind, nulls kept;
    /// a list as its distinct item shapes; the maps whose keys are data (<paramref name="maps"/>) as one entry. Indented, so a
    /// difference reads line by line.
    /// </summary>
    public static string Shape(JsonNode? node, params string[] maps) =>
        Normalize(node, maps)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";

    private static JsonNode? Normalize(JsonNode? node, string[] maps)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
            {
                var shaped = new JsonObject();
                foreach (var (name, value) in o)
                {
                    if (maps.Contains(name) && value is JsonObject map)
                    {
                        // The values' distinct shapes under one key: which keys a map holds is data, not contract.
                        var values = new JsonArray();
                        foreach (var text in map.Select(e => Normalize(e.Value, maps)?.ToJsonString() ?? "null").Distinct())
                            values.Add(JsonNode.Parse(text));
                        shaped[name] = new JsonObject { ["<key>"] = values };
                    }
                    else shaped[name] = Normalize(value, maps);
                }
                return shaped;
            }
            case JsonArray a:
            {
                var shapes = new JsonArray();
                var seen = new HashSet<string>();
                foreach (var item in a)
                {
                    var shape = Normalize(item, maps);
                    if (seen.Add(shape?.ToJsonString() ?? "null")) shapes.Add(shape);
                }
                return shapes;
            }
            default:
                var element = node.GetValue<JsonElement>();
                return element.ValueKind switch
                {
                    JsonValueKind.String => Classify(element.GetString()!),
                    JsonValueKind.Number => "<number>",
                    JsonValueKind.True or JsonValueKind.False => "<bool>",
                    _ => null,
                };
        }
    }

    private static string Classify(string text)
    {
        if (Timestamp().IsMatch(text)) return "<timestamp>";
        if (Duration().IsMatch(text)) return text;
        if (SnakeWord().IsMatch(text)) return "<snake_case>";
        return "<text>";
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^(\d+(ms|s|m|h|d))+$|^\d{2}:\d{2}(:\d{2})?$")]
    private static partial Regex Duration();

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex SnakeWord();
}
