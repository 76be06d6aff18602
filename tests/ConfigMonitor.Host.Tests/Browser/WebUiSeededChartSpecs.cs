using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ConfigMonitor.Actors.Metrics;
using Microsoft.AspNetCore.Builder;
using OpenQA.Selenium;

namespace ConfigMonitor.Host.Tests.Browser;

/// <summary>
/// An in-process node (so a spec can seed its metric history through its actors) with a target whose every read fails, and
/// a browser on it. The target's loops record no <c>config_access_ms</c> (a failed read records only <c>config_access_ok</c>),
/// so the history seeded for that metric stays exactly what was seeded while the page is read, and its definition's
/// access-time threshold is drawn on the chart.
/// </summary>
public sealed class SeededHistoryBrowserNode : BrowserNode
{
    /// <summary>The target whose history is seeded.</summary>
    public const string TargetId = "seeded";

    /// <summary>The target's access-time threshold (not the seed's 50 ms, so the line drawn is the definition's).</summary>
    public const double AccessTimeThresholdMs = 30;

    private WebApplication? _app;

    /// <inheritdoc />
    public override string? Token => null;

    /// <summary>The running node.</summary>
    public WebApplication App => _app ?? throw new InvalidOperationException("call StartAsync first");

    /// <inheritdoc />
    protected override async Task<Uri> StartNodeAsync(string workFolder)
    {
        var settings = TestNode.FastSettings(Path.Combine(workFolder, "data"));
        settings[$"ConfigMonitor:Targets:{TargetId}:Adapter"] = "actor";
        settings[$"ConfigMonitor:Targets:{TargetId}:Endpoint"] = "/user/no-such-config-service";
        settings[$"ConfigMonitor:Targets:{TargetId}:ProbeTimeout"] = "200ms";
        settings[$"ConfigMonitor:Targets:{TargetId}:Performance:AccessTimeThresholdMs"] = AccessTimeThresholdMs.ToString(CultureInfo.InvariantCulture);
        _app = await TestNode.BuildAsync(settings);
        await _app.StartAsync();
        return MonitorNode.ApiAddress(_app);
    }

    /// <inheritdoc />
    protected override async Task StopNodeAsync()
    {
        if (_app is null) return;
        await _app.StopWithinAsync(TestNode.StopTimeout);
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The proof of the charts: a 24 h chart over a day of seeded history has at least 80 points and its p99 matches the
/// summary route, read from the SVG the page draws (not from the page's script state).
/// </summary>
public sealed class WebUiSeededChartSpecs(SeededHistoryBrowserNode node) : IClassFixture<SeededHistoryBrowserNode>
{
    private const string Metric = MetricNames.ConfigAccessMs;

    /// <summary>What the page drew, read in one script (the page redraws on its poll, so elements are not held across calls).</summary>
    private sealed record Drawn(int Points, string Window, List<string> Avg, List<string> P99, List<DrawnThreshold> Thresholds, string? SummaryP99, string SummaryText);

    private sealed record DrawnThreshold(double Y1, double Y2, string Label);

    private const string ReadChart = """
        const chart = document.querySelector(".chart[data-metric='" + arguments[0] + "']");
        const charts = document.querySelector('#h-charts ~ div:not(.windows)');
        if (!chart || !charts) return null;
        const svg = chart.querySelector('svg[role=img]');
        if (!svg) return null;
        const coords = cls => [...svg.querySelectorAll('path.' + cls + ', circle.' + cls)]
          .map(e => e.tagName === 'circle' ? 'M' + e.getAttribute('cx') + ' ' + e.getAttribute('cy') : e.getAttribute('d'));
        const summary = chart.querySelector('.window-summary');
        return JSON.stringify({
          points: Number(svg.getAttribute('data-points')), window: charts.dataset.window || '',
          avg: coords('avg'), p99: coords('p99'),
          thresholds: [...svg.querySelectorAll('line.threshold')].map((l, i) => ({ y1: Number(l.getAttribute('y1')), y2: Number(l.getAttribute('y2')),
            label: (svg.querySelectorAll('text.threshold-label')[i] || {}).textContent || '' })),
          summaryP99: summary ? summary.getAttribute('data-p99') : null, summaryText: summary ? summary.textContent : '' });
        """;

    [SkippableFact]
    public async Task A_24_h_chart_over_a_day_of_seeded_history_should_draw_at_least_80_points_and_state_the_p99_of_the_summary_route()
    {
        BrowserNode.Require();
        await node.StartAsync();
        // A day of samples every 30 s whose first sample opens the window's first whole hour: every bucket then lies wholly in
        // the 24 h window for the next hour, so the page, the series route and the summary route read the same buckets.
        var now = DateTimeOffset.UtcNow;
        var firstHour = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero) - TimeSpan.FromHours(23);
        var samples = SeededHistory.Of(Metric, now, now - firstHour);
        await MetricHistorySeeder.SeedAsync(node.App, SeededHistoryBrowserNode.TargetId, samples);

        var path = $"/api/targets/{SeededHistoryBrowserNode.TargetId}/metrics/{Metric}";
        var series = await node.Api.GetFromJsonAsync<JsonElement>(path + "/series?window=24h");
        var summary = await node.Api.GetFromJsonAsync<JsonElement>(path + "/summary?window=24h");
        var points = series.GetProperty("points").EnumerateArray().Where(p => p.GetProperty("count").GetInt64() > 0).ToList();
        var overall = series.GetProperty("overall");
        Assert.True(points.Count >= 80, $"the series route should answer at least 80 buckets for a day of history; it answered {points.Count}");
        Assert.Equal(samples.Count, overall.GetProperty("count").GetInt64());
        Assert.Equal(samples.Count, summary.GetProperty("count").GetInt64());
        var p99 = summary.GetProperty("p99").GetDouble();
        Assert.Equal(p99, overall.GetProperty("p99").GetDouble());
        // The sketch's p99 of the seeded values (within its 1 %): the route summarises the day that was seeded, not something else.
        var exact = samples.Select(s => s.Value).Order().ElementAt((int)Math.Ceiling(0.99 * samples.Count) - 1);
        Assert.InRange(p99, exact * 0.98, exact * 1.02);

        node.Open($"/#/targets/{SeededHistoryBrowserNode.TargetId}");
        node.Wait().Until(d => d.FindElements(By.CssSelector($".chart[data-metric='{Metric}'] svg[role=img]")).Count == 1);
        node.Driver.FindElement(By.CssSelector("button[data-window='24h']")).Click();
        Drawn? drawn = null;
        node.Wait().Until(_ =>
        {
            drawn = node.Script(ReadChart, Metric) is string json ? JsonSerializer.Deserialize<Drawn>(json, JsonSerializerOptions.Web) : null;
            return drawn is { Window: "24h" } && drawn.Points == points.Count;
        });

        // At least 80 points on the avg line, one per bucket of the route, in its order.
        var avg = Coordinates(drawn!.Avg);
        Assert.True(avg.Count >= 80, $"the avg line should have at least 80 points; it has {avg.Count}");
        Assert.Equal(points.Count, avg.Count);
        var p99Line = Coordinates(drawn.P99);
        Assert.Equal(points.Count, p99Line.Count);

        // The y axis is one affine map of value to pixel for every line: fit it on the route's p99s, then every drawn point of
        // the p99 and avg lines, and the threshold, must lie where that map puts its value (the SVG rounds to 0.1 px).
        var p99s = points.Select(p => p.GetProperty("p99").GetDouble()).ToList();
        var (lowest, highest) = (p99s.IndexOf(p99s.Min()), p99s.IndexOf(p99s.Max()));
        var slope = (p99Line[highest].Y - p99Line[lowest].Y) / (p99s[highest] - p99s[lowest]);
        Assert.True(slope < 0, "a higher p99 should be drawn higher (a smaller y)");
        double YOf(double value) => p99Line[lowest].Y + slope * (value - p99s[lowest]);
        const double Pixel = 0.2;
        for (var i = 0; i < points.Count; i++)
        {
            Assert.True(Math.Abs(YOf(p99s[i]) - p99Line[i].Y) <= Pixel,
                $"point {i} of the p99 line is at y={p99Line[i].Y}; the route's p99 {p99s[i]} belongs at y={YOf(p99s[i]):F2}");
            var bucketAvg = points[i].GetProperty("avg").GetDouble();
            Assert.True(Math.Abs(YOf(bucketAvg) - avg[i].Y) <= Pixel,
                $"point {i} of the avg line is at y={avg[i].Y}; the route's avg {bucketAvg} belongs at y={YOf(bucketAvg):F2}");
            Assert.Equal(avg[i].X, p99Line[i].X);
        }
        var threshold = Assert.Single(drawn.Thresholds);
        Assert.Equal(threshold.Y1, threshold.Y2);
        Assert.True(Math.Abs(YOf(SeededHistoryBrowserNode.AccessTimeThresholdMs) - threshold.Y1) <= Pixel,
            $"the threshold line is at y={threshold.Y1}; the definition's {SeededHistoryBrowserNode.AccessTimeThresholdMs} ms belongs at y={YOf(SeededHistoryBrowserNode.AccessTimeThresholdMs):F2}");
        Assert.Contains("30 ms", threshold.Label, StringComparison.Ordinal);

        // The page states the window's p99: the series' overall, which is the summary route's p99 for the same window.
        Assert.NotNull(drawn.SummaryP99);
        Assert.Equal(p99, double.Parse(drawn.SummaryP99, CultureInfo.InvariantCulture));
        Assert.Contains($"p99 {AsThePageFormats(p99)} ms", drawn.SummaryText, StringComparison.Ordinal);
        Assert.Contains($"Whole 24h: {samples.Count:#,0} samples", drawn.SummaryText, StringComparison.Ordinal);
        node.Script("document.querySelector(\".chart[data-metric='\" + arguments[0] + \"']\").scrollIntoView()", Metric);
        PageChecks.Screenshot(node, "target-24h-seeded-desktop");
    }

    /// <summary>The points of an SVG path's d ("M x y L x y ..."), in order.</summary>
    private static List<(double X, double Y)> Coordinates(IEnumerable<string> paths) => paths
        .SelectMany(d => d.Split(['M', 'L'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        .Select(pair => pair.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(xy => (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)))
        .ToList();

    /// <summary>app.js's fmtNum: no decimals from 100, one from 10, two from 1, three below; en-US grouping.</summary>
    private static string AsThePageFormats(double value)
    {
        var a = Math.Abs(value);
        var digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
        return value.ToString("#,0." + new string('#', digits), CultureInfo.InvariantCulture).TrimEnd('.');
    }
}
