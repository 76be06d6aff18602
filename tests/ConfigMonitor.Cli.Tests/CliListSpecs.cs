using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;

namespace ConfigMonitor.Cli.Tests;

/// <summary>The list commands against one real node: they follow the API's pages to the end, and the alert table keeps its identifying columns whole.</summary>
public sealed class CliListSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    private string[] On(params string[] args) => ["--node", node.Node, .. args];

    private string[] AsOperator(params string[] args) => ["--node", node.Node, "--token", ApiNode.Token, .. args];

    private void Observe(string target, string rule, string message) =>
        node.App.Registry().Get<AlertManager>().Tell(new Observation(target, AlertCategory.Performance, rule, true, AlertSeverity.Critical,
            message, DateTimeOffset.UtcNow));

    [Theory]
    [InlineData(100)]
    [InlineData(140)]
    public async Task Alerts_list_keeps_id_target_severity_state_and_ack_whole_when_a_message_is_long(int width)
    {
        const string target = "cli-long-message";
        var words = string.Join(" ", Enumerable.Range(0, 80).Select(i => $"word{i}"));
        // Long enough to wrap at any width, short of the 1,000 characters an alert message is cut at.
        Observe(target, "long_message", $"{words} {new string('w', 300)} end-of-message");
        JsonElement alert = default;
        await Eventually.AssertAsync(async () =>
        {
            var json = await CliRun.RunAsync(On("alerts", "list", "--all", "--json"));
            alert = json.Json.EnumerateArray().FirstOrDefault(a => a.GetProperty("targetId").GetString() == target);
            return alert.ValueKind == JsonValueKind.Object;
        }, WaitTimeout, "the observation should raise an alert");
        var id = alert.GetProperty("id").GetString()!;

        var table = await CliRun.RunAsync(On("alerts", "list", "--all"), variables: new Dictionary<string, string> { ["COLUMNS"] = width.ToString() });
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= width, $"a line is {l.Length} characters wide, more than {width}:{Environment.NewLine}{table.Out}"));
        var header = Assert.Single(lines, l => l.Contains("SEVERITY", StringComparison.Ordinal));
        Assert.All(new[] { "ID", "TARGET", "SEVERITY", "STATE", "ACK" }, h => Assert.Contains(h, header));
        var row = Assert.Single(lines, l => l.Contains(id + " ", StringComparison.Ordinal) || l.TrimStart().StartsWith(id, StringComparison.Ordinal));
        Assert.Contains(target, row);
        Assert.Contains("critical", row);
        Assert.Contains(alert.GetProperty("state").GetString()!, row);
        Assert.Contains("no", row);
        // The message wraps onto the lines below instead of squeezing the other columns; all of it is there.
        var text = string.Concat(lines.Select(l => l.Replace(" ", "")));
        Assert.Contains("end-of-message", text);
        Assert.Contains(new string('w', 300), text);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(80)]
    public async Task Alerts_list_at_a_narrow_width_leaves_out_whole_optional_columns_and_says_so_rather_than_break_their_headers(int width)
    {
        const string target = "cli-narrow";
        Observe(target, "narrow_message", "a message long enough to need wrapping at a narrow width, " + new string('n', 200));
        await Eventually.AssertAsync(async () =>
            (await CliRun.RunAsync(On("alerts", "list", "--all", "--json"))).Json.EnumerateArray().Any(a => a.GetProperty("targetId").GetString() == target),
            WaitTimeout, "the observation should raise an alert");

        var table = await CliRun.RunAsync(On("alerts", "list", "--all"), variables: new Dictionary<string, string> { ["COLUMNS"] = width.ToString() });
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Out.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var header = Assert.Single(lines, l => l.Contains("SEVERITY", StringComparison.Ordinal));
        var note = Assert.Single(lines, l => l.StartsWith("(left out at this width:", StringComparison.Ordinal));
        foreach (var optional in new[] { "RULE", "RAISED", "SUPPRESSED BY" })
            Assert.True(header.Contains(optional, StringComparison.Ordinal) ^ note.Contains(optional, StringComparison.Ordinal),
                $"{optional} should be either a whole header or named as left out:{Environment.NewLine}{table.Out}");
        // No header is broken onto a second line: the line under the header holds no fragment of one.
        var next = lines[lines.IndexOf(header) + 1];
        Assert.DoesNotMatch("[A-Z]{2,}", next);
        Assert.Contains(lines, l => l.Contains(target, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Alerts_and_silences_list_follow_every_page()
    {
        var count = AlertQueries.MaxAlertsPerPage + 4;
        for (var i = 0; i < count; i++) Observe($"cli-page-{i:00}", "paged", "paged alert");
        await Eventually.AssertAsync(async () =>
        {
            var json = await CliRun.RunAsync(On("alerts", "list", "--all", "--json"));
            return json.Json.EnumerateArray().Count(a => a.GetProperty("targetId").GetString()!.StartsWith("cli-page-", StringComparison.Ordinal)) == count;
        }, WaitTimeout, "every alert should be listed, across pages");
        var table = await CliRun.RunAsync(On("alerts", "list", "--all"));
        Assert.All(Enumerable.Range(0, count), i => Assert.Contains($"cli-page-{i:00}", table.Out));

        var silences = new List<string>();
        for (var i = 0; i < AlertQueries.MaxSilencesPerPage + 2; i++)
        {
            var added = await CliRun.RunAsync(AsOperator("silences", "add", "--match", $"target=cli-page-{i}", "--for", "1h", "--json"));
            Assert.True(added.ExitCode == 0, added.ToString());
            silences.Add(added.Json.GetProperty("id").GetString()!);
        }
        var listed = await CliRun.RunAsync(On("silences", "list"));
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.All(silences, id => Assert.Contains(id, listed.Out));
        var listedJson = await CliRun.RunAsync(On("silences", "list", "--json"));
        Assert.All(silences, id => Assert.Contains(listedJson.Json.EnumerateArray(), s => s.GetProperty("id").GetString() == id));
        foreach (var id in silences) Assert.Equal(0, (await CliRun.RunAsync(AsOperator("silences", "expire", id))).ExitCode);

        var targets = await CliRun.RunAsync(On("targets", "list", "--json"));
        Assert.Contains(targets.Json.EnumerateArray(), t => t.GetProperty("id").GetString() == "demo");
    }

    [Fact]
    public async Task Targets_show_prints_durations_as_the_node_wrote_them_in_the_grammar()
    {
        var shown = await CliRun.RunAsync(On("targets", "show", "demo"));
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Matches(@"performance interval\s+1s", shown.Out);
        // The test node probes every second, so the unset probe timeout follows the shortest interval (1s, not the 5s default).
        Assert.Matches(@"probe timeout\s+1s", shown.Out);
        Assert.DoesNotContain("00:00:", shown.Out);
    }
}
