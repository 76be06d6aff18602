using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.ConfigService;
using Microsoft.AspNetCore.Builder;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Fuzz;

/// <summary>
/// A real node with something stored in every book (a configured and a runtime target, a resolved and acknowledged alert,
/// a silence, a maintenance window) and loops that keep recording samples, quiet otherwise (thresholds far above what the
/// demo does), with every error Akka logs collected: an actor that throws shows up there.
/// </summary>
public sealed class FuzzNode : IAsyncLifetime
{
    public const string Token = "fuzz-token-51c9";
    private readonly TempDirectory _data = TempDirectory.ForNode();

    public WebApplication App { get; private set; } = null!;
    public HttpClient Operator { get; private set; } = null!;
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>Every error event Akka published since start (actor failures, crashed stores, unhandled exceptions).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    public async Task InitializeAsync()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Api:Token"] = Token;
        // Quiet: nothing the demo does on a busy machine breaches, so the alert book only changes when a test changes it.
        settings["ConfigMonitor:Targets:demo:Performance:AccessTimeThresholdMs"] = "60000";
        settings["ConfigMonitor:Targets:demo:Database:ResponseTimeThresholdMs"] = "60000";
        settings["ConfigMonitor:Targets:demo:Health:MaxProcessMemoryMb"] = "1000000";
        settings["ConfigMonitor:Targets:demo:Cache:MinHitRate"] = "0";
        settings["ConfigMonitor:Targets:demo:Cache:MaxUsage"] = "1";
        App = await TestNode.BuildAsync(settings);
        await App.StartAsync();
        var system = App.System();
        system.ActorOf(Props.Create(() => new ErrorCollector(Errors)), "fuzz-error-collector");
        Operator = App.ApiClient(Token);
        Anonymous = App.ApiClient();

        await Eventually.AssertAsync(async () => await SampleCountAsync() > 0, TimeSpan.FromSeconds(90), "the demo target should record samples");

        // An alert, caused on purpose (the database goes away), then resolved and acknowledged: a stable entry of the book.
        var demo = system.ActorSelection("/user/" + MonitorNode.DemoServiceName);
        demo.Tell(new ConfigServiceFaults.SetDatabaseAvailable(false));
        await Eventually.AssertAsync(async () => (await AlertsAsync()).Any(a => a.GetProperty("state").GetString() == "firing"),
            TimeSpan.FromSeconds(60), "the demo's database outage should fire an alert");
        demo.Tell(new ConfigServiceFaults.SetDatabaseAvailable(true));
        await Eventually.AssertAsync(async () => (await AlertsAsync()).All(a => a.GetProperty("state").GetString() == "resolved"),
            TimeSpan.FromSeconds(60), "the alerts should resolve once the database is back");
        foreach (var alert in await AlertsAsync())
            (await Operator.PostAsJsonAsync($"/api/alerts/{alert.GetProperty("id").GetString()}/ack", new { by = "fuzz", comment = "seen" })).EnsureSuccessStatusCode();

        (await Operator.PostAsJsonAsync("/api/silences", new { matchers = new[] { "target=elsewhere" }, duration = "2h", comment = "fixture" })).EnsureSuccessStatusCode();
        (await Operator.PostAsJsonAsync("/api/maintenance-windows", new
        {
            // One-off and a month away, so whether it is open cannot change while the tests run.
            name = "fixture", matchers = new[] { "target=elsewhere" },
            startsAt = DateTimeOffset.UtcNow.AddDays(30).ToString("O"), endsAt = DateTimeOffset.UtcNow.AddDays(31).ToString("O"),
        })).EnsureSuccessStatusCode();
        (await Operator.PostAsJsonAsync("/api/targets", new
        {
            id = "runtime-fixture", endpoint = "/user/" + MonitorNode.DemoServiceName, probeKey = "app.name",
            performance = new { interval = "2s", accessTimeThresholdMs = 60000 }, database = new { responseTimeThresholdMs = 60000 },
            health = new { maxProcessMemoryMb = 1000000 }, cache = new { minHitRate = 0, maxUsage = 1 },
        })).EnsureSuccessStatusCode();
    }

    /// <summary>Every alert in the book.</summary>
    public async Task<List<JsonElement>> AlertsAsync()
    {
        var body = await Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all");
        var items = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("items");
        return items.EnumerateArray().ToList();
    }

    /// <summary>How many config_access_ms samples the demo's store holds over the last 24 h.</summary>
    public async Task<long> SampleCountAsync()
    {
        var response = await Anonymous.GetAsync("/api/targets/demo/metrics/config_access_ms/summary?window=24h");
        if (!response.IsSuccessStatusCode) return 0;
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt64();
    }

    /// <summary>What is stored, as the API lists it: every page of targets, alerts and silences, and the maintenance windows.</summary>
    public async Task<string> StoredAsync()
    {
        var parts = new List<string>();
        foreach (var route in new[] { "/api/targets?", "/api/alerts?state=all&", "/api/silences?all=true&" })
        {
            string? cursor = null;
            do
            {
                var response = await Anonymous.GetAsync(route + (cursor is null ? "" : "cursor=" + Uri.EscapeDataString(cursor)));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{route} answered {(int)response.StatusCode}: {text}");
                var page = JsonDocument.Parse(text).RootElement;
                parts.Add($"{route} total {page.GetProperty("total")}: {page.GetProperty("items").GetRawText()}");
                cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
            }
            while (cursor is not null);
        }
        parts.Add(await Anonymous.GetStringAsync("/api/maintenance-windows"));
        return string.Join("\n", parts);
    }

    public async Task DisposeAsync()
    {
        Operator.Dispose();
        Anonymous.Dispose();
        await App.StopWithinAsync(TestNode.StopTimeout);
        await App.DisposeAsync();
        _data.Dispose();
    }

    private sealed class ErrorCollector : ReceiveActor
    {
        public ErrorCollector(ConcurrentQueue<string> errors)
        {
            Receive<Error>(e => errors.Enqueue($"{e.LogSource}: {e.Message} {e.Cause?.GetType().Name} {e.Cause?.Message}"));
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Error));
    }
}

/// <summary>
/// Hostile and careless input against a real node over HTTP (issue 9's proof): every request of a generated stream is
/// refused with a 4xx problem body naming what is wrong, never a 5xx; nothing stored changes; no actor fails; the demo's
/// sample count never falls and keeps growing, so the node stays up and monitoring throughout.
/// </summary>
public sealed class ApiFuzzSpecs(FuzzNode node, ITestOutputHelper output) : IClassFixture<FuzzNode>
{
    private const int Requests = 400;

    [Theory]
    [InlineData(9001)]
    [InlineData(4242)]
    public async Task Every_hostile_request_is_refused_with_a_problem_and_changes_nothing(int seed)
    {
        var input = new HostileInput(seed);
        var errorsBefore = node.Errors.Count;
        var samplesBefore = await node.SampleCountAsync();
        var lastSamples = samplesBefore;
        var classes = new Dictionary<string, int>();
        var stored = await node.StoredAsync();

        for (var i = 0; i < Requests; i++)
        {
            var request = input.Next();
            classes[request.Class] = classes.GetValueOrDefault(request.Class) + 1;
            var client = request.WithToken ? node.Operator : node.Anonymous;
            using var response = await client.SendAsync(HostileInput.ToMessage(request));
            var text = await response.Content.ReadAsStringAsync();
            var where = $"seed {seed}, request {i}: {request}\nanswered {(int)response.StatusCode}: {(text.Length > 500 ? text[..500] : text)}";

            Assert.True((int)response.StatusCode is >= 400 and < 500, $"expected a 4xx refusal; {where}");
            if (request.RefusedByTheHttpServer)
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Equal(stored, await node.StoredAsync());
                continue;
            }
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"expected a problem body; {where}");
            var problem = JsonDocument.Parse(text).RootElement;
            var problemText = HostileInput.ProblemText(problem);
            Assert.False(string.IsNullOrWhiteSpace(problemText), $"the problem says nothing; {where}");
            if (request.MustName is not null)
                Assert.True(problemText.Contains(request.MustName, StringComparison.OrdinalIgnoreCase), $"the problem should name '{request.MustName}'; {where}");

            var after = await node.StoredAsync();
            Assert.True(stored == after, $"a refused request changed what is stored; {where}\nbefore:\n{stored}\nafter:\n{after}");

            if (i % 25 == 24)
            {
                var samples = await node.SampleCountAsync();
                Assert.True(samples >= lastSamples, $"the demo's sample count fell from {lastSamples} to {samples} by request {i} (seed {seed})");
                lastSamples = samples;
            }
        }

        output.WriteLine($"seed {seed}: {Requests} requests; by class: {string.Join(", ", classes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
        Assert.True(classes.Count >= 15, $"the stream should cover the classes of input; it covered {classes.Count}");
        var errors = node.Errors.Skip(errorsBefore).ToList();
        Assert.True(errors.Count == 0, "no actor may fail on hostile input; Akka logged:\n" + string.Join("\n", errors));
        await Eventually.AssertAsync(async () => await node.SampleCountAsync() > samplesBefore, TimeSpan.FromSeconds(30),
            "the node keeps monitoring: the demo's samples keep growing");
    }

    /// <summary>
    /// Every string field of a target definition that carries a [TextLimit] (found by reflection over the definition records,
    /// not listed by hand) is refused over HTTP at limit + 1 characters, naming the field, and nothing is stored.
    /// </summary>
    [Fact]
    public async Task Every_limited_text_field_of_a_target_is_refused_at_its_limit_plus_one_and_nothing_is_stored()
    {
        var fields = LimitedTextFields(typeof(TargetDefinition), []).ToList();
        Assert.True(fields.Count >= 5, $"the definition records should mark their text fields; found {string.Join(", ", fields.Select(f => f.Path))}");
        var stored = await node.StoredAsync();
        foreach (var (path, limit) in fields)
        {
            var body = new JsonObject
            {
                ["id"] = "limit-probe", ["endpoint"] = "/user/" + MonitorNode.DemoServiceName, ["probeKey"] = "app.name",
            };
            var value = new string('x', limit + 1);
            if (path.Length == 1 && path[0] == "endpoint") value = "/user/" + value[6..];
            var parent = body;
            foreach (var part in path[..^1]) parent = (JsonObject)(parent[part] ??= new JsonObject());
            parent[path[^1]] = value;

            using var response = await node.Operator.PostAsync("/api/targets", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{string.Join(".", path)} at {limit + 1} characters answered {(int)response.StatusCode}: {text}");
            Assert.Contains($"{limit}", text);
            Assert.Contains(path[^1], text, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(stored, await node.StoredAsync());
        }
    }

    private static IEnumerable<(string[] Path, int Limit)> LimitedTextFields(Type type, string[] prefix)
    {
        var parameters = type.GetConstructors().SelectMany(c => c.GetParameters()).ToList();
        foreach (var property in type.GetProperties())
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var limit = property.GetCustomAttributes(typeof(TextLimitAttribute), true).OfType<TextLimitAttribute>().FirstOrDefault()
                        ?? parameters.FirstOrDefault(p => p.Name == property.Name)?.GetCustomAttributes(typeof(TextLimitAttribute), true).OfType<TextLimitAttribute>().FirstOrDefault();
            if (property.PropertyType == typeof(string) && limit is not null) yield return ([.. prefix, name], limit.MaxLength);
            else if (property.PropertyType.IsClass && property.PropertyType.Namespace == typeof(TargetDefinition).Namespace && property.PropertyType != type)
                foreach (var nested in LimitedTextFields(property.PropertyType, [.. prefix, name])) yield return nested;
        }
    }
}
