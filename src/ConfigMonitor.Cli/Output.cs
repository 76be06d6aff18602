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

    /// <summary>The narrowest a wrapping column gets, however wide the others are.</summary>
    public const int MinWrapWidth = 20;

    /// <summary>The narrowest a cut column may get (beside its header's length): fewer characters tell nothing.</summary>
    public const int MinCutWidth = 8;

    /// <summary>The width tables get when nothing says otherwise (output to a file or a pipe).</summary>
    public const int DefaultWidth = 220;

    /// <summary>Writes to <paramref name="writer"/>, tables at most <paramref name="width"/> columns wide.</summary>
    public Output(TextWriter writer, bool json, int width = DefaultWidth)
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
        _console.Profile.Width = width;
    }

    /// <summary>The raw writer.</summary>
    public TextWriter Writer { get; }

    /// <summary>True with --json.</summary>
    public bool Json { get; }

    /// <summary>One line.</summary>
    public void Line(string text) => Writer.WriteLine(text);

    /// <summary>
    /// The table width: <c>COLUMNS</c> when set (20 to 1000), else the terminal's width, else <see cref="DefaultWidth"/>.
    /// </summary>
    public static int WidthFrom(CliEnvironment env)
    {
        if (int.TryParse(env.Variable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns is >= 20 and <= 1000)
            return columns;
        if (env.IsTerminal)
        {
            try
            {
                if (Console.WindowWidth >= 20) return Console.WindowWidth;
            }
            catch (IOException)
            {
                // No console after all: the default below.
            }
        }
        return DefaultWidth;
    }

    /// <summary>The JSON as the node sent it, indented.</summary>
    public void WriteJson(JsonElement? json) => Writer.WriteLine(json is null ? "null" : JsonSerializer.Serialize(json.Value, Indented));

    /// <summary>A list of items as one indented JSON array.</summary>
    public void WriteJson(IReadOnlyList<JsonElement> items) => Writer.WriteLine(JsonSerializer.Serialize(items, Indented));

    /// <summary>An aligned table with a header row; no column wraps.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)).NoWrap());
        foreach (var row in rows) table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
        _console.Write(table);
    }

    /// <summary>
    /// A table whose first <paramref name="identifying"/> columns (ids, names, states: what people copy) always keep their
    /// full width and never wrap; the last column (free text) wraps into what is left, at least <see cref="MinWrapWidth"/>;
    /// the columns between are cut with an ellipsis when space runs out, and left out (last first, said under the table)
    /// when they would keep less than their header, so no header breaks and no cell shrinks to a meaningless stub. When even
    /// that does not fit, the table is written wider than the console rather than drop an identifying column.
    /// </summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, int identifying)
    {
        var rowList = rows.ToList();
        var columns = Enumerable.Range(0, headers.Count).ToList();
        var natural = headers.Select((h, i) => rowList.Select(r => r[i].Length).Append(h.Length).Max()).ToList();
        var last = headers.Count - 1;
        var message = Math.Min(natural[last], MinWrapWidth);
        var left = new List<string>();
        int[] widths;
        while (true)
        {
            var middle = columns.Where(i => i >= identifying && i != last).ToList();
            // Each column takes its padding (2) and a separator (1); the table its two edges.
            var room = _console.Profile.Width - 3 * columns.Count - 2 - natural.Take(identifying).Sum();
            widths = natural.ToArray();
            if (middle.Sum(i => natural[i]) + message > room)
            {
                var share = (room - message) / Math.Max(1, middle.Count);
                var tooNarrow = middle.Where(i => Math.Min(natural[i], share) < Math.Max(headers[i].Length, MinCutWidth)).ToList();
                if (tooNarrow.Count > 0)
                {
                    var drop = middle[^1];
                    columns.Remove(drop);
                    left.Insert(0, headers[drop]);
                    continue;
                }
                foreach (var i in middle) widths[i] = Math.Min(natural[i], share);
            }
            widths[last] = Math.Min(natural[last], Math.Max(MinWrapWidth, room - middle.Sum(i => widths[i])));
            break;
        }
        var needed = columns.Sum(i => widths[i]) + 3 * columns.Count + 2;

        var table = new Table().Border(TableBorder.Simple);
        foreach (var i in columns)
        {
            var column = new TableColumn(new Text(headers[i])) { Width = widths[i] };
            if (i != last) column.NoWrap();
            table.AddColumn(column);
        }
        foreach (var row in rowList)
            table.AddRow(columns.Select(i => (IRenderable)(i == last || row[i].Length <= widths[i]
                ? new Text(row[i])
                : new Text(row[i][..Math.Max(0, widths[i] - 1)] + "…"))).ToArray());
        var width = _console.Profile.Width;
        if (needed > width) _console.Profile.Width = needed;
        _console.Write(table);
        _console.Profile.Width = width;
        if (left.Count > 0) Writer.WriteLine($"(left out at this width: {string.Join(", ", left)}; widen the terminal, set COLUMNS, or use --json)");
    }

    /// <summary>Two columns: field and value.</summary>
    public void Fields(IEnumerable<(string Field, string Value)> fields) =>
        Table(["FIELD", "VALUE"], fields.Select(f => (IReadOnlyList<string>)[f.Field, f.Value]));

    /// <summary>A property as display text ("" when missing or null).</summary>
    /// <summary>"Count: 1 alert", "Count: 3 alerts": the line under a list.</summary>
    public static string Count(int count, string noun) => $"Count: {count} {noun}{(count == 1 ? "" : "s")}";

    public static string Text(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return "";
        }
        return Printable(current.ValueKind switch
        {
            JsonValueKind.String => current.GetString() ?? "",
            JsonValueKind.Number => current.GetDouble().ToString("0.####", CultureInfo.InvariantCulture),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.Array => string.Join(",", current.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => current.GetRawText(),
        });
    }

    /// <summary>
    /// Text from the node as the terminal should show it: control characters (an escape sequence in a probe key could set
    /// the title, recolour or clear the screen) are written as visible \uXXXX escapes.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var builder = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
            if (char.IsControl(c)) builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else builder.Append(c);
        return builder.ToString();
    }

    /// <summary>A duration property as the node wrote it: already in the grammar ("90s").</summary>
    public static string Duration(JsonElement element, params string[] path) => Text(element, path);

    /// <summary>A timestamp property shortened to UTC seconds.</summary>
    public static string Time(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "";
}
