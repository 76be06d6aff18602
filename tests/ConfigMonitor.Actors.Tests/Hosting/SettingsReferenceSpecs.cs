using System.Globalization;
using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Hosting;

/// <summary>
/// The settings table of docs/settings.md ("Node settings") and the code cannot drift: one row per key of
/// <see cref="ConfigMonitorOptionsReader.KnownKeys"/> and no other, every column filled, and the defaults the table gives
/// are the ones the options reader gives on an empty configuration.
/// </summary>
public sealed partial class SettingsReferenceSpecs
{
    private static readonly string[] Header = ["key", "type", "default", "range / values", "what it does"];

    /// <summary>One row of the table: its line in docs/settings.md and its cells.</summary>
    private sealed record Row(int Line, IReadOnlyList<string> Cells)
    {
        public string KeyCell => Cells.Count > 0 ? Cells[0] : "";
        public string Type => Cells.Count > 1 ? Cells[1] : "";
        public string Default => Cells.Count > 2 ? Cells[2] : "";
        public string Range => Cells.Count > 3 ? Cells[3] : "";
        public string Description => Cells.Count > 4 ? Cells[4] : "";

        /// <summary>The key as written (`Alerts:Channels:&lt;name&gt;:Kind`), without its backticks; null when the cell is not one code span.</summary>
        public string? Key => CodeSpan().Match(KeyCell) is { Success: true } m ? m.Groups[1].Value : null;

        /// <summary>The key as KnownKeys writes it: a placeholder segment is <c>*</c>, a trailing <c>&lt;id&gt;:…</c> is <c>**</c>.</summary>
        public string Pattern => Key is { } key ? ToPattern(key) : KeyCell;

        public string Where => $"docs/settings.md:{Line} {KeyCell}";
    }

    [GeneratedRegex("^`([^`]+)`$")]
    private static partial Regex CodeSpan();

    // <name>, <n>, <id>, and <category>/<rule> (one segment: the rule's key has a slash, no colon).
    [GeneratedRegex("^<[A-Za-z]+>(/<[A-Za-z]+>)?$")]
    private static partial Regex Placeholder();

    // A cell separator: a '|' not escaped as '\|'.
    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellSeparator();

    // "none" or "—" alone (or with punctuation only): a missing default must say why.
    [GeneratedRegex(@"^(none|—|-)\W*$", RegexOptions.IgnoreCase)]
    private static partial Regex ReasonlessNone();

    private static string ToPattern(string key)
    {
        var segments = key.Split(':').ToList();
        if (segments.Count >= 2 && segments[^1] is "…" or "..." && Placeholder().IsMatch(segments[^2]))
        {
            segments.RemoveAt(segments.Count - 1);
            segments[^1] = "**";
        }
        return string.Join(':', segments.Select(s => Placeholder().IsMatch(s) ? "*" : s));
    }

    private static string SettingsDoc()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ConfigMonitor.Actors.sln")))
                return Path.Combine(folder.FullName, "docs", "settings.md");
        throw new FileNotFoundException("docs/settings.md (beside ConfigMonitor.Actors.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The rows of the table under "## Node settings", up to the next "## " heading.</summary>
    private static IReadOnlyList<Row> Rows()
    {
        var lines = File.ReadAllLines(SettingsDoc());
        var start = Array.FindIndex(lines, l => l.StartsWith("## Node settings", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/settings.md has no '## Node settings' heading");
        var end = Array.FindIndex(lines, start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        if (end < 0) end = lines.Length;
        var header = -1;
        for (var i = start + 1; i < end && header < 0; i++)
            if (lines[i].StartsWith('|') && Cells(lines[i]).SequenceEqual(Header))
                header = i;
        Assert.True(header >= 0, $"docs/settings.md has no table '| {string.Join(" | ", Header)} |' under '## Node settings'");
        var rows = new List<Row>();
        // header + 1 is the |---| line.
        for (var i = header + 2; i < end && lines[i].StartsWith('|'); i++)
            rows.Add(new Row(i + 1, Cells(lines[i])));
        return rows;
    }

    private static IReadOnlyList<string> Cells(string line)
    {
        var cells = CellSeparator().Split(line.Trim()).Select(c => c.Trim()).ToList();
        // "| a | b |" splits into "", "a", "b", "".
        if (cells.Count > 0 && cells[0].Length == 0) cells.RemoveAt(0);
        if (cells.Count > 0 && cells[^1].Length == 0) cells.RemoveAt(cells.Count - 1);
        return cells;
    }

    // The first row of each key (a key given twice is the key spec's failure, not this one's).
    private static Dictionary<string, Row> ByPattern(IEnumerable<Row> rows) =>
        rows.GroupBy(r => r.Pattern, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private static string Unquoted(string cell) => cell.Trim().Trim('`');

    private static ConfigMonitorOptions Read(params (string Key, string Value)[] values) =>
        ConfigMonitorOptionsReader.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>($"{ConfigMonitorOptionsReader.SectionName}:{v.Key}", v.Value)))
            .Build()
            .GetSection(ConfigMonitorOptionsReader.SectionName));

    // A rule override and a channel have no defaults until one is configured: the smallest one of each (an empty rule
    // section, a channel with only its Kind) gives the reader's defaults for their other fields.
    private const string Rule = "cache/hit_rate";
    private const string Channel = "ops";

    private static ConfigMonitorOptions WithRuleAndChannel() =>
        Read(($"Alerts:Rules:{Rule}", ""), ($"Alerts:Channels:{Channel}:Kind", "log"));

    /// <summary>Every duration setting whose default is in this assembly's code, read through the options reader.</summary>
    private static readonly IReadOnlyDictionary<string, Func<ConfigMonitorOptions, TimeSpan>> CodeDurations =
        new Dictionary<string, Func<ConfigMonitorOptions, TimeSpan>>
        {
            ["JournalStartTimeout"] = o => o.JournalStartTimeout,
            ["LoopStartSpread"] = o => o.LoopStartSpread,
            ["Metrics:FlushInterval"] = o => o.Metrics.FlushInterval,
            ["Metrics:RetryBackoff"] = o => o.Metrics.RetryBackoff,
            ["Metrics:MaxRetryBackoff"] = o => o.Metrics.MaxRetryBackoff,
            ["Maintenance:RetentionInterval"] = o => o.Maintenance.RetentionInterval,
            ["Maintenance:MetricsRetention"] = o => o.Maintenance.MetricsRetention,
            ["Maintenance:AcknowledgedAlertRetention"] = o => o.Maintenance.AcknowledgedAlertRetention,
            ["Maintenance:EventProbeInterval"] = o => o.Maintenance.EventProbeInterval,
            ["Maintenance:RequestTimeout"] = o => o.Maintenance.RequestTimeout,
            ["Health:CheckTimeout"] = o => o.Health.CheckTimeout,
            ["Alerts:Warning:For"] = o => o.Alerts.Policy.WarningRule.For,
            ["Alerts:Critical:For"] = o => o.Alerts.Policy.CriticalRule.For,
            ["Alerts:Rules:*:For"] = o => o.Alerts.Policy.Rules[Rule].For,
            ["Alerts:RepeatInterval"] = o => o.Alerts.Policy.RepeatInterval,
            ["Alerts:NotifyCheckInterval"] = o => o.Alerts.NotifyCheckInterval,
            ["Alerts:ReceiverRefreshInterval"] = o => o.Alerts.ReceiverRefreshInterval,
            ["Alerts:GroupsRefreshInterval"] = o => o.Alerts.GroupsRefreshInterval,
            ["Alerts:Channels:*:Timeout"] = o => o.Channels.Single(c => c.Name == Channel).Timeout,
            ["Alerts:Delivery:QuickRetryDelay"] = o => o.Delivery.QuickRetryDelay,
            ["Alerts:Delivery:FirstBackoff"] = o => o.Delivery.FirstBackoff,
            ["Alerts:Delivery:MaxBackoff"] = o => o.Delivery.MaxBackoff,
            ["Alerts:Delivery:GiveUpAfter"] = o => o.Delivery.GiveUpAfter,
        };

    /// <summary>Duration settings read by the host (ConfigMonitor.Host, which this project does not reference), so not compared here.</summary>
    private static readonly IReadOnlySet<string> HostDurations = new HashSet<string> { "Api:AskTimeout" };

    /// <summary>Every number, name and choice with a default in this assembly's code, as the table writes it.</summary>
    private static readonly IReadOnlyDictionary<string, Func<ConfigMonitorOptions, string>> CodeValues =
        new Dictionary<string, Func<ConfigMonitorOptions, string>>
        {
            ["ActorSystemName"] = o => o.ActorSystemName,
            ["DataDirectory"] = o => o.DataDirectory,
            ["Hostname"] = o => o.Hostname,
            ["Port"] = o => Text(o.Port),
            ["Role"] = o => o.Role,
            ["Persistence"] = o => o.Persistence.ToString(),
            ["Metrics:BatchSize"] = o => Text(o.Metrics.BatchSize),
            ["Metrics:SnapshotEveryBatches"] = o => Text(o.Metrics.SnapshotEveryBatches),
            ["Health:MinCacheHitRate"] = o => Text(o.Health.MinCacheHitRate),
            ["Health:MaxCacheUsage"] = o => Text(o.Health.MaxCacheUsage),
            ["Health:MinCacheRequests"] = o => Text(o.Health.MinCacheRequests),
            ["Health:MaxProcessMemoryMb"] = o => Text(o.Health.MaxProcessMemoryMb),
            ["Health:MinDiskFreePercent"] = o => Text(o.Health.MinDiskFreePercent),
            ["Health:MaxConsecutiveFailures"] = o => Text(o.Health.MaxConsecutiveFailures),
            ["Alerts:Warning:FailureThreshold"] = o => Text(o.Alerts.Policy.WarningRule.FailureThreshold),
            ["Alerts:Warning:SuccessThreshold"] = o => Text(o.Alerts.Policy.WarningRule.SuccessThreshold),
            ["Alerts:Critical:FailureThreshold"] = o => Text(o.Alerts.Policy.CriticalRule.FailureThreshold),
            ["Alerts:Critical:SuccessThreshold"] = o => Text(o.Alerts.Policy.CriticalRule.SuccessThreshold),
            ["Alerts:Rules:*:FailureThreshold"] = o => Text(o.Alerts.Policy.Rules[Rule].FailureThreshold),
            ["Alerts:Rules:*:SuccessThreshold"] = o => Text(o.Alerts.Policy.Rules[Rule].SuccessThreshold),
            ["Alerts:GroupMinFailing"] = o => Text(o.Alerts.Policy.GroupMinFailing),
            ["Alerts:Channels:*:MinSeverity"] = o => o.Channels.Single(c => c.Name == Channel).MinSeverity.ToString().ToLowerInvariant(),
            ["Alerts:Channels:*:Topic"] = o => o.Channels.Single(c => c.Name == Channel).Topic,
            ["Alerts:Delivery:QuickRetries"] = o => Text(o.Delivery.QuickRetries),
        };

    private static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    private static string List(IEnumerable<string> items) => items.Any() ? string.Join(", ", items) : "(none)";

    [Fact]
    public void Every_key_the_node_reads_should_have_exactly_one_row_and_every_row_should_name_a_key_the_node_reads()
    {
        var rows = Rows();
        var known = new HashSet<string>(ConfigMonitorOptionsReader.KnownKeys, StringComparer.Ordinal);
        var documented = rows.Select(r => r.Pattern).ToList();
        var missing = ConfigMonitorOptionsReader.KnownKeys.Where(k => !documented.Contains(k, StringComparer.Ordinal)).ToList();
        var extra = rows.Where(r => !known.Contains(r.Pattern)).Select(r => r.Where).ToList();
        var twice = rows.GroupBy(r => r.Pattern, StringComparer.Ordinal).Where(g => known.Contains(g.Key) && g.Count() > 1)
            .Select(g => $"{g.Key} (lines {string.Join(", ", g.Select(r => r.Line))})").ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && twice.Count == 0,
            "the settings table of docs/settings.md and ConfigMonitorOptionsReader.KnownKeys differ:\n" +
            $"  missing (the node reads it, no row): {List(missing)}\n" +
            $"  extra (a row, but no key the node reads): {List(extra)}\n" +
            $"  more than one row: {List(twice)}");
    }

    [Fact]
    public void Rows_should_follow_the_order_of_KnownKeys_so_each_section_stays_together()
    {
        var known = new HashSet<string>(ConfigMonitorOptionsReader.KnownKeys, StringComparer.Ordinal);
        var documented = Rows().Select(r => r.Pattern).Where(known.Contains).Distinct().ToList();
        var expected = ConfigMonitorOptionsReader.KnownKeys.Where(documented.Contains).ToList();
        var firstOut = Enumerable.Range(0, documented.Count).FirstOrDefault(i => documented[i] != expected[i], -1);
        Assert.True(firstOut < 0, firstOut < 0 ? "" :
            $"the settings table leaves the order of KnownKeys at row {firstOut + 1}: '{documented[firstOut]}' where KnownKeys has '{expected[firstOut]}'");
    }

    [Fact]
    public void Every_row_should_give_a_type_a_default_or_the_reason_there_is_none_a_range_and_what_it_does()
    {
        var problems = new List<string>();
        foreach (var row in Rows())
        {
            if (row.Cells.Count != Header.Length)
            {
                problems.Add($"{row.Where}: {row.Cells.Count} cells, not {Header.Length} (a '|' inside a cell must be written '\\|')");
                continue;
            }
            if (row.Key is null) problems.Add($"{row.Where}: the key is not one `code span`");
            if (row.Type.Length == 0) problems.Add($"{row.Where}: no type");
            if (row.Default.Length == 0) problems.Add($"{row.Where}: no default (write 'none — why')");
            else if (ReasonlessNone().IsMatch(row.Default)) problems.Add($"{row.Where}: the default is '{row.Default}' without the reason (write 'none — why')");
            if (row.Range.Length == 0) problems.Add($"{row.Where}: no range or values");
            if (row.Description.Length == 0) problems.Add($"{row.Where}: does not say what it does");
            if (row.Pattern == "Targets:**" && !row.Description.Contains("targets.md", StringComparison.Ordinal))
                problems.Add($"{row.Where}: the targets' row must link to targets.md, where their fields are");
        }
        Assert.True(problems.Count == 0, "rows of the settings table in docs/settings.md:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Every_duration_default_in_the_table_should_be_the_one_the_options_reader_gives_on_an_empty_configuration()
    {
        var defaults = Read();
        var withRuleAndChannel = WithRuleAndChannel();
        var rows = ByPattern(Rows());
        var problems = new List<string>();
        foreach (var (key, read) in CodeDurations)
        {
            if (!rows.TryGetValue(key, out var row))
            {
                problems.Add($"{key}: no row");
                continue;
            }
            if (row.Type != "duration") problems.Add($"{row.Where}: the type is '{row.Type}', not 'duration'");
            var code = read(key.Contains('*') ? withRuleAndChannel : defaults);
            var text = Unquoted(row.Default);
            if (!Durations.TryParse(text, out var documented))
                problems.Add($"{row.Where}: the default '{row.Default}' is not a duration ({Durations.Grammar}); the code's is {Durations.Format(code)}");
            else if (documented != code)
                problems.Add($"{row.Where}: the table says {text}, the code's default is {Durations.Format(code)}");
        }
        // A new duration row needs its default compared here (or, if the host reads it, a place in HostDurations).
        foreach (var row in Rows().Where(r => r.Type == "duration" && !CodeDurations.ContainsKey(r.Pattern) && !HostDurations.Contains(r.Pattern)))
            problems.Add($"{row.Where}: a duration setting this spec does not compare with the code's default (add it to CodeDurations)");
        Assert.True(problems.Count == 0, "duration defaults of docs/settings.md's settings table:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Every_number_name_and_choice_default_in_the_table_should_be_the_one_the_options_reader_gives()
    {
        var defaults = Read();
        var withRuleAndChannel = WithRuleAndChannel();
        var rows = ByPattern(Rows());
        var problems = new List<string>();
        foreach (var (key, read) in CodeValues)
        {
            if (!rows.TryGetValue(key, out var row))
            {
                problems.Add($"{key}: no row");
                continue;
            }
            var code = read(key.Contains('*') ? withRuleAndChannel : defaults);
            if (Unquoted(row.Default) != code) problems.Add($"{row.Where}: the table says '{row.Default}', the code's default is '{code}'");
        }
        Assert.True(problems.Count == 0, "defaults of docs/settings.md's settings table:\n  " + string.Join("\n  ", problems));
    }
}
