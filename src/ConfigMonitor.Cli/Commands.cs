using System.CommandLine;
using System.Net;
using System.Text.Json;

namespace ConfigMonitor.Cli;

/// <summary>The command tree, palette by palette as in pbm: cluster, targets, metrics, alerts, silences, health.</summary>
public sealed class Commands
{
    /// <summary>--node host:port (every command).</summary>
    public static readonly Option<string> NodeOption = new("--node", "-n")
    {
        Description = "the node's management API as host:port",
        DefaultValueFactory = _ => "127.0.0.1:9110",
        Recursive = true,
    };

    /// <summary>--token (or CONFIGMON_TOKEN).</summary>
    public static readonly Option<string?> TokenOption = new("--token")
    {
        Description = "bearer token for changes (default: the CONFIGMON_TOKEN environment variable)",
        Recursive = true,
    };

    /// <summary>--json: the node's JSON instead of tables.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "print the node's JSON answer instead of a table",
        Recursive = true,
    };

    private readonly CliEnvironment _env;

    /// <summary>Commands that write through <paramref name="env"/>.</summary>
    public Commands(CliEnvironment env) => _env = env;

    /// <summary>The root command; with no sub-command it runs <paramref name="interactive"/>.</summary>
    public RootCommand Build(Func<ParseResult, CancellationToken, Task<int>> interactive)
    {
        var root = new RootCommand("configmon: inspect and operate a running ConfigMonitor cluster through a node's management API.\n" +
                                   "With no command it opens an interactive prompt.")
        {
            NodeOption, TokenOption, JsonOption,
        };
        root.SetAction(interactive);
        root.Add(Cluster());
        root.Add(Targets());
        root.Add(Metrics());
        root.Add(Alerts());
        root.Add(Silences());
        root.Add(Health());
        return root;
    }

    private Command Cluster()
    {
        var show = new Command("show", "members: address | roles | status | reachability | version; the leader and singletons");
        show.SetAction(Run(async (api, output, _, ct) =>
        {
            var answer = await api.GetAsync("api/cluster", ct);
            if (output.Json) { output.WriteJson(answer.Body); return ExitCodes.Ok; }
            var body = answer.Body!.Value;
            var members = body.GetProperty("members").EnumerateArray().ToList();
            output.Table(["ADDRESS", "ROLES", "STATUS", "REACHABILITY", "VERSION", "LEADER"], members.Select(m => (IReadOnlyList<string>)
            [
                Output.Text(m, "address"), "[" + Output.Text(m, "roles") + "]", Output.Text(m, "status"),
                m.GetProperty("reachable").GetBoolean() ? "reachable" : "UNREACHABLE", Output.Text(m, "version"),
                m.GetProperty("isLeader").GetBoolean() ? "leader" : "",
            ]));
            output.Line(Output.Count(members.Count, "node"));
            foreach (var singleton in body.GetProperty("singletons").EnumerateObject())
                output.Line($"Singleton {singleton.Name} on {(singleton.Value.ValueKind == JsonValueKind.String ? singleton.Value.GetString() : "(none)")}");
            var targets = body.GetProperty("targets").EnumerateArray().ToList();
            if (targets.Count > 0)
                output.Table(["TARGET", "MONITORED BY", "MONITORING"], targets.Select(t => (IReadOnlyList<string>)
                    [Output.Text(t, "target"), Output.Text(t, "node"), Output.Text(t, "monitoring")]));
            return ExitCodes.Ok;
        }));
        var leader = new Command("leader", "the cluster leader's address");
        leader.SetAction(Run(async (api, output, _, ct) =>
        {
            var answer = await api.GetAsync("api/cluster", ct);
            var address = Output.Text(answer.Body!.Value, "leader");
            if (output.Json) output.WriteJson(JsonSerializer.SerializeToElement(new { leader = address.Length == 0 ? null : address }));
            else output.Line(address.Length == 0 ? "no leader (the node has not joined a cluster)" : address);
            return address.Length == 0 ? ExitCodes.Refused : ExitCodes.Ok;
        }));
        return new Command("cluster", "the cluster as the node sees it") { show, leader };
    }

    private Command Targets()
    {
        var list = new Command("list", "every target: id, source, endpoint");
        list.SetAction(Run(async (api, output, _, ct) =>
        {
            var targets = await api.GetAllPagesAsync("api/targets", ct);
            if (output.Json) { output.WriteJson(targets); return ExitCodes.Ok; }
            output.Table(["ID", "SOURCE", "ADAPTER", "ENDPOINT", "PROBE KEY"], targets.Select(t => (IReadOnlyList<string>)
            [
                Output.Text(t, "id"), Output.Text(t, "source"), Output.Text(t, "definition", "adapter"), Output.Text(t, "definition", "endpoint"),
                Output.Text(t, "definition", "probeKey"),
            ]));
            output.Line(Output.Count(targets.Count, "target"));
            return ExitCodes.Ok;
        }));

        var idArgument = new Argument<string>("id") { Description = "the target id" };
        var show = new Command("show", "one target: definition, monitoring node and loops") { idArgument };
        show.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.GetAsync($"api/targets/{Uri.EscapeDataString(parse.GetValue(idArgument)!)}", ct);
            if (output.Json) { output.WriteJson(answer.Body); return ExitCodes.Ok; }
            var t = answer.Body!.Value;
            output.Fields(
            [
                ("id", Output.Text(t, "id")), ("source", Output.Text(t, "source")), ("adapter", Output.Text(t, "definition", "adapter")),
                ("endpoint", Output.Text(t, "definition", "endpoint")), ("probe key", Output.Text(t, "definition", "probeKey")),
                ("probe timeout", Output.Duration(t, "definition", "probeTimeout")),
                ("performance interval", Output.Duration(t, "definition", "performance", "interval")),
                ("access time threshold ms", Output.Text(t, "definition", "performance", "accessTimeThresholdMs")),
                ("health interval", Output.Duration(t, "definition", "health", "interval")),
                ("cache interval", Output.Duration(t, "definition", "cache", "interval")),
                ("database interval", Output.Duration(t, "definition", "database", "interval")),
                ("monitored by", Output.Text(t, "status", "node")), ("monitoring", Output.Text(t, "status", "monitoring")),
            ]);
            if (t.TryGetProperty("facets", out var facets) && facets.ValueKind == JsonValueKind.Array)
            {
                // The facets with the monitor's view of each, when the node monitoring the target answered.
                var byFacet = t.TryGetProperty("status", out var withStatus) && withStatus.ValueKind == JsonValueKind.Object
                              && withStatus.TryGetProperty("facets", out var statusFacets) && statusFacets.ValueKind == JsonValueKind.Array
                    ? statusFacets.EnumerateArray().ToDictionary(f => Output.Text(f, "facet"))
                    : new Dictionary<string, JsonElement>();
                output.Table(["FACET", "KIND", "ENDPOINT", "PROBES", "LAST SUCCESS", "FAILURES IN A ROW", "LAST ERROR"], facets.EnumerateArray()
                    .Select(f =>
                    {
                        var name = Output.Text(f, "facet");
                        var seen = byFacet.TryGetValue(name, out var s) ? s : (JsonElement?)null;
                        return (IReadOnlyList<string>)
                        [
                            name, Output.Text(f, "kind"), Output.Text(f, "endpoint"),
                            seen is { } a ? Output.Text(a, "probes") : "", seen is { } b ? Output.Time(b, "lastSuccessAt") : "",
                            seen is { } c ? Output.Text(c, "consecutiveFailures") : "", seen is { } d ? Output.Text(d, "lastError") : "",
                        ];
                    }), identifying: 3);
            }
            if (t.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
                output.Table(["LOOP", "PROBES", "LAST SUCCESS", "FAILURES IN A ROW", "LAST ERROR"], status.GetProperty("loops").EnumerateArray()
                    .Select(l => (IReadOnlyList<string>)
                        [Output.Text(l, "loop"), Output.Text(l, "probes"), Output.Time(l, "lastSuccessAt"), Output.Text(l, "consecutiveFailures"), Output.Text(l, "lastError")]),
                    identifying: 1);
            return ExitCodes.Ok;
        }));

        var addId = new Argument<string>("id") { Description = "the new target's id" };
        var endpoint = new Option<string?>("--endpoint", "-e")
        {
            Description = "where the config service is: an actor path, a URL (http, etcd), or a connection string (sql)",
        };
        var adapter = new Option<string?>("--adapter", "-a") { Description = "the kind every facet is reached by: actor (default), http, etcd or sql" };
        var probeKey = new Option<string?>("--probe-key") { Description = "the key the loops read" };
        var set = new Option<string[]>("--set")
        {
            Description = "any other field as Field=Value, e.g. --set Performance:Interval=30s (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var add = new Command("add", "add a target at runtime (persisted across restarts)") { addId, endpoint, adapter, probeKey, set };
        add.SetAction(Run(async (api, output, parse, ct) =>
        {
            var body = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["id"] = parse.GetValue(addId) };
            if (parse.GetValue(endpoint) is { } where) body["endpoint"] = where;
            if (parse.GetValue(adapter) is { } kind) body["adapter"] = kind;
            if (parse.GetValue(probeKey) is { } key) body["probeKey"] = key;
            foreach (var pair in parse.GetValue(set) ?? [])
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0) throw new CliException(ExitCodes.Refused, $"--set '{pair}' is not Field=Value");
                SetPath(body, pair[..equals].Split(':', '.'), pair[(equals + 1)..]);
            }
            var answer = await api.PostAsync("api/targets", body, ct);
            if (output.Json) output.WriteJson(answer.Body);
            else output.Line($"Target {Output.Text(answer.Body!.Value, "id")} added; monitoring starts now");
            return ExitCodes.Ok;
        }));

        var removeId = new Argument<string>("id") { Description = "the target id" };
        var remove = new Command("remove", "remove a target added at runtime") { removeId };
        remove.SetAction(Run(async (api, output, parse, ct) =>
        {
            var id = parse.GetValue(removeId)!;
            await api.DeleteAsync($"api/targets/{Uri.EscapeDataString(id)}", ct);
            if (output.Json) output.WriteJson(JsonSerializer.SerializeToElement(new { id, removed = true }));
            else output.Line($"Target {id} removed; its monitoring stops");
            return ExitCodes.Ok;
        }));
        return new Command("targets", "the monitored config services") { list, show, add, remove };
    }

    private static void SetPath(Dictionary<string, object?> body, string[] path, string value)
    {
        // Names compare ignoring case, as the node reads them; a field given twice, or given both as a value and as a
        // section, is refused here instead of one silently winning.
        var name = string.Join(":", path);
        var current = body;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (!current.TryGetValue(path[i], out var next))
                current = (Dictionary<string, object?>)(current[path[i]] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase));
            else if (next is Dictionary<string, object?> child) current = child;
            else throw new CliException(ExitCodes.Refused, $"--set '{name}': '{string.Join(":", path[..(i + 1)])}' is already given a value, so it cannot also be a section");
        }
        if (current.ContainsKey(path[^1]))
            throw new CliException(ExitCodes.Refused, $"--set '{name}' gives a field that is already given; give each field once");
        current[path[^1]] = value;
    }

    /// <summary>A bucket's width as the duration grammar writes it (60 → 1m, 3600 → 1h, 2520 → 42m).</summary>
    private static string Width(long seconds) => seconds switch
    {
        _ when seconds % 3600 == 0 => $"{seconds / 3600}h",
        _ when seconds % 60 == 0 => $"{seconds / 60}m",
        _ => $"{seconds}s",
    };

    private Command Metrics()
    {
        var target = new Argument<string>("target") { Description = "the target id" };
        var metric = new Option<string?>("--metric", "-m") { Description = "one metric (default: every metric of the target)" };
        var window = new Option<string>("--window", "-w") { Description = "the window, e.g. 5m, 1h, 1d", DefaultValueFactory = _ => "1h" };
        var summary = new Command("summary", "latest value and count/avg/min/max/p50/p95/p99 over a window") { target, metric, window };
        summary.SetAction(Run(async (api, output, parse, ct) =>
        {
            var id = Uri.EscapeDataString(parse.GetValue(target)!);
            var windowText = Uri.EscapeDataString(parse.GetValue(window)!);
            var latest = new Dictionary<string, JsonElement>();
            var answer = await api.GetAsync($"api/targets/{id}/metrics", ct);
            foreach (var m in answer.Body!.Value.EnumerateArray()) latest[Output.Text(m, "metric")] = m;
            IReadOnlyList<string> metrics = parse.GetValue(metric) is { } one ? [one] : latest.Keys.ToList();
            var summaries = new List<JsonElement>();
            foreach (var name in metrics)
                summaries.Add((await api.GetAsync($"api/targets/{id}/metrics/{Uri.EscapeDataString(name)}/summary?window={windowText}", ct)).Body!.Value);
            if (output.Json)
            {
                output.WriteJson(metrics.Count == 1 && parse.GetValue(metric) is not null
                    ? summaries[0]
                    : JsonSerializer.SerializeToElement(summaries));
                return ExitCodes.Ok;
            }
            output.Table(["METRIC", "LATEST", "WINDOW", "COUNT", "AVG", "MIN", "MAX", "P50", "P95", "P99"], summaries.Select(s => (IReadOnlyList<string>)
            [
                Output.Text(s, "metric"), latest.TryGetValue(Output.Text(s, "metric"), out var l) ? Output.Text(l, "value") : "",
                Output.Text(s, "window"), Output.Text(s, "count"), Output.Text(s, "avg"), Output.Text(s, "min"), Output.Text(s, "max"),
                Output.Text(s, "p50"), Output.Text(s, "p95"), Output.Text(s, "p99"),
            ]));
            return ExitCodes.Ok;
        }));
        var recentTarget = new Argument<string>("target") { Description = "the target id" };
        var recentMetric = new Argument<string>("metric") { Description = "the metric, e.g. config_access_ms" };
        var recent = new Command("recent", "the newest raw samples of one metric, oldest first") { recentTarget, recentMetric };
        recent.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.GetAsync(
                $"api/targets/{Uri.EscapeDataString(parse.GetValue(recentTarget)!)}/metrics/{Uri.EscapeDataString(parse.GetValue(recentMetric)!)}/recent", ct);
            if (output.Json)
            {
                output.WriteJson(answer.Body!.Value);
                return ExitCodes.Ok;
            }
            output.Table(["TIME", "VALUE"], answer.Body!.Value.EnumerateArray()
                .Select(s => (IReadOnlyList<string>)[Output.Time(s, "timestamp"), Output.Text(s, "value")]));
            return ExitCodes.Ok;
        }));
        var seriesTarget = new Argument<string>("target") { Description = "the target id" };
        var seriesMetric = new Argument<string>("metric") { Description = "the metric, e.g. config_access_ms" };
        var seriesWindow = new Option<string>("--window", "-w") { Description = "the window: 1h, 6h or 24h (any duration up to the retention)", DefaultValueFactory = _ => "24h" };
        var series = new Command("series", "one metric's rollup buckets over a window, oldest first (what the target page charts)")
            { seriesTarget, seriesMetric, seriesWindow };
        series.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.GetAsync(
                $"api/targets/{Uri.EscapeDataString(parse.GetValue(seriesTarget)!)}/metrics/{Uri.EscapeDataString(parse.GetValue(seriesMetric)!)}/series" +
                $"?window={Uri.EscapeDataString(parse.GetValue(seriesWindow)!)}", ct);
            var body = answer.Body!.Value;
            if (output.Json)
            {
                output.WriteJson(body);
                return ExitCodes.Ok;
            }
            var points = body.GetProperty("points").EnumerateArray().ToList();
            var unit = Output.Text(body, "unit");
            var overall = body.GetProperty("overall");
            output.Line($"{Output.Text(body, "metric")} of {Output.Text(body, "targetId")} over {Output.Text(body, "window")}: {points.Count} points" +
                        (points.Count == 0 ? "" : $", count {Output.Text(overall, "count")}, p95 {Output.Text(overall, "p95")}, p99 {Output.Text(overall, "p99")}" +
                            $", max {Output.Text(overall, "max")}{(unit.Length == 0 ? "" : " " + unit)}"));
            foreach (var threshold in body.GetProperty("thresholds").EnumerateArray())
                output.Line($"threshold {Output.Text(threshold, "name")}: {Output.Text(threshold, "value")} ({Output.Text(threshold, "severity")} when {Output.Text(threshold, "breach")})");
            output.Table(["TIME", "WIDTH", "COUNT", "AVG", "P95", "P99", "MAX"], points.Select(p => (IReadOnlyList<string>)
            [
                Output.Time(p, "at"), Width(p.GetProperty("seconds").GetInt64()), Output.Text(p, "count"), Output.Text(p, "avg"),
                Output.Text(p, "p95"), Output.Text(p, "p99"), Output.Text(p, "max"),
            ]));
            return ExitCodes.Ok;
        }));
        return new Command("metrics", "metric history of a target") { summary, recent, series };
    }

    private Command Alerts()
    {
        var all = new Option<bool>("--all", "-a") { Description = "every retained alert, not only active ones" };
        var list = new Command("list", "active alerts (firing, or resolved and not acknowledged)") { all };
        list.SetAction(Run(async (api, output, parse, ct) =>
        {
            var alerts = await api.GetAllPagesAsync($"api/alerts?state={(parse.GetValue(all) ? "all" : "active")}", ct);
            if (output.Json) { output.WriteJson(alerts); return ExitCodes.Ok; }
            // ID, TARGET, SEVERITY, STATE and ACK never wrap or shrink; the message wraps into what width is left.
            output.Table(["ID", "TARGET", "SEVERITY", "STATE", "ACK", "RULE", "RAISED", "SUPPRESSED BY", "MESSAGE"], alerts.Select(a => (IReadOnlyList<string>)
            [
                Output.Text(a, "id"), Output.Text(a, "targetId"), Output.Text(a, "severity"), Output.Text(a, "state"), Output.Text(a, "acknowledged"),
                $"{Output.Text(a, "category")}/{Output.Text(a, "rule")}", Output.Time(a, "raisedAt"), Output.Text(a, "suppressedBy"), Output.Text(a, "message"),
            ]), identifying: 5);
            output.Line(Output.Count(alerts.Count, "alert"));
            return ExitCodes.Ok;
        }));

        var ackId = new Argument<string>("id") { Description = "the alert id, e.g. alert-17" };
        var comment = new Option<string?>("--comment", "-c") { Description = "why, for the next person" };
        var by = new Option<string?>("--by") { Description = "who acknowledges (default: your user name)" };
        var ack = new Command("ack", "acknowledge an alert (stops reminders)") { ackId, comment, by };
        ack.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.PostAsync($"api/alerts/{Uri.EscapeDataString(parse.GetValue(ackId)!)}/ack",
                new { by = parse.GetValue(by) ?? _env.User, comment = parse.GetValue(comment) }, ct);
            if (output.Json) output.WriteJson(answer.Body);
            else output.Line($"Alert {Output.Text(answer.Body!.Value, "id")} acknowledged by {Output.Text(answer.Body!.Value, "acknowledgedBy")}");
            return ExitCodes.Ok;
        }));

        var unackId = new Argument<string>("id") { Description = "the alert id" };
        var unack = new Command("unack", "take an acknowledgement back") { unackId };
        unack.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.PostAsync($"api/alerts/{Uri.EscapeDataString(parse.GetValue(unackId)!)}/unack", new { by = _env.User }, ct);
            if (output.Json) output.WriteJson(answer.Body);
            else output.Line($"Alert {Output.Text(answer.Body!.Value, "id")} is no longer acknowledged");
            return ExitCodes.Ok;
        }));
        return new Command("alerts", "alerts and their acknowledgement") { list, ack, unack };
    }

    private Command Silences()
    {
        var match = new Option<string[]>("--match", "-m") { Description = "field=value or field=~regex (target, category, severity, rule, group); repeatable", Required = true };
        var duration = new Option<string>("--for") { Description = "how long, e.g. 30m, 2h", Required = true };
        var comment = new Option<string>("--comment", "-c") { Description = "why", DefaultValueFactory = _ => "" };
        var add = new Command("add", "mute notifications of matching alerts for a while") { match, duration, comment };
        add.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.PostAsync("api/silences", new
            {
                matchers = parse.GetValue(match),
                duration = parse.GetValue(duration),
                comment = parse.GetValue(comment),
                createdBy = _env.User,
            }, ct);
            if (output.Json) output.WriteJson(answer.Body);
            else output.Line($"Silence {Output.Text(answer.Body!.Value, "id")} created until {Output.Time(answer.Body!.Value, "endsAt")}");
            return ExitCodes.Ok;
        }));

        var all = new Option<bool>("--all", "-a") { Description = "expired silences too" };
        var list = new Command("list", "silences in force (or all)") { all };
        list.SetAction(Run(async (api, output, parse, ct) =>
        {
            var silences = await api.GetAllPagesAsync($"api/silences?all={(parse.GetValue(all) ? "true" : "false")}", ct);
            if (output.Json) { output.WriteJson(silences); return ExitCodes.Ok; }
            output.Table(["ID", "MATCHERS", "STARTS", "ENDS", "EXPIRED", "BY", "COMMENT"], silences.Select(s => (IReadOnlyList<string>)
            [
                Output.Text(s, "id"), string.Join(" ", s.GetProperty("matchers").EnumerateArray().Select(MatcherText)),
                Output.Time(s, "startsAt"), Output.Time(s, "endsAt"), Output.Time(s, "expiredAt"), Output.Text(s, "createdBy"), Output.Text(s, "comment"),
            ]));
            output.Line(Output.Count(silences.Count, "silence"));
            return ExitCodes.Ok;
        }));

        var expireId = new Argument<string>("id") { Description = "the silence id" };
        var expire = new Command("expire", "end a silence now") { expireId };
        expire.SetAction(Run(async (api, output, parse, ct) =>
        {
            var answer = await api.DeleteAsync($"api/silences/{Uri.EscapeDataString(parse.GetValue(expireId)!)}", ct);
            if (output.Json) output.WriteJson(answer.Body);
            else output.Line($"Silence {Output.Text(answer.Body!.Value, "id")} expired");
            return ExitCodes.Ok;
        }));
        return new Command("silences", "mute notifications of matching alerts") { add, list, expire };
    }

    private static string MatcherText(JsonElement m) =>
        $"{Output.Text(m, "field")}{(m.TryGetProperty("isRegex", out var r) && r.ValueKind == JsonValueKind.True ? "=~" : "=")}{Output.Text(m, "value")}";

    private Command Health()
    {
        var health = new Command("health", "the seven health checks of every target; exit code 1 when unhealthy");
        health.SetAction(Run(async (api, output, _, ct) =>
        {
            var answer = await api.GetAsync("health", ct, HttpStatusCode.ServiceUnavailable);
            var healthy = answer.Status == HttpStatusCode.OK;
            if (output.Json) { output.WriteJson(answer.Body); return healthy ? ExitCodes.Ok : ExitCodes.Refused; }
            var body = answer.Body!.Value;
            output.Line($"Status: {Output.Text(body, "status")} (checked {Output.Time(body, "checkedAt")})");
            if (body.TryGetProperty("checks", out var checks))
                // Check, target and status are kept whole and the message (which carries a failed check's error) wraps, whatever
                // the width; --json has the error on its own.
                output.Table(["CHECK", "TARGET", "STATUS", "MESSAGE"], checks.EnumerateArray().Select(c => (IReadOnlyList<string>)
                    [Output.Text(c, "name"), Output.Text(c, "targetId"), Output.Text(c, "status"), Output.Text(c, "message")]),
                    identifying: 3);
            else output.Line(Output.Text(body, "error"));
            return healthy ? ExitCodes.Ok : ExitCodes.Refused;
        }));
        return health;
    }

    /// <summary>Wraps a command body: builds the client from the global options and turns failures into one line and an exit code.</summary>
    private Func<ParseResult, CancellationToken, Task<int>> Run(Func<ManagementClient, Output, ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, ct) =>
        {
            var output = new Output(_env.Out, parse.GetValue(JsonOption), Output.WidthFrom(_env));
            try
            {
                var node = parse.GetValue(NodeOption)!;
                var token = parse.GetValue(TokenOption) ?? _env.Variable("CONFIGMON_TOKEN");
                var client = new ManagementClient(_env.Http, node, string.IsNullOrWhiteSpace(token) ? null : token);
                return await body(client, output, parse, ct);
            }
            catch (CliException e)
            {
                await _env.Error.WriteLineAsync($"configmon: {e.Message}");
                return e.ExitCode;
            }
        };
}
