using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ConfigMonitor.Host.Api;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// status-page: the web UI's overview at 10,000 targets, as a user opens it. A real node (the built ConfigMonitor.Host.dll in a
/// child process, with its own appsettings.json and akka.hocon, and the targets in an appsettings.Bench.json beside them) monitors
/// N actor targets on its demo config service (<c>/user/config-service-demo</c>, the demo target making the N-th); once
/// <c>/api/status</c> counts every target and none is unknown, headless Debian Chromium opens <c>/</c> five times, each time in a
/// new browser with a new profile (nothing cached), and the time from navigation start (<c>performance.timeOrigin</c>) to the page's
/// <c>overview-drawn</c> mark (counts and the first page of rows in the DOM, app.js) is measured, with the <c>/api/status</c>
/// request's own duration and body size from its Resource Timing entry. Then the API alone: GET /api/status?limit=100, a full 200
/// answer and a 304 for its ETag, 20 times each.
/// </summary>
public static class StatusPageScenario
{
    private const string Scenario = "status-page";

    /// <summary>Debian's chromium and its matching driver (named, or Selenium Manager tries to download one).</summary>

    /// <summary>The issue's bar: navigation start to counts and first page drawn, median of 5.</summary>
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(1);

    private const int Loads = 5, ApiRequests = 20, Groups = 25;

    // Every loop of every target once in 10 minutes: after the first probes a node of 10,000 targets sends ~80 probes a second to
    // the one demo actor, so two shared cores hold it and the page is measured on a node at rest, not one still starting.
    private const string LoopInterval = "10m";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Runs the scenario (quick: 1,000 targets).</summary>
    public static async Task RunAsync(bool quick, int? targetsOverride)
    {
        var targets = targetsOverride ?? (quick ? 1_000 : 10_000);
        if (!Chromium.Installed)
        {
            Figures.Progress($"{Scenario}: skipped: {Chromium.Missing}");
            return;
        }
        Figures.Emit(Scenario, "machine-load-average-1min-at-start", targets, LoadAverage(), "load");
        var folder = Measure.TempFolder(Scenario);
        try
        {
            var port = LoopbackPorts.Free();
            var nodeFolder = PrepareNode(folder, targets, port);
            var started = Stopwatch.StartNew();
            var node = BenchProcess.Tool(DotnetPath(), [Path.Combine(nodeFolder, "ConfigMonitor.Host.dll"), "--environment=Bench"], Path.Combine(folder, "node.log"));
            await using (node)
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
                var answering = await WaitForEveryTargetAsync(http, node, targets, folder);
                // Before the API answers, the node reads and checks its configured targets (and starts): at 10,000 that is most of the wait.
                Figures.Emit(Scenario, "node-start-to-api-answering-seconds", targets, answering.TotalSeconds, "s");
                Figures.Emit(Scenario, "node-start-to-every-target-known-seconds", targets, started.Elapsed.TotalSeconds, "s");
                Figures.Progress($"{Scenario}: every one of {targets:N0} targets known after {started.Elapsed.TotalSeconds:0} s (node pid {node.Pid})");

                MeasurePage(http.BaseAddress!, targets);
                await MeasureApiAsync(http, targets);
                Figures.Emit(Scenario, "node-rss-at-end", targets, ProcStats.Memory(node.Pid).Rss / 1048576.0, "MiB");
            }
            Figures.Emit(Scenario, "machine-load-average-1min-at-end", targets, LoadAverage(), "load");
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    /// <summary>
    /// A copy of the node as the project reference puts it beside this program: ConfigMonitor.Host.dll, appsettings.json and
    /// akka.hocon copied, the rest linked, and appsettings.Bench.json with the targets and the node's settings (read because the
    /// node runs with <c>--environment=Bench</c>, layered over appsettings.json as a user's own environment file is).
    /// </summary>
    private static string PrepareNode(string folder, int targets, int port)
    {
        var source = AppContext.BaseDirectory;
        var nodeFolder = Path.Combine(folder, "node");
        HostCopy.Into(source, nodeFolder);
        var definitions = new Dictionary<string, object>(StringComparer.Ordinal);
        // The demo target (appsettings.json's, on the demo's HTTP listener) is one of the N: N-1 actor targets beside it.
        for (var i = 1; i < targets; i++)
        {
            definitions[$"t{i:D5}"] = new
            {
                Endpoint = "/user/config-service-demo",
                ProbeKey = "app.name",
                Group = $"group-{i % Groups:D2}",
                Performance = new { Interval = LoopInterval },
                // The node's own memory is not what is measured here: keep the memory rule out of the way (as scale does).
                Health = new { Interval = LoopInterval, MaxProcessMemoryMb = 1_000_000 },
                Cache = new { Interval = LoopInterval },
                Database = new { Interval = LoopInterval },
            };
        }
        var settings = new
        {
            ConfigMonitor = new
            {
                DataDirectory = Path.Combine(folder, "data"),
                Port = 0,
                Api = new { Url = $"http://127.0.0.1:{port}" },
                // The first probes of 10,000 targets spread over 30 s (1,000: 5 s), so the one demo actor is not asked 80,000 times at once.
                LoopStartSpread = $"{Math.Max(5, targets / 333)}s",
                Metrics = new { FlushInterval = "30s" },
                Maintenance = new { EventProbeInterval = LoopInterval },
                Targets = definitions,
            },
        };
        File.WriteAllText(Path.Combine(nodeFolder, "appsettings.Bench.json"), JsonSerializer.Serialize(settings));
        return nodeFolder;
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath
        : string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), "dotnet", StringComparison.OrdinalIgnoreCase) ? Environment.ProcessPath!
        : "dotnet";

    /// <summary>
    /// Polls /api/status until it counts <paramref name="targets"/> targets and none is unknown (30 minutes at most); returns when
    /// the node first answered it.
    /// </summary>
    private static async Task<TimeSpan> WaitForEveryTargetAsync(HttpClient http, BenchProcess node, int targets, string folder)
    {
        var deadline = Stopwatch.StartNew();
        TimeSpan? answering = null;
        var lastReport = TimeSpan.Zero;
        string seen = "no answer yet";
        while (deadline.Elapsed < TimeSpan.FromMinutes(30))
        {
            if (node.HasExited)
                throw new InvalidOperationException($"{Scenario}: the node ended at start; its log:{Environment.NewLine}{Tail(Path.Combine(folder, "node.log"))}");
            try
            {
                using var response = await http.GetAsync("/api/status?limit=1");
                answering ??= deadline.Elapsed;
                response.EnsureSuccessStatusCode();
                var c = (await response.Content.ReadFromJsonAsync<StatusView>(Json))!.Counts;
                seen = $"{c.Total:N0} counted, {c.Unknown:N0} unknown, {c.Healthy:N0} healthy, {c.Degraded:N0} degraded, {c.Unhealthy:N0} unhealthy";
                if (c.Total == targets && c.Unknown == 0) return answering.Value;
            }
            catch (HttpRequestException e)
            {
                seen = $"no status yet ({e.StatusCode?.ToString() ?? e.Message})";
            }
            if (deadline.Elapsed - lastReport > TimeSpan.FromSeconds(15))
            {
                lastReport = deadline.Elapsed;
                Figures.Progress($"{Scenario}: waiting for every target: {seen}");
            }
            await Task.Delay(1000); // polling the node with a deadline
        }
        throw new InvalidOperationException($"{Scenario}: after 30 minutes /api/status still says {seen}; the node's log:{Environment.NewLine}{Tail(Path.Combine(folder, "node.log"))}");
    }

    /// <summary>What the page says it measured, read in the page after the mark.</summary>
    private sealed record PageLoad(double DrawnMs, double ApiStartMs, double ApiDurationMs, double ApiWaitingMs, double BodyBytes, double EncodedBytes,
        double DomContentLoadedMs, int Rows, string Total);

    private const string ReadLoad = """
        const drawn = performance.getEntriesByName('overview-drawn')[0];
        const api = performance.getEntriesByType('resource').find(e => new URL(e.name).pathname === '/api/status');
        const nav = performance.getEntriesByType('navigation')[0];
        const total = document.querySelector('.counts .total strong');
        return JSON.stringify({
          drawnMs: drawn.startTime, apiStartMs: api.startTime, apiDurationMs: api.duration, apiWaitingMs: api.responseStart - api.requestStart,
          bodyBytes: api.decodedBodySize, encodedBytes: api.encodedBodySize, domContentLoadedMs: nav.domContentLoadedEventEnd,
          rows: document.querySelectorAll('main table tbody tr').length, total: total ? total.textContent : '' });
        """;

    private static void MeasurePage(Uri baseAddress, int targets)
    {
        var loads = new List<PageLoad>();
        for (var i = 0; i < Loads; i++)
        {
            // A new browser each time: a new, empty profile (no HTTP cache, no compiled script cache), as a first visit.
            using var driver = Chromium.Start(1366, 900);
            driver.Navigate().GoToUrl(new Uri(baseAddress, "/#/"));
            var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { PollingInterval = TimeSpan.FromMilliseconds(50) };
            wait.Until(d => ((IJavaScriptExecutor)d).ExecuteScript("return performance.getEntriesByName('overview-drawn').length") is long and > 0);
            var load = JsonSerializer.Deserialize<PageLoad>((string)driver.ExecuteScript(ReadLoad)!, Json)!;
            driver.Quit();
            // The mark must stand for what the issue asks: the counts of every target and a full first page of rows.
            var expectedRows = Math.Min(StatusEndpoints.DefaultLimit, targets);
            if (load.Rows != expectedRows || load.Total != targets.ToString("N0", CultureInfo.GetCultureInfo("en-US")))
                throw new InvalidOperationException($"{Scenario}: at the mark the page showed {load.Rows} rows and a total of '{load.Total}'; " +
                                                    $"{expectedRows} rows and {targets:N0} were expected");
            Figures.Progress($"{Scenario}: load {i + 1}: drawn at {load.DrawnMs:0} ms; /api/status from {load.ApiStartMs:0} ms for {load.ApiDurationMs:0} ms " +
                             $"({load.BodyBytes:N0} bytes); DOMContentLoaded {load.DomContentLoadedMs:0} ms");
            loads.Add(load);
        }
        var drawn = loads.Select(l => l.DrawnMs).ToList();
        Figures.Emit(Scenario, "navigation-to-overview-drawn", targets, drawn, "ms");
        Figures.Emit(Scenario, "api-status-request-in-page", targets, loads.Select(l => l.ApiDurationMs).ToList(), "ms");
        Figures.Emit(Scenario, "api-status-request-start-in-page", targets, loads.Select(l => l.ApiStartMs).ToList(), "ms");
        Figures.Emit(Scenario, "api-status-waiting-in-page", targets, loads.Select(l => l.ApiWaitingMs).ToList(), "ms");
        Figures.Emit(Scenario, "api-status-body-in-page", targets, loads.Select(l => l.BodyBytes).ToList(), "bytes");
        Figures.Emit(Scenario, "api-status-encoded-body-in-page", targets, loads.Select(l => l.EncodedBytes).ToList(), "bytes");
        Figures.Emit(Scenario, "navigation-to-dom-content-loaded", targets, loads.Select(l => l.DomContentLoadedMs).ToList(), "ms");
        var median = drawn.Order().ElementAt(drawn.Count / 2);
        Figures.Emit(Scenario, "navigation-to-overview-drawn-median-under-1s", targets, median < Goal.TotalMilliseconds ? 1 : 0, "yes=1,no=0");
        Figures.Progress($"{Scenario}: median navigation to overview drawn {median:0} ms: {(median < Goal.TotalMilliseconds ? "under" : "NOT under")} 1 s");
    }

    /// <summary>The API alone: GET /api/status?limit=100 answered in full (no If-None-Match), then with its ETag (304), 20 times each.</summary>
    private static async Task MeasureApiAsync(HttpClient http, int targets)
    {
        var full = new List<double>();
        var notModified = new List<double>();
        var answered304 = 0;
        EntityTagHeaderValue? etag = null;
        long bytes = 0;
        for (var i = 0; i < ApiRequests; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync("/api/status?limit=100");
            var body = await response.Content.ReadAsByteArrayAsync();
            full.Add(watch.Elapsed.TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{Scenario}: GET /api/status answered {(int)response.StatusCode}");
            etag = response.Headers.ETag;
            bytes = body.Length;
        }
        if (etag is null) throw new InvalidOperationException($"{Scenario}: GET /api/status answered no ETag");
        for (var i = 0; i < ApiRequests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status?limit=100");
            request.Headers.IfNoneMatch.Add(etag);
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            // Counts of a node at rest change only when a target's state or last probe does (a probe every 10 minutes a target):
            // a 200 here is a changed page (a new ETag to send next), timed as well.
            notModified.Add(watch.Elapsed.TotalMilliseconds);
            if (response.StatusCode == HttpStatusCode.NotModified) answered304++;
            else if (response.StatusCode == HttpStatusCode.OK) etag = response.Headers.ETag ?? etag;
            else if (response.StatusCode != HttpStatusCode.NotModified)
                throw new InvalidOperationException($"{Scenario}: GET /api/status with If-None-Match answered {(int)response.StatusCode}");
        }
        Figures.Emit(Scenario, "api-status-limit-100-200", targets, full, "ms");
        Figures.Emit(Scenario, "api-status-limit-100-304", targets, notModified, "ms");
        Figures.Emit(Scenario, "api-status-limit-100-304-answers", targets, answered304, $"of {ApiRequests}");
        Figures.Emit(Scenario, "api-status-limit-100-body", targets, bytes, "bytes");
    }

    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Tail(string path)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(path).TakeLast(30));
        }
        catch (IOException e)
        {
            return $"(could not read {path}: {e.Message})";
        }
    }
}
