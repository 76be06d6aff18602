using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.ConfigService;
using ConfigMonitor.Host.Api;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>
/// The management API's JSON is a contract of its own: the golden files (ApiContracts/Golden) hold what it wrote before its
/// answers came from view records — exactly, for maximal and minimal records serialized with the node's own JSON options, and
/// as shapes (names, order, kinds, nulls) for every route of a real node over loopback — and it must still write the same.
/// </summary>
public sealed partial class ApiJsonContractSpecs(ApiContractNode node) : IClassFixture<ApiContractNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What each route answers for the samples, as the routes build their answers.</summary>
    private static IReadOnlyList<(string Name, object Answer)> Answers() =>
    [
        ("alert.maximal.json", ApiViews.Of(ApiJsonSamples.MaximalAlert)),
        ("alert.minimal.json", ApiViews.Of(ApiJsonSamples.MinimalAlert)),
        ("alerts.page.json", new Page<AlertView>(
            new[] { ApiJsonSamples.MaximalAlert, ApiJsonSamples.MinimalAlert }.Concat(ApiJsonSamples.OtherAlerts).Select(ApiViews.Of).ToList(), 12, "4")),
        ("silence.maximal.json", ApiViews.Of(ApiJsonSamples.MaximalSilence)),
        ("silence.minimal.json", ApiViews.Of(ApiJsonSamples.MinimalSilence)),
        ("silences.page.json", new Page<SilenceView>([ApiViews.Of(ApiJsonSamples.MaximalSilence), ApiViews.Of(ApiJsonSamples.MinimalSilence)], 2, null)),
        ("maintenance-window.created-maximal.json", ApiViews.Of(ApiJsonSamples.MaximalWindow)),
        ("maintenance-window.created-recurring.json", ApiViews.Of(ApiJsonSamples.RecurringWindow)),
        ("maintenance-window.created-one-off.json", ApiViews.Of(ApiJsonSamples.OneOffWindow)),
        ("maintenance-windows.list.json", new List<MaintenanceWindowStateView>
        {
            new(ApiViews.Of(ApiJsonSamples.MaximalWindow), false), new(ApiViews.Of(ApiJsonSamples.RecurringWindow), true),
            new(ApiViews.Of(ApiJsonSamples.OneOffWindow), false),
        }),
        ("target.maximal.json", ApiViews.Of(ApiJsonSamples.MaximalDefinition, "runtime", ApiJsonSamples.MaximalStatus)),
        ("target.minimal.json", ApiViews.Of(ApiJsonSamples.MinimalDefinition, "configuration")),
        ("target.not-monitored.json", ApiViews.Of(ApiJsonSamples.MinimalDefinition, "configuration", ApiJsonSamples.MinimalStatus)),
        ("targets.page.json", new Page<TargetView>(
            [ApiViews.Of(ApiJsonSamples.MaximalDefinition, "runtime"), ApiViews.Of(ApiJsonSamples.MinimalDefinition, "configuration")], 7, "orders")),
        ("health.report.json", ApiViews.Of(ApiJsonSamples.Report)),
        ("metric-series.maximal.json", MetricSeriesView.Of(SeriesSample, TimeSpan.FromHours(24),
            MetricThresholds.For(ApiJsonSamples.MaximalDefinition, MetricNames.ConfigAccessMs))),
        ("metric-series.minimal.json", MetricSeriesView.Of(SeriesSample with { Metric = MetricNames.ConfigAccessOk, BucketSeconds = 0, Points = [],
            Overall = SeriesSample.Overall with { Count = 0, Average = null, Min = null, Max = null, P50 = null, P95 = null, P99 = null } },
            TimeSpan.FromHours(1), MetricThresholds.For(ApiJsonSamples.MinimalDefinition, MetricNames.ConfigAccessOk))),
        .. StatusAnswers(),
    ];

    private static readonly DateTimeOffset SeriesEnd = new(2026, 11, 29, 12, 0, 20, TimeSpan.Zero);

    /// <summary>A store's answer for a series: an hourly bucket, the hour being merged, and a minute.</summary>
    private static readonly MetricsQueries.MetricSeriesAnswer SeriesSample = new("orders", MetricNames.ConfigAccessMs,
        SeriesEnd.AddHours(-24), SeriesEnd, 3600,
        [
            new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), 3600, 120, 12.5, 3, 48.25, 30, 45.5),
            new(new DateTimeOffset(2026, 11, 29, 11, 0, 0, TimeSpan.Zero), 60, 2, 7, 6, 8, 8, 8),
            new(new DateTimeOffset(2026, 11, 29, 11, 59, 0, TimeSpan.Zero), 60, 2, 9.5, 9, 10, 10, 10),
        ],
        new("orders", MetricNames.ConfigAccessMs, SeriesEnd.AddHours(-24), SeriesEnd, 124, 12.2, 3, 48.25, 11, 30, 45.5));

    [Fact]
    public void Should_write_every_maximal_and_minimal_answer_exactly_as_the_golden_file()
    {
        var json = new JsonSerializerOptions(node.Json);
        var failures = new List<string>();
        using (node.NotRecorded())
            foreach (var (name, answer) in Answers())
                if (GoldenJson.Compare("exact/" + name, JsonSerializer.Serialize(answer, answer.GetType(), json)) is { } failure) failures.Add(failure);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
    }

    [Fact]
    public async Task Should_answer_every_route_of_a_real_node_in_the_shape_of_the_golden_file()
    {
        var shapes = await node.RouteShapes.Value;
        var failures = shapes.Select(s => GoldenJson.CompareShape("routes/" + s.Key, s.Value)).OfType<string>().ToList();
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
    }

    /// <summary>Every route, walked once per node: name of the golden file → the shape of the answer.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> WalkRoutesAsync(ApiContractNode node)
    {
        var shapes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, JsonNode? answer, params string[] maps) => shapes[name + ".json"] = GoldenJson.Shape(answer, maps);

        // Targets: the configured demo, a runtime one with every facet field, the list.
        var targets = await GetAsync(node.Anonymous, "/api/targets");
        Add("targets.page", Only(targets, "items", t => (string?)t["id"] == "demo"));
        Add("target.demo", await GetAsync(node.Anonymous, "/api/targets/demo"));
        var created = await SendAsync(node.Operator, HttpMethod.Post, "/api/targets", HttpStatusCode.Created, """
            {"id": "contract-http", "adapter": "http", "endpoint": "http://127.0.0.1:9", "secret": "env:CONTRACT_TOKEN", "group": "eu-west",
             "probeKey": "app.name", "probeTimeout": "2s", "performance": {"interval": "1h", "accessTimeThresholdMs": 75},
             "health": {"interval": "1h"}, "cache": {"interval": "1h", "hitsPointer": "/hits", "missesPointer": "/misses", "sizePointer": "/size", "maxSizePointer": "/max"},
             "database": {"kind": "none"}, "eventProbe": {"kind": "none"}}
            """);
        Add("target.created", created);
        await SendAsync(node.Operator, HttpMethod.Delete, "/api/targets/contract-http", HttpStatusCode.NoContent);
        Add("target.metrics", await GetAsync(node.Anonymous, "/api/targets/demo/metrics"));
        Add("target.metric.recent", await GetAsync(node.Anonymous, "/api/targets/demo/metrics/config_access_ms/recent"));
        Add("target.metric.summary", await GetAsync(node.Anonymous, "/api/targets/demo/metrics/config_access_ms/summary?window=1h"));
        Add("target.metric.series", await GetAsync(node.Anonymous, "/api/targets/demo/metrics/config_access_ms/series?window=1h"));

        // Health and cluster.
        Add("health", await GetAsync(node.Anonymous, "/health", HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable), "figures");
        var cluster = (await GetAsync(node.Anonymous, "/api/cluster"))!.AsObject();
        cluster["targets"] = Only(cluster, "targets", t => (string?)t["target"] == "demo")!["targets"]!.DeepClone();
        Add("cluster", cluster, "singletons");
        Add("status", await GetAsync(node.Anonymous, "/api/status?q=demo"));
        Add("target.health", await GetAsync(node.Anonymous, "/api/targets/demo/health"), "figures");

        // Silences: created with every field, listed, expired. The matchers match no alert of this node.
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        var endsAt = DateTimeOffset.UtcNow.AddHours(2).ToString("O", CultureInfo.InvariantCulture);
        var silence = await SendAsync(node.Operator, HttpMethod.Post, "/api/silences", HttpStatusCode.Created, $$"""
            {"matchers": ["target=contract-none", {"field": "severity", "value": "warn.*", "isRegex": true}],
             "startsAt": "{{startsAt}}", "endsAt": "{{endsAt}}", "createdBy": "bob", "comment": "deploy"}
            """);
        Add("silence.created", silence);
        var silenceId = (string)silence!["id"]!;
        Add("silences.page", Only(await GetAsync(node.Anonymous, "/api/silences"), "items", s => (string?)s["id"] == silenceId));
        Add("silence.expired", await SendAsync(node.Operator, HttpMethod.Delete, $"/api/silences/{silenceId}", HttpStatusCode.OK));

        // Maintenance windows: recurring and one-off, listed, deleted.
        var recurring = await SendAsync(node.Operator, HttpMethod.Post, "/api/maintenance-windows", HttpStatusCode.Created, """
            {"name": "nightly", "matchers": ["target=contract-none"], "createdBy": "carol",
             "recurrence": {"days": ["saturday", "sunday"], "startTime": "02:00", "duration": "90m", "timeZone": "UTC"}}
            """);
        Add("maintenance-window.created-recurring", recurring);
        var oneOff = await SendAsync(node.Operator, HttpMethod.Post, "/api/maintenance-windows", HttpStatusCode.Created, $$"""
            {"name": "migration", "matchers": ["group=contract-none"], "startsAt": "{{startsAt}}", "endsAt": "{{endsAt}}"}
            """);
        Add("maintenance-window.created-one-off", oneOff);
        var windows = (await GetAsync(node.Anonymous, "/api/maintenance-windows"))!.AsArray();
        Add("maintenance-windows.list", new JsonArray(windows.Where(w => (string?)w!["window"]!["id"] is { } id
            && (id == (string?)recurring!["id"] || id == (string?)oneOff!["id"])).Select(w => w!.DeepClone()).ToArray()));
        foreach (var window in new[] { recurring, oneOff })
            await SendAsync(node.Operator, HttpMethod.Delete, $"/api/maintenance-windows/{(string)window!["id"]!}", HttpStatusCode.NoContent);

        // Alerts: the demo's database goes down (database/unreachable fires), comes back (it resolves), then is acknowledged.
        await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(false));
        string alertId;
        try
        {
            alertId = await AlertAsync(node, a => (string?)a["state"] is "firing");
        }
        finally
        {
            await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(true));
        }
        await AlertAsync(node, a => (string?)a["id"] == alertId && (string?)a["state"] == "resolved");
        Add("alert.acknowledged", await SendAsync(node.Operator, HttpMethod.Post, $"/api/alerts/{alertId}/ack", HttpStatusCode.OK,
            """{"by": "alice", "comment": "looking at it"}"""));
        Add("alert.shown", await GetAsync(node.Anonymous, $"/api/alerts/{alertId}"));
        Add("alerts.page", Only(await GetAsync(node.Anonymous, "/api/alerts?state=all"), "items", a => (string?)a["id"] == alertId));
        Add("alert.unacknowledged", await SendAsync(node.Operator, HttpMethod.Post, $"/api/alerts/{alertId}/unack", HttpStatusCode.OK, """{"by": "alice"}"""));
        return shapes;
    }

    private static async Task<string> AlertAsync(ApiContractNode node, Func<JsonNode, bool> wanted)
    {
        string? id = null;
        await Eventually.AssertAsync(async () =>
        {
            var all = await GetAsync(node.Anonymous, "/api/alerts?state=all");
            id = (string?)all!["items"]!.AsArray().FirstOrDefault(a => (string?)a!["targetId"] == "demo"
                && (string?)a["rule"] == DatabaseLoopActor.UnreachableRule && wanted(a))?["id"];
            return id is not null;
        }, WaitTimeout, "the demo target's database/unreachable alert should reach the state the spec waits for");
        return id!;
    }

    /// <summary>The page (or object) with its list <paramref name="list"/> cut to the items <paramref name="keep"/> picks (others differ from run to run).</summary>
    private static JsonNode? Only(JsonNode? page, string list, Func<JsonNode, bool> keep)
    {
        var copy = page!.DeepClone().AsObject();
        var kept = copy[list]!.AsArray().Where(i => keep(i!)).Select(i => i!.DeepClone()).ToArray();
        Assert.True(kept.Length == 1, $"expected one item of '{list}' to keep, found {kept.Length}: {page.ToJsonString()}");
        copy[list] = new JsonArray(kept);
        return copy;
    }

    private static async Task<JsonNode?> GetAsync(HttpClient client, string path, params HttpStatusCode[] statuses)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        var accepted = statuses.Length == 0 ? [HttpStatusCode.OK] : statuses;
        Assert.True(accepted.Contains(response.StatusCode), $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text);
    }

    private static async Task<JsonNode?> SendAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode status, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{method} {path} answered {(int)response.StatusCode}, expected {(int)status}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
