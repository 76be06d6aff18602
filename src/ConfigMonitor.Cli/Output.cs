using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ConfigMonitor.Cli;

/// <summary>Where a command writes: aligned tables for people (Spectre.Console, no colours), indented JSON for scripts.</summary>
public sealed class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly IAnsiConsole _console;

    /// <summary>Writes to <paramref name="writer"/>.</summary>
    public Output(TextWriter writer, bool json)
    {
        Writer = writer;
        Json = json;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        _console.Profile.Width = 220;
    }

    /// <summary>The raw writer.</summary>
    public TextWriter Writer { get; }

    /// <summary>True with --json.</summary>
    public bool Json { get; }

    /// <summary>One line.</summary>
    public void Line(string text) => Writer.WriteLine(text);

    /// <summary>The JSON as the node sent it, indented.</summary>
    public void WriteJson(JsonElement? json) => Writer.WriteLine(json is null ? "null" : JsonSerializer.Serialize(json.Value, Indented));

    /// <summary>An aligned table with a header row.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)).NoWrap());
        foreach (var row in rows) table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
        _console.Write(table);
    }

    /// <summary>Two columns: field and value.</summary>
    public void Fields(IEnumerable<(string Field, string Value)> fields) =>
        Table(["FIELD", "VALUE"], fields.Select(f => (IReadOnlyList<string>)[f.Field, f.Value]));

    /// <summary>A property as display text ("" when missing or null).</summary>
    public static string Text(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return "";
        }
        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString() ?? "",
            JsonValueKind.Number => current.GetDouble().ToString("0.####", CultureInfo.InvariantCulture),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.Array => string.Join(",", current.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => current.GetRawText(),
        };
    }

    /// <summary>A TimeSpan property ("00:01:30") written as operators write durations ("90s").</summary>
    public static string Duration(JsonElement element, params string[] path)
    {
        var text = Text(element, path);
        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)) return text;
        return span switch
        {
            { TotalSeconds: < 1 } => $"{span.TotalMilliseconds:0.###}ms",
            { TotalMinutes: < 1 } => $"{span.TotalSeconds:0.###}s",
            { TotalHours: < 1 } => $"{span.TotalMinutes:0.###}m",
            _ => $"{span.TotalHours:0.###}h",
        };
    }

    /// <summary>A timestamp property shortened to UTC seconds.</summary>
    public static string Time(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "";
}
