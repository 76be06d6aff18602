using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.ConfigService;

namespace ConfigMonitor.Host.Tests;

/// <summary>Every management route of one real node over real HTTP on loopback, with its error cases.</summary>
public sealed partial class ManagementApiSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_answer_live_ready_and_the_full_health_report_of_seven_checks()
    {
        var live = await node.Anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("akka.actorsystem", await live.Content.ReadAsStringAsync());

        var ready = await node.Anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var readyText = await ready.Content.ReadAsStringAsync();
        Assert.Contains("akka.cluster.join", readyText);
        Assert.Contains("akka.persistence.journal", readyText);

        var health = await node.Anonymous.GetAsync("/health");
        Assert.True(health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"/health answered {health.StatusCode}");
        var report = await health.Content.ReadFromJsonAsync<JsonElement>();
        var status = report.GetProperty("status").GetString();
        if (health.StatusCode == HttpStatusCode.OK) Assert.Equal("healthy", status);
        else Assert.Contains(status, new[] { "degraded", "unhealthy" });
        var names = report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Distinct().ToList();
        Assert.All(new[] { "configuration_service", "database_connectivity", "cache_performance", "event_system", "service_adapters", "memory_usage", "disk_space" },
            name => Assert.Contains(name, names));
        // Judged figures carry the threshold they were judged against, in the JSON too.
        var figures = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "cache_performance").GetProperty("figures");
        Assert.Equal(0.7, figures.GetProperty("min_hit_rate").GetDouble());
        Assert.Equal(0.95, figures.GetProperty("max_usage").GetDouble());
        Assert.InRange(figures.GetProperty("hit_rate").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Should_list_and_show_targets_and_answer_404_for_an_unknown_one()
    {
        var targets = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets");
        var demo = Assert.Single(targets.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetString() == "demo");
        Assert.Equal("configuration", demo.GetProperty("source").GetString());
        // The demo is reached over HTTP on its own loopback listener, every facet through the http kind.
        var demoUrl = demo.GetProperty("definition").GetProperty("endpoint").GetString()!;
        Assert.Matches(@"^http://127\.0\.0\.1:[0-9]+$", demoUrl);
        Assert.Equal("http", demo.GetProperty("definition").GetProperty("adapter").GetString());
        Assert.Equal(["config http", "cache http", "database http", "events http"],
            demo.GetProperty("facets").EnumerateArray().Select(f => $"{f.GetProperty("facet").GetString()} {f.GetProperty("kind").GetString()}"));
        using (var service = new HttpClient { BaseAddress = new Uri(demoUrl) })
            Assert.True((await service.GetFromJsonAsync<JsonElement>("/config/app.name")).GetProperty("found").GetBoolean());

        var shown = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo");
        Assert.StartsWith("akka.tcp://configmonitor@127.0.0.1:", shown.GetProperty("status").GetProperty("node").GetString());
        Assert.All(shown.GetProperty("status").GetProperty("facets").EnumerateArray(), f => Assert.Equal(demoUrl, f.GetProperty("endpoint").GetString()));

        var missing = await Problem(await node.Anonymous.GetAsync("/api/targets/nope"), HttpStatusCode.NotFound);
        Assert.Contains("no target has id 'nope'", missing.GetProperty("detail").GetString());
        await Problem(await node.Anonymous.GetAsync("/api/targets/nope/metrics"), HttpStatusCode.NotFound);
        // An id with encoded dots and slash is quoted as the client meant it (ASP.NET leaves %2F encoded in a route value).
        foreach (var path in new[] { "/api/targets/%2e%2e%2fetc", "/api/targets/%2E%2E%2Fetc/health", "/api/targets/%2e%2e%2fetc/metrics" })
            Assert.Contains("no target has id '../etc'", (await Problem(await node.Anonymous.GetAsync(path), HttpStatusCode.NotFound)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Should_add_and_remove_a_runtime_target_and_refuse_bad_duplicate_configured_and_unauthorized_requests()
    {
        const string id = "api-added";
        var body = new { id, endpoint = "/user/config-service-demo", probeKey = "app.name", performance = new { interval = "1s" } };

        // No token / a wrong token: 401 and nothing changes.
        await Problem(await node.Anonymous.PostAsJsonAsync("/api/targets", body), HttpStatusCode.Unauthorized);
        using (var wrong = node.App.ApiClient("wrong"))
            await Problem(await wrong.PostAsJsonAsync("/api/targets", body), HttpStatusCode.Unauthorized);
        await Problem(await node.Anonymous.DeleteAsync("/api/targets/demo"), HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(id, await TargetIds());

        // Bad payloads: 400 problems, nothing changes.
        var notJson = await Problem(await Post("/api/targets", "{not json"), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", notJson.GetProperty("detail").GetString());
        await Problem(await Post("/api/targets", "[1,2]"), HttpStatusCode.BadRequest);
        var invalid = await Problem(await node.Operator.PostAsJsonAsync("/api/targets",
            new { id = "broken", endpoint = "nowhere", performance = new { interval = "soon" } }), HttpStatusCode.BadRequest);
        var problems = invalid.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.Contains("field 'Performance:Interval' is 'soon'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("field 'Endpoint' is 'nowhere'", StringComparison.Ordinal));
        Assert.DoesNotContain("broken", await TargetIds());

        // Add: 201 with its location, then monitored and visible.
        var created = await node.Operator.PostAsJsonAsync("/api/targets", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/targets/{id}", created.Headers.Location?.ToString());
        Assert.Contains(id, await TargetIds());
        var shown = await node.Anonymous.GetFromJsonAsync<JsonElement>($"/api/targets/{id}");
        Assert.Equal("runtime", shown.GetProperty("source").GetString());

        // Conflicts: an existing id, a configured target.
        var duplicate = await Problem(await node.Operator.PostAsJsonAsync("/api/targets", body), HttpStatusCode.Conflict);
        Assert.Contains("already exists", duplicate.GetProperty("detail").GetString());
        var configured = await Problem(await node.Operator.DeleteAsync("/api/targets/demo"), HttpStatusCode.Conflict);
        Assert.Contains("defined in configuration", configured.GetProperty("detail").GetString());
        Assert.Contains("demo", await TargetIds());

        // Remove: 204, then unknown (404).
        Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync($"/api/targets/{id}")).StatusCode);
        Assert.DoesNotContain(id, await TargetIds());
        await Problem(await node.Operator.DeleteAsync($"/api/targets/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_list_latest_metrics_and_summarise_one_over_a_window()
    {
        var metrics = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics");
        var access = Assert.Single(metrics.EnumerateArray(), m => m.GetProperty("metric").GetString() == "config_access_ms");
        Assert.True(access.GetProperty("value").GetDouble() >= 0);

        var summary = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics/config_access_ms/summary?window=1h");
        Assert.Equal("1h", summary.GetProperty("window").GetString());
        Assert.True(summary.GetProperty("count").GetInt64() > 0);
        foreach (var figure in new[] { "avg", "min", "max", "p50", "p95", "p99" })
            Assert.Equal(JsonValueKind.Number, summary.GetProperty(figure).ValueKind);

        await Problem(await node.Anonymous.GetAsync("/api/targets/demo/metrics/config_access_ms/summary?window=soon"), HttpStatusCode.BadRequest);
        await Problem(await node.Anonymous.GetAsync("/api/targets/demo/metrics/no_such_metric/summary"), HttpStatusCode.NotFound);
        await Problem(await node.Anonymous.GetAsync("/api/targets/nope/metrics/config_access_ms/summary"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_list_the_newest_raw_samples_of_a_metric_oldest_first()
    {
        var recent = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics/config_access_ok/recent");
        var samples = recent.EnumerateArray().ToList();
        Assert.InRange(samples.Count, 1, 12);
        Assert.All(samples, s => Assert.Equal("config_access_ok", s.GetProperty("metric").GetString()));
        var times = samples.Select(s => s.GetProperty("timestamp").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        var latest = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics");
        var newest = Assert.Single(latest.EnumerateArray(), m => m.GetProperty("metric").GetString() == "config_access_ok");
        Assert.True(newest.GetProperty("timestamp").GetDateTimeOffset() >= times[^1]);

        var unknown = await Problem(await node.Anonymous.GetAsync("/api/targets/demo/metrics/no_such_metric/recent"), HttpStatusCode.NotFound);
        Assert.Contains("config_access_ok", unknown.GetProperty("detail").GetString());
        await Problem(await node.Anonymous.GetAsync("/api/targets/nope/metrics/config_access_ok/recent"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_list_show_acknowledge_and_unacknowledge_alerts_and_answer_404_for_unknown_ids()
    {
        // Cause the alert: the demo service's database goes down (database/unreachable fires within a probe), and comes back after.
        await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(false));
        JsonElement alert = default;
        try
        {
            await Eventually.AssertAsync(async () =>
            {
                var all = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all");
                alert = all.GetProperty("items").EnumerateArray().FirstOrDefault(a =>
                    a.GetProperty("targetId").GetString() == "demo" && a.GetProperty("rule").GetString() == DatabaseLoopActor.UnreachableRule);
                return alert.ValueKind == JsonValueKind.Object;
            }, WaitTimeout, "the demo target should raise database/unreachable while its database is down");
        }
        finally
        {
            await node.App.FaultDemoAsync(new ConfigServiceFaults.SetDatabaseAvailable(true));
        }
        var id = alert.GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync("/api/alerts")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetAsync("/api/alerts?state=active")).StatusCode);
        await Problem(await node.Anonymous.GetAsync("/api/alerts?state=sideways"), HttpStatusCode.BadRequest);
        // One target's alerts: its own only, the id compared as target ids are (case-insensitively); another target's list is empty.
        var demoOnly = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all&target=DEMO");
        Assert.Contains(demoOnly.GetProperty("items").EnumerateArray(), a => a.GetProperty("id").GetString() == alert.GetProperty("id").GetString());
        Assert.All(demoOnly.GetProperty("items").EnumerateArray(), a => Assert.Equal("demo", a.GetProperty("targetId").GetString()));
        Assert.Equal(0, (await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all&target=no-such-target")).GetProperty("total").GetInt32());
        Assert.Contains("parameter 'target'", (await Problem(await node.Anonymous.GetAsync($"/api/alerts?target={new string('t', 300)}"), HttpStatusCode.BadRequest))
            .GetProperty("detail").GetString());
        var shown = await node.Anonymous.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");
        Assert.Equal(id, shown.GetProperty("id").GetString());
        await Problem(await node.Anonymous.GetAsync("/api/alerts/alert-99999"), HttpStatusCode.NotFound);

        await Problem(await node.Anonymous.PostAsync($"/api/alerts/{id}/ack", null), HttpStatusCode.Unauthorized);
        await Problem(await Post($"/api/alerts/{id}/ack", "{\"by\": 5}"), HttpStatusCode.BadRequest);
        Assert.False((await node.Anonymous.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}")).GetProperty("acknowledged").GetBoolean(),
            "a refused acknowledgement changes nothing");

        var acked = await node.Operator.PostAsJsonAsync($"/api/alerts/{id}/ack", new { by = "alice", comment = "looking at it" });
        Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
        var ackedAlert = await acked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(ackedAlert.GetProperty("acknowledged").GetBoolean());
        Assert.Equal("alice", ackedAlert.GetProperty("acknowledgedBy").GetString());
        Assert.Equal("looking at it", ackedAlert.GetProperty("acknowledgeComment").GetString());
        // The body is optional.
        Assert.Equal(HttpStatusCode.OK, (await node.Operator.PostAsync($"/api/alerts/{id}/ack", null)).StatusCode);

        var unacked = await node.Operator.PostAsync($"/api/alerts/{id}/unack", null);
        Assert.Equal(HttpStatusCode.OK, unacked.StatusCode);
        Assert.False((await unacked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("acknowledged").GetBoolean());

        await Problem(await node.Operator.PostAsync("/api/alerts/alert-99999/ack", null), HttpStatusCode.NotFound);
        await Problem(await node.Operator.PostAsync("/api/alerts/alert-99999/unack", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_create_list_and_expire_silences_and_refuse_bad_ones()
    {
        await Problem(await node.Anonymous.PostAsJsonAsync("/api/silences", new { matchers = new[] { "target=demo" }, duration = "2h" }), HttpStatusCode.Unauthorized);
        var bad = await Problem(await node.Operator.PostAsJsonAsync("/api/silences",
            new { matchers = new[] { "colour=blue" }, duration = "soon" }), HttpStatusCode.BadRequest);
        var problems = bad.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'soon'", StringComparison.Ordinal));
        await Problem(await node.Operator.PostAsJsonAsync("/api/silences", new { matchers = Array.Empty<string>(), duration = "1h" }), HttpStatusCode.BadRequest);
        await Problem(await Post("/api/silences", "{"), HttpStatusCode.BadRequest);

        var created = await node.Operator.PostAsJsonAsync("/api/silences",
            new { matchers = new object[] { "target=demo", new { field = "severity", value = "warn.*", isRegex = true } }, duration = "2h", comment = "deploy", createdBy = "bob" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var silence = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = silence.GetProperty("id").GetString()!;
        Assert.Equal(2, silence.GetProperty("matchers").GetArrayLength());

        var listed = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/silences");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), s => s.GetProperty("id").GetString() == id);

        await Problem(await node.Anonymous.DeleteAsync($"/api/silences/{id}"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await node.Operator.DeleteAsync($"/api/silences/{id}")).StatusCode);
        Assert.DoesNotContain((await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/silences")).GetProperty("items").EnumerateArray(),
            s => s.GetProperty("id").GetString() == id);
        Assert.Contains((await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/silences?all=true")).GetProperty("items").EnumerateArray(),
            s => s.GetProperty("id").GetString() == id);
        await Problem(await node.Operator.DeleteAsync("/api/silences/silence-99999"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_create_list_and_delete_maintenance_windows_and_refuse_bad_ones()
    {
        await Problem(await node.Operator.PostAsJsonAsync("/api/maintenance-windows", new { matchers = new[] { "target=demo" } }), HttpStatusCode.BadRequest);
        await Problem(await node.Anonymous.PostAsJsonAsync("/api/maintenance-windows", new { name = "x", matchers = new[] { "target=demo" } }),
            HttpStatusCode.Unauthorized);

        var created = await node.Operator.PostAsJsonAsync("/api/maintenance-windows", new
        {
            name = "nightly",
            matchers = new[] { "target=demo" },
            recurrence = new { days = new[] { "saturday", "sunday" }, startTime = "02:00", duration = "90m", timeZone = "UTC" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var listed = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/maintenance-windows");
        Assert.Contains(listed.EnumerateArray(), w => w.GetProperty("window").GetProperty("id").GetString() == id);

        Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync($"/api/maintenance-windows/{id}")).StatusCode);
        await Problem(await node.Operator.DeleteAsync($"/api/maintenance-windows/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_describe_the_cluster_members_leader_singletons_and_target_placement()
    {
        var cluster = await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/cluster");
        var self = cluster.GetProperty("self").GetString();
        var member = Assert.Single(cluster.GetProperty("members").EnumerateArray());
        Assert.Equal(self, member.GetProperty("address").GetString());
        Assert.Equal("up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.Contains("monitor", member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.False(string.IsNullOrEmpty(member.GetProperty("version").GetString()));
        Assert.Equal(self, cluster.GetProperty("leader").GetString());
        foreach (var singleton in new[] { "alert-manager", "maintenance", "target-registry" })
            Assert.Equal(self, cluster.GetProperty("singletons").GetProperty(singleton).GetString());
        var demo = Assert.Single(cluster.GetProperty("targets").EnumerateArray(), t => t.GetProperty("target").GetString() == "demo");
        Assert.Equal(self, demo.GetProperty("node").GetString());
    }

    [Fact]
    public async Task Should_expose_prometheus_text_with_target_alert_and_process_series()
    {
        var response = await node.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE configmonitor_config_access_seconds gauge", text);
        Assert.Matches(@"configmonitor_config_access_seconds\{target=""demo""\} [0-9.eE+-]+", text);
        // The 5-minute window is exposed as gauges (prometheus-net cannot expose precomputed quantiles as a summary).
        Assert.Contains("configmonitor_config_access_seconds_window_samples{target=\"demo\"}", text);
        Assert.Matches(@"configmonitor_config_access_seconds_window_percentile\{target=""demo"",percentile=""99""\} [0-9.eE+-]+", text);
        Assert.Contains("configmonitor_alerts{severity=\"critical\",state=\"firing\"}", text);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", text);
        // A cluster of one: this node is the leader, so it also serves the cluster-wide figures.
        Assert.Contains("configmonitor_cluster_leader 1", text);
        Assert.Contains("configmonitor_cluster_members{status=\"up\"} 1", text);
        Assert.Matches(@"configmonitor_node_info\{node=""akka\.tcp://configmonitor@127\.0\.0\.1:\d+"",version=""[^""]*""\} 1", text);
    }

    [SkippableFact]
    public async Task Should_pass_promtool_check_metrics()
    {
        PrometheusTools.Require();
        var text = await node.Anonymous.GetStringAsync("/metrics");
        var (exitCode, output) = await PrometheusTools.RunAsync(PrometheusTools.Find("promtool")!, ["check", "metrics"], text);
        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}: {output}{Environment.NewLine}{text}");
    }

    private async Task<HttpResponseMessage> Post(string path, string json) =>
        await node.Operator.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<IReadOnlyList<string>> TargetIds() =>
        (await node.Anonymous.GetFromJsonAsync<JsonElement>("/api/targets")).GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();

    /// <summary>Asserts an RFC 7807 problem with <paramref name="status"/> and returns its body.</summary>
    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }
}
