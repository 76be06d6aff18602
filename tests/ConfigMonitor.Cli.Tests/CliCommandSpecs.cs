using System.Text.Json;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Cli;
using ConfigMonitor.ConfigService;

namespace ConfigMonitor.Cli.Tests;

/// <summary>Every configmon command against one real node, in process through the CLI's entry point; tables, --json and failures.</summary>
public sealed class CliCommandSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    private string[] On(params string[] args) => ["--node", node.Node, .. args];

    private string[] AsOperator(params string[] args) => ["--node", node.Node, "--token", ApiNode.Token, .. args];

    [Fact]
    public async Task Cluster_show_prints_members_like_pbm_and_cluster_leader_the_leader()
    {
        var show = await CliRun.RunAsync(On("cluster", "show"));
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("ADDRESS", show.Out);
        Assert.Contains("[monitor]", show.Out);
        Assert.Contains("reachable", show.Out);
        Assert.Contains("Count: 1 node", show.Out);
        Assert.DoesNotContain("Count: 1 nodes", show.Out);
        Assert.Contains("Singleton target-registry on akka.tcp://configmonitor@127.0.0.1:", show.Out);
        Assert.Contains("demo", show.Out);

        var json = await CliRun.RunAsync(On("cluster", "show", "--json"));
        Assert.Equal(0, json.ExitCode);
        var self = json.Json.GetProperty("self").GetString();
        Assert.Equal("up", json.Json.GetProperty("members")[0].GetProperty("status").GetString());

        var leader = await CliRun.RunAsync(On("cluster", "leader"));
        Assert.Equal(0, leader.ExitCode);
        Assert.Equal(self, leader.Out.Trim());
        Assert.Equal(self, (await CliRun.RunAsync(On("--json", "cluster", "leader"))).Json.GetProperty("leader").GetString());
    }

    [Fact]
    public async Task Targets_list_show_add_and_remove_with_their_failures()
    {
        var list = await CliRun.RunAsync(On("targets", "list"));
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"demo\s+configuration\s+http\s+http://127\.0\.0\.1:[0-9]+", list.Out);

        var show = await CliRun.RunAsync(On("targets", "show", "demo"));
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("monitored by", show.Out);
        Assert.Contains("performance", show.Out);
        // One row per facet: its kind and endpoint in effect.
        Assert.Contains("FACET", show.Out);
        foreach (var facet in new[] { "config", "cache", "database", "events" })
            Assert.Matches($@"{facet}\s+http\s+http://127\.0\.0\.1:[0-9]+", show.Out);
        Assert.Equal("demo", (await CliRun.RunAsync(On("targets", "show", "demo", "--json"))).Json.GetProperty("id").GetString());

        var unknown = await CliRun.RunAsync(On("targets", "show", "nope"));
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        AssertOneLine(unknown, "no target has id 'nope'");

        // Changes need the token: none, a wrong one, then the right one from the environment.
        var noToken = await CliRun.RunAsync(On("targets", "add", "cli-added", "--endpoint", "/user/config-service-demo"));
        Assert.Equal(ExitCodes.Unauthorized, noToken.ExitCode);
        AssertOneLine(noToken, "token");
        var wrongToken = await CliRun.RunAsync(On("--token", "wrong", "targets", "add", "cli-added", "--endpoint", "/user/config-service-demo"));
        Assert.Equal(ExitCodes.Unauthorized, wrongToken.ExitCode);
        AssertOneLine(wrongToken, "token refused");
        Assert.DoesNotContain("cli-added", (await CliRun.RunAsync(On("targets", "list"))).Out);

        var env = new Dictionary<string, string> { ["CONFIGMON_TOKEN"] = ApiNode.Token };
        var invalid = await CliRun.RunAsync(On("targets", "add", "cli-bad", "--endpoint", "nowhere", "--set", "Performance:Interval=soon"), variables: env);
        Assert.Equal(ExitCodes.Refused, invalid.ExitCode);
        AssertOneLine(invalid, "field 'Performance:Interval' is 'soon'");

        var added = await CliRun.RunAsync(On("targets", "add", "cli-added", "--endpoint", "/user/config-service-demo", "--probe-key", "app.name",
            "--set", "Performance:Interval=1s"), variables: env);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Target cli-added added", added.Out);
        var shown = await CliRun.RunAsync(On("targets", "show", "cli-added", "--json"));
        Assert.Equal("runtime", shown.Json.GetProperty("source").GetString());
        Assert.Equal("1s", shown.Json.GetProperty("definition").GetProperty("performance").GetProperty("interval").GetString());

        Assert.Matches(@"performance interval\s+1s\s", (await CliRun.RunAsync(On("targets", "show", "cli-added"))).Out);

        // Another kind through --adapter; a facet of another kind without its endpoint is refused with one line naming it.
        var demoUrl = (await CliRun.RunAsync(On("targets", "show", "demo", "--json"))).Json.GetProperty("definition").GetProperty("endpoint").GetString()!;
        var missing = await CliRun.RunAsync(On("targets", "add", "cli-http", "--adapter", "http", "--endpoint", demoUrl, "--set", "Cache:Kind=redis"), variables: env);
        Assert.Equal(ExitCodes.Refused, missing.ExitCode);
        AssertOneLine(missing, "field 'Cache:Endpoint' is missing");
        var http = await CliRun.RunAsync(On("targets", "add", "cli-http", "--adapter", "http", "--endpoint", demoUrl, "--probe-key", "app.name",
            "--set", "Cache:Kind=none", "--set", "Performance:Interval=1s"), variables: env);
        Assert.True(http.ExitCode == 0, http.ToString());
        await Eventually.AssertAsync(async () =>
        {
            var facets = (await CliRun.RunAsync(On("targets", "show", "cli-http"))).Out;
            return System.Text.RegularExpressions.Regex.IsMatch(facets, @"config\s+http\s+http://127\.0\.0\.1:[0-9]+\s+[1-9]")
                   && System.Text.RegularExpressions.Regex.IsMatch(facets, @"cache\s+none");
        }, WaitTimeout, "the runtime http target should show its config facet probed and its cache facet none");
        Assert.Equal(0, (await CliRun.RunAsync(AsOperator("targets", "remove", "cli-http"))).ExitCode);

        var duplicate = await CliRun.RunAsync(On("targets", "add", "cli-added", "--endpoint", "/user/config-service-demo"), variables: env);
        Assert.Equal(ExitCodes.Refused, duplicate.ExitCode);
        AssertOneLine(duplicate, "already exists");

        var configured = await CliRun.RunAsync(AsOperator("targets", "remove", "demo"));
        Assert.Equal(ExitCodes.Refused, configured.ExitCode);
        AssertOneLine(configured, "defined in configuration");

        var removed = await CliRun.RunAsync(AsOperator("targets", "remove", "cli-added"));
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("Target cli-added removed", removed.Out);
        var gone = await CliRun.RunAsync(AsOperator("targets", "remove", "cli-added"));
        Assert.Equal(ExitCodes.Refused, gone.ExitCode);
        AssertOneLine(gone, "no target has id 'cli-added'");
    }

    [Fact]
    public async Task Metrics_summary_lists_every_metric_or_summarises_one_over_a_window()
    {
        var all = await CliRun.RunAsync(On("metrics", "summary", "demo"));
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("P95", all.Out);
        Assert.Matches(@"config_access_ms\s+[0-9.]+\s+1h\s+[1-9]", all.Out);

        var one = await CliRun.RunAsync(On("metrics", "summary", "demo", "--metric", "config_access_ms", "--window", "5m", "--json"));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal("5m", one.Json.GetProperty("window").GetString());
        Assert.True(one.Json.GetProperty("count").GetInt64() > 0);

        var unknownMetric = await CliRun.RunAsync(On("metrics", "summary", "demo", "--metric", "no_such_metric"));
        Assert.Equal(ExitCodes.Refused, unknownMetric.ExitCode);
        AssertOneLine(unknownMetric, "has no metric 'no_such_metric'");
        var unknownTarget = await CliRun.RunAsync(On("metrics", "summary", "nope"));
        Assert.Equal(ExitCodes.Refused, unknownTarget.ExitCode);
        AssertOneLine(unknownTarget, "no target has id 'nope'");
    }

    [Fact]
    public async Task Metrics_recent_lists_the_newest_raw_samples_of_one_metric()
    {
        var table = await CliRun.RunAsync(On("metrics", "recent", "demo", "config_access_ok"));
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+[01]", table.Out);

        var json = await CliRun.RunAsync(On("metrics", "recent", "demo", "config_access_ok", "--json"));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.All(json.Json.EnumerateArray(), s => Assert.Contains(s.GetProperty("value").GetDouble(), new[] { 0.0, 1.0 }));

        var unknown = await CliRun.RunAsync(On("metrics", "recent", "demo", "no_such_metric"));
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        AssertOneLine(unknown, "has no metric 'no_such_metric'");
    }

    [Fact]
    public async Task Metrics_series_prints_a_day_of_buckets_as_a_table_or_the_node_json()
    {
        var seeded = await MetricHistorySeeder.SeedDayAsync(node.App, "demo", "cli_seeded_ms");

        var table = await CliRun.RunAsync(On("metrics", "series", "demo", "cli_seeded_ms"));
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"cli_seeded_ms of demo over 24h: [0-9]+ points, count " + seeded.Count, table.Out);
        Assert.Contains("TIME", table.Out);
        Assert.Contains("P99", table.Out);
        var hourRows = System.Text.RegularExpressions.Regex.Matches(table.Out, @"\d{4}-\d\d-\d\d \d\d:00:00Z\s+1h\s+120\s").Count;
        var minuteRows = System.Text.RegularExpressions.Regex.Matches(table.Out, @"\d{4}-\d\d-\d\d \d\d:\d\d:00Z\s+1m\s+2\s").Count;
        Assert.True(hourRows >= 20 && minuteRows >= 59, $"expected full hourly rows then minute rows:{Environment.NewLine}{table.Out}");

        var json = await CliRun.RunAsync(On("metrics", "series", "demo", "config_access_ms", "--window", "6h", "--json"));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("6h", json.Json.GetProperty("window").GetString());
        Assert.Equal("access_time", json.Json.GetProperty("thresholds")[0].GetProperty("name").GetString());
        Assert.True(json.Json.GetProperty("points").GetArrayLength() > 0);

        var badWindow = await CliRun.RunAsync(On("metrics", "series", "demo", "config_access_ms", "--window", "soon"));
        Assert.Equal(ExitCodes.Refused, badWindow.ExitCode);
        AssertOneLine(badWindow, "1h, 6h, 24h");
        var unknown = await CliRun.RunAsync(On("metrics", "series", "demo", "no_such_metric"));
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        AssertOneLine(unknown, "has no metric 'no_such_metric'");
    }

    [Fact]
    public async Task Alerts_list_ack_and_unack_with_a_comment_and_an_unknown_id()
    {
        // Cause the alert: the demo service's database goes down (database/unreachable fires within a probe), and comes back after.
        await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(false));
        string id = "";
        try
        {
            await Eventually.AssertAsync(async () =>
            {
                var json = await CliRun.RunAsync(On("alerts", "list", "--all", "--json"));
                var caused = json.Json.EnumerateArray().FirstOrDefault(a =>
                    a.GetProperty("targetId").GetString() == "demo" && a.GetProperty("rule").GetString() == DatabaseLoopActor.UnreachableRule);
                if (caused.ValueKind != JsonValueKind.Object) return false;
                id = caused.GetProperty("id").GetString()!;
                return true;
            }, WaitTimeout, "the demo target should raise database/unreachable while its database is down");
        }
        finally
        {
            await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(true));
        }

        var listAll = await CliRun.RunAsync(On("alerts", "list", "--all"));
        Assert.Equal(0, listAll.ExitCode);
        Assert.Contains(id, listAll.Out);
        Assert.Contains("SEVERITY", listAll.Out);
        Assert.Matches(@"Count: (1 alert|[2-9]\d* alerts|1\d+ alerts)\b", listAll.Out);
        Assert.Equal(0, (await CliRun.RunAsync(On("alerts", "list"))).ExitCode);

        var ack = await CliRun.RunAsync(AsOperator("alerts", "ack", id, "--comment", "on it"));
        Assert.True(ack.ExitCode == 0, ack.ToString());
        Assert.Contains($"Alert {id} acknowledged by cli-tests", ack.Out);
        var shown = (await CliRun.RunAsync(On("alerts", "list", "--all", "--json"))).Json.EnumerateArray().Single(a => a.GetProperty("id").GetString() == id);
        Assert.True(shown.GetProperty("acknowledged").GetBoolean());
        Assert.Equal("on it", shown.GetProperty("acknowledgeComment").GetString());

        var unack = await CliRun.RunAsync(AsOperator("alerts", "unack", id));
        Assert.True(unack.ExitCode == 0, unack.ToString());
        Assert.Contains($"Alert {id} is no longer acknowledged", unack.Out);

        var unknown = await CliRun.RunAsync(AsOperator("alerts", "ack", "alert-99999"));
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        AssertOneLine(unknown, "alert-99999");
        var refused = await CliRun.RunAsync(On("--token", "wrong", "alerts", "ack", id));
        Assert.Equal(ExitCodes.Unauthorized, refused.ExitCode);
        AssertOneLine(refused, "token refused");
    }

    [Fact]
    public async Task Silences_add_list_and_expire()
    {
        var added = await CliRun.RunAsync(AsOperator("silences", "add", "--match", "target=demo", "--match", "severity=~warn.*", "--for", "2h",
            "--comment", "deploy", "--json"));
        Assert.True(added.ExitCode == 0, added.ToString());
        var id = added.Json.GetProperty("id").GetString()!;
        Assert.Equal("deploy", added.Json.GetProperty("comment").GetString());

        var list = await CliRun.RunAsync(On("silences", "list"));
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(id, list.Out);
        Assert.Contains("target=demo severity=~warn.*", list.Out);

        var bad = await CliRun.RunAsync(AsOperator("silences", "add", "--match", "colour=blue", "--for", "2h"));
        Assert.Equal(ExitCodes.Refused, bad.ExitCode);
        AssertOneLine(bad, "colour");

        var expired = await CliRun.RunAsync(AsOperator("silences", "expire", id));
        Assert.True(expired.ExitCode == 0, expired.ToString());
        Assert.Contains($"Silence {id} expired", expired.Out);
        Assert.DoesNotContain(id, (await CliRun.RunAsync(On("silences", "list"))).Out);
        Assert.Contains(id, (await CliRun.RunAsync(On("silences", "list", "--all"))).Out);

        var unknown = await CliRun.RunAsync(AsOperator("silences", "expire", "silence-99999"));
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        AssertOneLine(unknown, "silence-99999");
    }

    [Fact]
    public async Task Health_prints_the_seven_checks_and_exits_by_the_overall_status()
    {
        var health = await CliRun.RunAsync(On("health"));
        Assert.True(health.ExitCode is ExitCodes.Ok or ExitCodes.Refused, health.ToString());
        Assert.Contains("Status: ", health.Out);
        foreach (var check in new[] { "configuration_service", "database_connectivity", "cache_performance", "event_system", "service_adapters", "memory_usage", "disk_space" })
            Assert.True(health.Out.Contains(check, StringComparison.Ordinal), health.ToString());
        var json = await CliRun.RunAsync(On("health", "--json"));
        Assert.Equal(json.Json.GetProperty("status").GetString() == "healthy" ? ExitCodes.Ok : ExitCodes.Refused, json.ExitCode);
    }

    [Fact]
    public async Task An_unreachable_node_exits_2_with_one_line()
    {
        var result = await CliRun.RunAsync(["--node", "127.0.0.1:1", "cluster", "show"]);
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        AssertOneLine(result, "cannot reach the node at 127.0.0.1:1");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task A_usage_error_exits_non_zero()
    {
        var result = await CliRun.RunAsync(On("targets", "show"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Required argument missing", result.Error);
    }

    [Fact]
    public async Task With_no_command_it_runs_an_interactive_prompt_with_history()
    {
        var session = await CliRun.RunAsync(On(), stdin: string.Join('\n', "cluster leader", "targets list", "", "history", "!1", "alerts ack alert-99999", "exit") + "\n");
        Assert.True(session.ExitCode == 0, session.ToString());
        Assert.Contains($"[{node.Node}] configmon> cluster leader", session.Out);
        Assert.Contains("   1  cluster leader", session.Out);
        Assert.Contains("   2  targets list", session.Out);
        var leader = (await CliRun.RunAsync(On("cluster", "leader"))).Out.Trim();
        Assert.Equal(2, session.Out.Split('\n').Count(l => l.Trim() == leader));  // once for the command, once for !1
        Assert.Contains("Count: 1 target", session.Out);
        Assert.DoesNotContain("Count: 1 targets", session.Out);
        // A failing command (a change without the token) prints its one line and the prompt goes on.
        Assert.Contains("configmon: the node wants a token", session.Error);
        Assert.EndsWith($"[{node.Node}] configmon> exit", session.Out.TrimEnd());
    }

    private static void AssertOneLine(CliResult result, string expected)
    {
        var error = result.Error.TrimEnd();
        Assert.False(error.Contains('\n'), $"the reason should be one line: {result}");
        Assert.StartsWith("configmon: ", error);
        Assert.Contains(expected, error);
    }
}
