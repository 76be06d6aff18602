using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Host.Tests.Fuzz;

/// <summary>One request a hostile or careless client sends, and the name its refusal must mention (when it has one).</summary>
public sealed record HostileRequest(string Class, HttpMethod Method, string Path, string? Body, string? MustName, bool WithToken = true)
{
    /// <summary>
    /// Kestrel itself refuses a request target with an encoded NUL (400 with no body) before any of our code runs; that
    /// is the one refusal without a problem body, and it still must change nothing.
    /// </summary>
    public bool RefusedByTheHttpServer => Path.Contains("%00", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() =>
        $"[{Class}] {Method} {Shorten(Path)} {(Body is null ? "" : Shorten(Body))}{(WithToken ? "" : " (no token)")}";

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + $"… ({text.Length} chars)";
}

/// <summary>
/// Generates requests that must all be refused, by class of input: bad durations in every place a duration enters, text
/// over its limit in every field, wrong JSON kinds, malformed and oversized bodies, unknown ids, bad query values, bad
/// matchers, mutations without the token. Seeded, so a failure names the seed that reproduces it.
/// </summary>
public sealed class HostileInput(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>Durations that no duration field may accept, whatever its range: no unit, no number, signed, overflowing.</summary>
    public static readonly string[] NeverDurations =
    [
        "30", "0", "1", "-1", "10.5", "99999999999", "-5s", "+5s", "5 minutes", "PT5M", "1h30", "h", "ms", "", " ",
        "99999999999d", "1e309s", "9223372036854775807ms", "10675200d", "1.7976931348623157E+308h", "NaNs", "Infinitys",
        "\u0663\u0660s", "30s ; drop", "30 s s", "00:60:00", "25:00:00", "1:2:3", "99999.00:00:00", "00:00:60", "-00:01:00",
        "30\u0000s", new string('9', 5000) + "s", "1,5h", "0x10s",
    ];

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string NeverDuration() => Pick(NeverDurations);

    /// <summary>A JSON value of a kind no string field takes.</summary>
    private JsonNode NotAString() => _random.Next(5) switch
    {
        0 => JsonValue.Create(_random.Next(-5, 100_000)),
        1 => JsonValue.Create(true),
        2 => new JsonObject { ["a"] = 1 },
        3 => new JsonArray(1, 2),
        _ => JsonValue.Create(1.5e300),
    };

    private string TooLong(int limit) => new('x', limit + 1 + _random.Next(2) * _random.Next(1, 40_000)); // under the 64 KiB body limit

    /// <summary>A valid target body, to break one field of.</summary>
    private static JsonObject ValidTarget(string id) => new()
    {
        ["id"] = id,
        ["endpoint"] = "/user/config-service-demo",
        ["probeKey"] = "app.name",
        ["probeTimeout"] = "1s",
        ["performance"] = new JsonObject { ["interval"] = "5s", ["accessTimeThresholdMs"] = 50 },
        ["health"] = new JsonObject { ["interval"] = "5s" },
        ["cache"] = new JsonObject { ["interval"] = "5s" },
        ["database"] = new JsonObject { ["interval"] = "5s" },
        ["eventProbe"] = new JsonObject { ["key"] = "monitor.event-probe", ["timeout"] = "1s" },
    };

    private static JsonObject ValidSilence() => new()
    {
        ["matchers"] = new JsonArray("target=fuzz-nothing"),
        ["duration"] = "1h",
        ["comment"] = "fuzz",
    };

    private static JsonObject ValidWindow() => new()
    {
        ["name"] = "fuzz",
        ["matchers"] = new JsonArray("target=fuzz-nothing"),
        ["recurrence"] = new JsonObject
        {
            ["days"] = new JsonArray("saturday"), ["startTime"] = "02:00", ["duration"] = "90m", ["timeZone"] = "Europe/Berlin",
        },
    };

    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1]) node = (JsonObject)node[part]!;
        node[parts[^1]] = value;
    }

    /// <summary>The next hostile request, from a class chosen at random.</summary>
    public HostileRequest Next()
    {
        var id = "fuzz-" + _random.Next(1_000_000);
        switch (_random.Next(17))
        {
            case 0:
            {
                // A bad duration in a target definition.
                var field = Pick(new[] { "probeTimeout", "performance.interval", "health.interval", "cache.interval", "database.interval", "eventProbe.timeout" });
                var body = ValidTarget(id);
                Set(body, field, NeverDuration());
                return new("duration in a target", HttpMethod.Post, "/api/targets", body.ToJsonString(), LastName(field));
            }
            case 1:
            {
                // A duration outside its range in a target definition.
                var (field, value) = Pick(new[]
                {
                    ("performance.interval", "50ms"), ("performance.interval", "25h"), ("health.interval", "2d"), ("cache.interval", "0s"),
                    ("database.interval", "99ms"), ("probeTimeout", "61s"), ("probeTimeout", "6s"), ("probeTimeout", "0s"),
                    ("eventProbe.timeout", "2m"), ("probeTimeout", "3650d"),
                });
                var body = ValidTarget(id);
                Set(body, field, value);
                return new("duration out of range in a target", HttpMethod.Post, "/api/targets", body.ToJsonString(), LastName(field));
            }
            case 2:
            {
                var window = Pick(NeverDurations.Concat(["59s", "1ms", "0s", "400d", "3650d", "25h"]).ToList());
                return new("summary window", HttpMethod.Get,
                    $"/api/targets/demo/metrics/config_access_ms/summary?window={Uri.EscapeDataString(window)}", null, "window");
            }
            case 3:
            {
                var body = ValidSilence();
                body["duration"] = Pick(NeverDurations.Concat(["366d", "30s", "0s", "3650d"]).ToList());
                return new("silence duration", HttpMethod.Post, "/api/silences", body.ToJsonString(), "duration");
            }
            case 4:
            {
                var body = ValidWindow();
                var (field, value) = _random.Next(2) == 0
                    ? ("duration", Pick(NeverDurations.Concat(["8d", "30s", "0s"]).ToList()))
                    : ("startTime", Pick(new[] { "24:00", "2", "02:60", "-01:00", "1.02:00:00", "noon", "99999999:00", "" }));
                ((JsonObject)body["recurrence"]!)[field] = value;
                return new("maintenance recurrence", HttpMethod.Post, "/api/maintenance-windows", body.ToJsonString(), field);
            }
            case 5:
            {
                // Text over its limit in a target definition.
                var (field, limit) = Pick(new[]
                {
                    ("id", TextLimits.Id), ("endpoint", TextLimits.Endpoint), ("probeKey", TextLimits.Key), ("group", TextLimits.Group),
                    ("eventProbe.key", TextLimits.Key), ("adapter", TextLimits.Kind),
                });
                var body = ValidTarget(id);
                var value = TooLong(limit);
                Set(body, field, field == "endpoint" ? "/user/" + value : value);
                return new("text over its limit in a target", HttpMethod.Post, "/api/targets", body.ToJsonString(), LastName(field));
            }
            case 6:
            {
                // Text over its limit in the other bodies.
                return _random.Next(5) switch
                {
                    0 => new("text over its limit", HttpMethod.Post, "/api/alerts/alert-1/ack",
                        new JsonObject { ["comment"] = TooLong(TextLimits.Comment) }.ToJsonString(), "comment"),
                    1 => new("text over its limit", HttpMethod.Post, "/api/alerts/alert-1/ack",
                        new JsonObject { ["by"] = TooLong(TextLimits.Actor) }.ToJsonString(), "by"),
                    2 => new("text over its limit", HttpMethod.Post, "/api/silences",
                        WithField(ValidSilence(), "comment", TooLong(TextLimits.Comment)), "comment"),
                    3 => new("text over its limit", HttpMethod.Post, "/api/silences",
                        WithField(ValidSilence(), "matchers", new JsonArray("target=" + TooLong(TextLimits.Matcher))), "matcher"),
                    _ => new("text over its limit", HttpMethod.Post, "/api/maintenance-windows",
                        WithField(ValidWindow(), "name", TooLong(TextLimits.Name)), "name"),
                };
            }
            case 7:
            {
                // A JSON kind the field does not take.
                var field = Pick(new[] { "id", "endpoint", "probeKey", "group", "probeTimeout", "performance.interval" });
                var body = ValidTarget(id);
                Set(body, field, NotAString());
                return new("wrong JSON kind in a target", HttpMethod.Post, "/api/targets", body.ToJsonString(), LastName(field));
            }
            case 8:
            {
                var field = Pick(new[] { "comment", "createdBy", "duration", "startsAt", "endsAt" });
                return new("wrong JSON kind in a silence", HttpMethod.Post, "/api/silences", WithField(ValidSilence(), field, NotAString()), field);
            }
            case 9:
            {
                // Bodies that are not a JSON object.
                var body = Pick(new[]
                {
                    "{", "[1,2]", "\"text\"", "42", "null", "{\"id\":", "{'id':'x'}", "\u0000", "{\"id\":\"a\"}}",
                    new string('[', 5000) + new string(']', 5000), "{" + string.Concat(Enumerable.Repeat("\"a\":{", 300)) + "}",
                });
                var route = Pick(new[] { "/api/targets", "/api/silences", "/api/maintenance-windows" });
                return new("not a JSON object", HttpMethod.Post, route, body, null);
            }
            case 10:
                // A body over the API's size limit.
                return new("body over the limit", HttpMethod.Post, Pick(new[] { "/api/targets", "/api/silences", "/api/alerts/alert-1/ack" }),
                    "{\"comment\":\"" + new string('y', TextLimits.RequestBodyBytes + _random.Next(1, 200_000)) + "\"}", null);
            case 11:
            {
                // Unknown or hostile ids in paths.
                var unknown = Pick(new[] { "alert-999999", "nope", "..", "%2e%2e%2fetc", new string('a', TextLimits.Id + 1), "%00", "\u00e9t\u00e9", "alert-1%0d%0aX: y" });
                return _random.Next(5) switch
                {
                    0 => new("unknown id", HttpMethod.Post, $"/api/alerts/{unknown}/ack", null, null),
                    1 => new("unknown id", HttpMethod.Post, $"/api/alerts/{unknown}/unack", null, null),
                    2 => new("unknown id", HttpMethod.Delete, $"/api/silences/{unknown}", null, null),
                    3 => new("unknown id", HttpMethod.Delete, $"/api/targets/{unknown}", null, null),
                    _ => new("unknown id", HttpMethod.Get, $"/api/targets/{unknown}/metrics", null, null),
                };
            }
            case 12:
                return new("bad query value", HttpMethod.Get, "/api/alerts?state=" + Uri.EscapeDataString(Pick(new[] { "bogus", "", "ACTIVE'", "1" })), null, "state");
            case 13:
            {
                var limit = Pick(new[] { "-1", "0", "abc", "99999999999", "1.5", "" });
                var route = Pick(new[] { "/api/targets", "/api/alerts", "/api/silences" });
                return new("bad paging value", HttpMethod.Get, $"{route}?limit={Uri.EscapeDataString(limit)}", null, "limit");
            }
            case 14:
            {
                var matchers = Pick(new JsonNode[]
                {
                    new JsonArray("target"), new JsonArray("=orders"), new JsonArray("colour=red"), new JsonArray("target=~("),
                    new JsonArray(Enumerable.Range(0, TextLimits.MatchersPerRule + 1).Select(i => (JsonNode)$"target=t{i}").ToArray()),
                    new JsonArray(), JsonValue.Create("target=orders"), new JsonArray(new JsonObject { ["field"] = "colour", ["value"] = "x" }),
                });
                return new("bad matchers", HttpMethod.Post, "/api/silences", WithField(ValidSilence(), "matchers", matchers), "matcher");
            }
            case 15:
            {
                // Mutations without the token, each otherwise valid.
                return _random.Next(4) switch
                {
                    0 => new("no token", HttpMethod.Post, "/api/targets", ValidTarget(id).ToJsonString(), null, WithToken: false),
                    1 => new("no token", HttpMethod.Post, "/api/silences", ValidSilence().ToJsonString(), null, WithToken: false),
                    2 => new("no token", HttpMethod.Delete, "/api/targets/runtime-fixture", null, null, WithToken: false),
                    _ => new("no token", HttpMethod.Post, "/api/alerts/alert-1/unack", null, null, WithToken: false),
                };
            }
            default:
            {
                // Unknown fields and conflicting fields.
                return _random.Next(7) switch
                {
                    4 => new("section name with ':'", HttpMethod.Post, "/api/targets", WithField(ValidTarget(id), "Performance:Interval", "30s"), "Performance:Interval"),
                    5 => new("endpoint that is no actor path", HttpMethod.Post, "/api/targets",
                        WithField(ValidTarget(id), "endpoint", Pick(new[]
                        {
                            "akka.tcp://sys@host:4053/user/x#z", "akka.tcp://sys@host:4053/user/x?y=1", "akka.tcp://@host:4053/user/x",
                            "akka.tcp://sys@ho st:4053/user/x", "akka.tcp://sys@host:99999/user/x", "http://x/user/y", "/user/../x",
                        })), "endpoint"),
                    6 => new("silence a year ahead", HttpMethod.Post, "/api/silences",
                        WithField(ValidSilence(), "startsAt", Pick(new[] { "9999-12-31T23:59:00Z", "2100-01-01T00:00:00Z" })), "startsAt"),
                    0 => new("unknown field", HttpMethod.Post, "/api/targets", WithField(ValidTarget(id), "performance", new JsonObject { ["intervall"] = "5s" }), "intervall"),
                    1 => new("unknown field", HttpMethod.Post, "/api/targets", WithField(ValidTarget(id), "colour", "red"), "colour"),
                    2 => new("conflict", HttpMethod.Post, "/api/targets", ValidTarget("demo").ToJsonString(), "demo"),
                    _ => new("conflicting fields", HttpMethod.Post, "/api/silences",
                        WithField(ValidSilence(), "endsAt", "2020-01-01T00:00:00Z"), "endsAt"),
                };
            }
        }
    }

    private static string WithField(JsonObject body, string field, JsonNode? value)
    {
        body[field] = value;
        return body.ToJsonString();
    }

    private static string LastName(string path) => path.Split('.')[^1];

    /// <summary>The request as an HttpRequestMessage.</summary>
    public static HttpRequestMessage ToMessage(HostileRequest request)
    {
        var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is not null) message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
        return message;
    }

    /// <summary>All the text of a problem body (detail, title and every listed problem), for "names the field" checks.</summary>
    public static string ProblemText(JsonElement problem)
    {
        var text = new StringBuilder();
        foreach (var name in new[] { "title", "detail" })
            if (problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String) text.AppendLine(value.GetString());
        if (problem.TryGetProperty("problems", out var problems) && problems.ValueKind == JsonValueKind.Array)
            foreach (var p in problems.EnumerateArray()) text.AppendLine(p.ToString());
        return text.ToString();
    }
}
