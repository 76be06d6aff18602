using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Host.Api;

/// <summary>Body of <c>POST /api/alerts/{id}/ack</c> (optional).</summary>
public sealed record AcknowledgeRequest(
    [property: TextLimit(TextLimits.Actor)] string? By = null,
    [property: TextLimit(TextLimits.Comment)] string? Comment = null);

/// <summary>Body of <c>POST /api/alerts/{id}/unack</c> (optional).</summary>
public sealed record UnacknowledgeRequest([property: TextLimit(TextLimits.Actor)] string? By = null);

/// <summary>Body of <c>POST /api/silences</c>: matchers, and an end (<c>endsAt</c>) or a <c>duration</c>.</summary>
public sealed record SilenceRequest(
    [property: CountLimit(TextLimits.MatchersPerRule)] IReadOnlyList<MatcherInput>? Matchers = null,
    DateTimeOffset? StartsAt = null,
    DateTimeOffset? EndsAt = null,
    [property: TextLimit(RequestLimits.Duration)] string? Duration = null,
    [property: TextLimit(TextLimits.Actor)] string? CreatedBy = null,
    [property: TextLimit(TextLimits.Comment)] string? Comment = null);

/// <summary>Body of <c>POST /api/maintenance-windows</c>: one-off (<c>startsAt</c>..<c>endsAt</c>) or recurring.</summary>
public sealed record MaintenanceWindowRequest(
    [property: TextLimit(TextLimits.Name)] string? Name = null,
    [property: CountLimit(TextLimits.MatchersPerRule)] IReadOnlyList<MatcherInput>? Matchers = null,
    DateTimeOffset? StartsAt = null,
    DateTimeOffset? EndsAt = null,
    RecurrenceRequest? Recurrence = null,
    [property: TextLimit(TextLimits.Actor)] string? CreatedBy = null);

/// <summary>The weekly recurrence of a maintenance window.</summary>
public sealed record RecurrenceRequest(
    [property: CountLimit(7), TextLimit(RequestLimits.DayName)] IReadOnlyList<string>? Days = null,
    [property: TextLimit(RequestLimits.TimeOfDay)] string? StartTime = null,
    [property: TextLimit(RequestLimits.Duration)] string? Duration = null,
    [property: TextLimit(TextLimits.TimeZone)] string? TimeZone = null);

/// <summary>
/// One matcher as a request gives it: the text form (<c>"target=orders"</c>, <c>"severity=~warn.*"</c>, the CLI's) or the
/// object form (<c>{"field":"target","value":"orders","isRegex":false}</c>); either way its text is at most
/// <see cref="TextLimits.Matcher"/> characters.
/// </summary>
[JsonConverter(typeof(MatcherInputConverter))]
public sealed record MatcherInput([property: TextLimit(TextLimits.Matcher)] string Text, string? Field = null, string? Value = null, bool IsRegex = false)
{
    /// <summary>The matcher, or what is wrong with it.</summary>
    public (Matcher? Matcher, string? Problem) Parse()
    {
        Matcher matcher;
        if (Field is null)
        {
            if (!MatcherText.TryParse(Text, out matcher, out var problem)) return (null, problem);
        }
        else if (!Enum.TryParse<MatchField>(Field, ignoreCase: true, out var parsed) || int.TryParse(Field, out _))
            return (null, $"matcher field '{Field}' is not one of target, category, severity, rule, group");
        else matcher = new Matcher(parsed, Value ?? "", IsRegex);
        return KnownValue(matcher) is { } unknown ? (null, unknown) : (matcher, null);
    }

    /// <summary>
    /// A plain (not regex) matcher on severity or category can only match one of their names; any other value would silently
    /// match nothing, so it is refused with the names it could be.
    /// </summary>
    private static string? KnownValue(Matcher matcher)
    {
        if (matcher.IsRegex) return null;
        var names = matcher.Field switch
        {
            MatchField.Severity => Enum.GetValues<AlertSeverity>().Select(AlertNames.Severity).ToList(),
            MatchField.Category => Enum.GetValues<AlertCategory>().Select(AlertNames.Category).ToList(),
            _ => null,
        };
        if (names is null || matcher.Value.Length == 0 || names.Contains(matcher.Value, StringComparer.OrdinalIgnoreCase)) return null;
        var field = matcher.Field.ToString().ToLowerInvariant();
        return $"matcher on {field} has the value '{matcher.Value}', which no alert has ({field} is one of {string.Join(", ", names)}; write {field}=~regex for a pattern)";
    }
}

/// <summary>The object form of a matcher, for the kind check.</summary>
public sealed record MatcherObject(string? Field = null, string? Value = null, bool? IsRegex = null);

/// <summary>Reads a matcher given as a string or as an object.</summary>
public sealed class MatcherInputConverter : JsonConverter<MatcherInput>
{
    /// <inheritdoc />
    public override MatcherInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new MatcherInput(reader.GetString()!);
        var o = JsonSerializer.Deserialize<MatcherObject>(ref reader, options) ?? new MatcherObject();
        return new MatcherInput($"{o.Field}={(o.IsRegex == true ? "~" : "")}{o.Value}", o.Field ?? "", o.Value, o.IsRegex == true);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, MatcherInput value, JsonSerializerOptions options) => writer.WriteStringValue(value.Text);
}

/// <summary>Limits of request fields that are not free text (durations, times of day, day names).</summary>
public static class RequestLimits
{
    /// <summary>A duration's text: the grammar reads at most 40 characters.</summary>
    public const int Duration = 40;

    /// <summary>A time of day (HH:mm:ss).</summary>
    public const int TimeOfDay = 8;

    /// <summary>A day of the week ("wednesday").</summary>
    public const int DayName = 9;
}

/// <summary>Marks a list property with the most items it takes.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class CountLimitAttribute(int maxCount) : Attribute
{
    /// <summary>The most items.</summary>
    public int MaxCount { get; } = maxCount;
}

/// <summary>Every request body of the management API, by route (the target definition goes through the configuration reader instead).</summary>
public static class ApiRequests
{
    /// <summary>"METHOD /route" → the body's record type.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Bodies = new Dictionary<string, Type>
    {
        ["POST /api/alerts/{id}/ack"] = typeof(AcknowledgeRequest),
        ["POST /api/alerts/{id}/unack"] = typeof(UnacknowledgeRequest),
        ["POST /api/silences"] = typeof(SilenceRequest),
        ["POST /api/maintenance-windows"] = typeof(MaintenanceWindowRequest),
    };

    /// <summary>The routes of <see cref="Bodies"/> that take an empty body as the record's defaults.</summary>
    public static readonly IReadOnlySet<string> OptionalBodies = new HashSet<string> { "POST /api/alerts/{id}/ack", "POST /api/alerts/{id}/unack" };
}

/// <summary>
/// Reads a request body into its record: the JSON kind of every field is checked against the record first (a number where
/// a string is expected is named), unknown fields are refused, then every <see cref="TextLimitAttribute"/> and
/// <see cref="CountLimitAttribute"/> is checked by reflection. Every problem names its field.
/// </summary>
public static class RequestReader
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The body as <typeparamref name="T"/>; null with a 400/413 problem when it is not acceptable. An empty body is the record's defaults when <paramref name="optional"/>.</summary>
    public static async Task<(T? Request, Microsoft.AspNetCore.Http.IResult? Problem)> ReadAsync<T>(
        Microsoft.AspNetCore.Http.HttpRequest http, bool optional, CancellationToken ct) where T : class
    {
        var (body, bad) = await JsonBody.ReadObjectAsync(http, optional, ct);
        if (bad is not null) return (null, bad);
        if (body is null) return (JsonSerializer.Deserialize<T>("{}", Options), null);
        var problems = Read<T>(body.Value, out var request);
        return problems.Count > 0 ? (null, JsonBody.Bad(string.Join("; ", problems), problems)) : (request, null);
    }

    /// <summary>Checks and reads <paramref name="body"/>; the problems, empty when <paramref name="request"/> is set.</summary>
    public static List<string> Read<T>(JsonElement body, out T? request) where T : class
    {
        request = null;
        var problems = new List<string>();
        CheckKinds(body, typeof(T), "", problems);
        if (problems.Count > 0) return problems;
        try
        {
            request = body.Deserialize<T>(Options);
        }
        catch (JsonException e)
        {
            problems.Add($"field '{FieldOf(e.Path)}' {Describe(e.Path)}");
            return problems;
        }
        if (request is null) problems.Add("the request needs a JSON object body");
        else CheckLimits(request, "", problems);
        return problems;
    }

    /// <summary>Every text and count limit of <paramref name="value"/> (and the records inside it), by reflection.</summary>
    public static void CheckLimits(object value, string prefix, List<string> problems)
    {
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            var name = prefix + Camel(property.Name);
            var item = property.GetValue(value);
            if (item is null) continue;
            var text = property.GetCustomAttribute<TextLimitAttribute>();
            var count = property.GetCustomAttribute<CountLimitAttribute>();
            switch (item)
            {
                case string s when text is not null:
                    if (TextLimits.Check(s, text.MaxLength) is { } tooLong) problems.Add($"field '{name}' {tooLong}");
                    break;
                case IList list:
                    if (count is not null && list.Count > count.MaxCount)
                        problems.Add($"field '{name}' has {list.Count} items; the limit is {count.MaxCount}");
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is string each && text is not null)
                        {
                            if (TextLimits.Check(each, text.MaxLength) is { } itemTooLong) problems.Add($"field '{name}[{i}]' {itemTooLong}");
                        }
                        else if (list[i] is MatcherInput matcher)
                        {
                            if (TextLimits.Check(matcher.Text, TextLimits.Matcher) is { } matcherTooLong) problems.Add($"field '{name}[{i}]' {matcherTooLong}");
                        }
                        else if (list[i] is { } nested && IsRequestRecord(nested.GetType())) CheckLimits(nested, $"{name}[{i}].", problems);
                    }
                    break;
                default:
                    if (IsRequestRecord(item.GetType())) CheckLimits(item, name + ".", problems);
                    break;
            }
        }
    }

    /// <summary>Compares each JSON value's kind with the property it fills; unknown fields are named with the ones the request takes.</summary>
    private static void CheckKinds(JsonElement body, Type type, string prefix, List<string> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite || p.GetMethod?.IsPublic == true)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var field in body.EnumerateObject())
        {
            var name = prefix + field.Name;
            if (!properties.TryGetValue(field.Name, out var property))
            {
                problems.Add($"field '{name}' is not a field of this request (it takes: {string.Join(", ", properties.Keys.Select(Camel))})");
                continue;
            }
            CheckKind(field.Value, property.PropertyType, name, problems);
        }
    }

    private static void CheckKind(JsonElement value, Type type, string name, List<string> problems)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        type = Nullable.GetUnderlyingType(type) ?? type;
        string? expected = null;
        if (type == typeof(string) || type == typeof(DateTimeOffset))
        {
            if (value.ValueKind != JsonValueKind.String) expected = "a JSON string";
        }
        else if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) expected = "true or false";
        }
        else if (type == typeof(MatcherInput))
        {
            if (value.ValueKind == JsonValueKind.Object) CheckKinds(value, typeof(MatcherObject), name + ".", problems);
            else if (value.ValueKind != JsonValueKind.String)
                expected = "a string such as \"target=orders\" or an object {field, value, isRegex}";
        }
        else if (ElementType(type) is { } element)
        {
            if (value.ValueKind != JsonValueKind.Array) expected = "a JSON list";
            else
            {
                var i = 0;
                foreach (var item in value.EnumerateArray()) CheckKind(item, element, $"{name}[{i++}]", problems);
            }
        }
        else if (IsRequestRecord(type))
        {
            if (value.ValueKind != JsonValueKind.Object) expected = "a JSON object";
            else CheckKinds(value, type, name + ".", problems);
        }
        if (expected is not null) problems.Add($"field '{name}' must be {expected}, not {Kind(value)}");
    }

    private static Type? ElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    private static bool IsRequestRecord(Type type) => type.Namespace == typeof(RequestReader).Namespace && type.IsClass && type != typeof(string);

    /// <summary>"a number", "true", "an object" … for messages.</summary>
    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        _ => "null",
    };

    private static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) ? "(body)" : path.TrimStart('$').TrimStart('.');

    private static string Describe(string? path) =>
        path is not null && (path.EndsWith("startsAt", StringComparison.OrdinalIgnoreCase) || path.EndsWith("endsAt", StringComparison.OrdinalIgnoreCase))
            ? "is not a date and time (write 2026-12-01T02:00:00Z)"
            : "has a value this field does not take (see the field's description in docs/targets.md)";

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
