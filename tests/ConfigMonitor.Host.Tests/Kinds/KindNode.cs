using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>
/// One real node for a kind's test class: FastSettings (1 s loops, event probes every 2 s), an API token, every log line it
/// writes kept for the secret checks, and helpers that read what an operator reads: /api/alerts, /api/targets/{id} (status),
/// /api/targets/{id}/metrics and /health.
/// </summary>
public sealed class KindNode : IAsyncDisposable
{
    /// <summary>The token the node requires for changes.</summary>
    public const string Token = "kinds-token-51c2";

    /// <summary>The probe interval every kind test uses.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The probe timeout every kind test uses.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after a server stops its alert may take: 3 probe intervals, one probe timeout (a probe in flight when the server
    /// died may run out its timeout), and 10 s of slack for the loop's tick, the alert manager and the API read on a busy machine
    /// (still far below one interval of the default 30-120 s the node would probe at if the target's own were not used).
    /// </summary>
    public static readonly TimeSpan OutageDeadline = 3 * Interval + ProbeTimeout + TimeSpan.FromSeconds(10);

    private KindNode(WebApplication app, LogCapture log)
    {
        App = app;
        Log = log;
        Anonymous = app.ApiClient();
        Operator = app.ApiClient(Token);
    }

    /// <summary>The running node.</summary>
    public WebApplication App { get; }

    /// <summary>Every line the node logged.</summary>
    public LogCapture Log { get; }

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>A client with the token.</summary>
    public HttpClient Operator { get; }

    /// <summary>Starts a node; the demo (the reference service over HTTP on loopback) only when <paramref name="demo"/>.</summary>
    public static async Task<KindNode> StartAsync(bool demo = false, IDictionary<string, string?>? extra = null)
    {
        var data = TempDirectory.ForNode();
        var settings = TestNode.FastSettings(data.Path);
        settings["ConfigMonitor:Api:Token"] = Token;
        // Debug too (each probe's line is Debug since issue 11): the secret checks read every line the node can write.
        settings["Logging:LogLevel:Default"] = "Debug";
        if (!demo) settings["ConfigMonitor:Demo:Enabled"] = "false";
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var app = await TestNode.BuildAsync(settings);
        var log = new LogCapture();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        await app.StartAsync();
        var node = new KindNode(app, log);
        node._dataFolder = data;
        await Eventually.AssertAsync(async () => (await node.Anonymous.GetAsync("/api/targets")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the node's API should answer");
        return node;
    }

    private TempDirectory? _dataFolder;

    /// <summary>The demo's URL (the reference service's HTTP API the node started), from the demo target.</summary>
    public async Task<string> DemoUrlAsync() =>
        (await Anonymous.GetFromJsonAsync<JsonElement>("/api/targets/demo")).GetProperty("definition").GetProperty("endpoint").GetString()!;

    /// <summary>POST /api/targets with the token; fails the test unless 201.</summary>
    public async Task AddTargetAsync(object body)
    {
        using var response = await Operator.PostAsJsonAsync("/api/targets", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"adding the target should answer 201, not {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>POST /api/targets with the token and a raw JSON body; the status and the body.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostTargetAsync(string json)
    {
        using var response = await Operator.PostAsync("/api/targets", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Adds the target, runs <paramref name="test"/>, then <paramref name="restore"/>s what it broke and removes the target.</summary>
    public async Task WithTargetAsync(Dictionary<string, object?> body, Func<Task> test, Func<Task> restore)
    {
        await AddTargetAsync(body);
        try
        {
            await test();
        }
        finally
        {
            // Whatever the test broke is set right before the next test's target is added.
            await restore();
            await RemoveTargetAsync((string)body["id"]!);
        }
    }

    /// <summary>DELETE /api/targets/{id} (its loops stop), ignoring an unknown id.</summary>
    public async Task RemoveTargetAsync(string id)
    {
        using var response = await Operator.DeleteAsync($"/api/targets/{Uri.EscapeDataString(id)}");
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"removing {id} answered {response.StatusCode}");
    }

    /// <summary>Every alert (state=all) of <paramref name="target"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync(string target)
    {
        var alerts = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await Anonymous.GetFromJsonAsync<JsonElement>("/api/alerts?state=all&limit=50" + (cursor is null ? "" : "&cursor=" + cursor));
            alerts.AddRange(page.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("targetId").GetString() == target).Select(a => a.Clone()));
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        }
        while (cursor is not null);
        return alerts;
    }

    /// <summary>The alert of <paramref name="target"/> with this rule (category/rule, e.g. "performance/access_time"), or null.</summary>
    public async Task<JsonElement?> AlertAsync(string target, string categoryAndRule)
    {
        foreach (var alert in await AlertsAsync(target))
            if ($"{alert.GetProperty("category").GetString()}/{alert.GetProperty("rule").GetString()}" == categoryAndRule) return alert;
        return null;
    }

    /// <summary>Waits until the alert is firing; answers how long that took from <paramref name="since"/>.</summary>
    public async Task<TimeSpan> WaitFiringAsync(string target, string categoryAndRule, Stopwatch since, TimeSpan deadline)
    {
        await Eventually.AssertAsync(async () => await AlertAsync(target, categoryAndRule) is { } a && a.GetProperty("state").GetString() == "firing",
            deadline, $"{categoryAndRule} of {target} should fire");
        return since.Elapsed;
    }

    /// <summary>Waits until the alert is resolved; answers how long that took from <paramref name="since"/>.</summary>
    public async Task<TimeSpan> WaitResolvedAsync(string target, string categoryAndRule, Stopwatch since, TimeSpan deadline)
    {
        await Eventually.AssertAsync(async () => await AlertAsync(target, categoryAndRule) is { } a && a.GetProperty("state").GetString() == "resolved",
            deadline, $"{categoryAndRule} of {target} should resolve");
        return since.Elapsed;
    }

    /// <summary>The latest value of each metric of <paramref name="target"/>.</summary>
    public async Task<IReadOnlyDictionary<string, double>> MetricsAsync(string target)
    {
        using var response = await Anonymous.GetAsync($"/api/targets/{Uri.EscapeDataString(target)}/metrics");
        if (!response.IsSuccessStatusCode) return new Dictionary<string, double>();
        var list = await response.Content.ReadFromJsonAsync<JsonElement>();
        return list.EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!, m => m.GetProperty("value").GetDouble());
    }

    /// <summary>The newest samples of one metric of <paramref name="target"/>, oldest first (empty when there is none yet).</summary>
    public async Task<IReadOnlyList<double>> RecentAsync(string target, string metric)
    {
        using var response = await Anonymous.GetAsync($"/api/targets/{Uri.EscapeDataString(target)}/metrics/{metric}/recent");
        if (!response.IsSuccessStatusCode) return [];
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(m => m.GetProperty("value").GetDouble()).ToList();
    }

    /// <summary>Waits until every one of <paramref name="metrics"/> of <paramref name="target"/> has a sample.</summary>
    public Task WaitForMetricsAsync(string target, TimeSpan timeout, params string[] metrics) =>
        Eventually.AssertAsync(async () =>
        {
            var latest = await MetricsAsync(target);
            return metrics.All(latest.ContainsKey);
        }, timeout, $"{target} should record {string.Join(", ", metrics)}");

    /// <summary>GET /api/targets/{id}: the definition, the facets and the status.</summary>
    public async Task<JsonElement> TargetAsync(string target) =>
        await Anonymous.GetFromJsonAsync<JsonElement>($"/api/targets/{Uri.EscapeDataString(target)}");

    /// <summary>status.facets of the target, by facet name.</summary>
    public async Task<IReadOnlyDictionary<string, JsonElement>> FacetStatusAsync(string target)
    {
        var shown = await TargetAsync(target);
        if (shown.GetProperty("status").ValueKind != JsonValueKind.Object) return new Dictionary<string, JsonElement>();
        return shown.GetProperty("status").GetProperty("facets").EnumerateArray().ToDictionary(f => f.GetProperty("facet").GetString()!, f => f.Clone());
    }

    /// <summary>The /health report's checks of <paramref name="target"/>, by check name.</summary>
    public async Task<IReadOnlyDictionary<string, JsonElement>> HealthChecksAsync(string target)
    {
        using var response = await Anonymous.GetAsync("/health");
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!report.TryGetProperty("checks", out var checks)) return new Dictionary<string, JsonElement>();
        return checks.EnumerateArray().Where(c => c.GetProperty("targetId").GetString() == target)
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    /// <summary>The body of a target with every loop at 1 s and the event probe's timeout at 2 s; <paramref name="extra"/> adds or replaces fields.</summary>
    public static Dictionary<string, object?> TargetBody(string id, IDictionary<string, object?> extra)
    {
        var body = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["probeKey"] = "monitor.probe",
            ["probeTimeout"] = "1s",
            ["performance"] = new Dictionary<string, object?> { ["interval"] = "1s", ["accessTimeThresholdMs"] = 500 },
            // The node runs inside the test host, whose memory (every node and server client the tests made) is not a monitor's
            // own: the 500 MB default of health/process_memory would judge the test runner (554 MB seen on a CI run).
            ["health"] = new Dictionary<string, object?> { ["interval"] = "1s", ["maxProcessMemoryMb"] = 8192 },
        };
        foreach (var (key, value) in extra) body[key] = value;
        return body;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        Operator.Dispose();
        await App.StopWithinAsync(TestNode.StopTimeout);
        await App.DisposeAsync();
        _dataFolder?.Dispose();
    }
}

/// <summary>Keeps every line the node logs (message and exception), so a test can prove a secret never reaches the log.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly List<string> _lines = [];

    /// <summary>Everything logged so far.</summary>
    public string Text
    {
        get { lock (_lines) return string.Join(Environment.NewLine, _lines); }
    }

    /// <summary>How many lines were logged so far.</summary>
    public int Count
    {
        get { lock (_lines) return _lines.Count; }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}";
            lock (owner._lines) owner._lines.Add(line);
        }
    }
}
