using System.Net;
using System.Text.Json;
using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// <c>GET /api/targets/{id}/metrics/{metric}/series</c> through real HTTP on a real node: a day of history seeded into the demo
/// target's store answers as a chart's points, with the thresholds of the target's definition, and its overall p99 is the
/// summary route's.
/// </summary>
public sealed class MetricSeriesRouteSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private const string Seeded = "seeded_access_ms";

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path)
    {
        using var response = await node.Anonymous.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Should_answer_a_day_of_seeded_history_as_at_least_80_points_whose_p99_is_the_summary_p99()
    {
        var samples = await MetricHistorySeeder.SeedDayAsync(node.App, "demo", Seeded);

        var (status, series) = await GetAsync($"/api/targets/demo/metrics/{Seeded}/series?window=24h");
        var (summaryStatus, summary) = await GetAsync($"/api/targets/demo/metrics/{Seeded}/summary?window=24h");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, summaryStatus);
        Assert.Equal("demo", series.GetProperty("targetId").GetString());
        Assert.Equal("24h", series.GetProperty("window").GetString());
        Assert.Equal("ms", series.GetProperty("unit").GetString());
        Assert.Equal(3600, series.GetProperty("bucketSeconds").GetInt64());
        var points = series.GetProperty("points").EnumerateArray().ToList();
        Assert.True(points.Count >= 80, $"a 24 h series of a day of history has {points.Count} points, expected at least 80");
        var starts = points.Select(p => p.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(starts.Order(), starts);
        Assert.All(points, p => Assert.True(p.GetProperty("count").GetInt64() > 0));
        Assert.Equal(samples.Count, points.Sum(p => p.GetProperty("count").GetInt64()));
        // The chart's p99 line and the summary route agree: the same buckets, the same merged sketch.
        Assert.Equal(summary.GetProperty("count").GetInt64(), series.GetProperty("overall").GetProperty("count").GetInt64());
        Assert.Equal(summary.GetProperty("p99").GetDouble(), series.GetProperty("overall").GetProperty("p99").GetDouble());
        // Each point's p99 lies within its own min and max; none is a zero drawn for a gap.
        Assert.All(points, p => Assert.InRange(p.GetProperty("p99").GetDouble(), p.GetProperty("min").GetDouble(), p.GetProperty("max").GetDouble()));

        var (_, hour) = await GetAsync($"/api/targets/demo/metrics/{Seeded}/series?window=1h");
        Assert.Equal(60, hour.GetProperty("bucketSeconds").GetInt64());
        Assert.InRange(hour.GetProperty("points").GetArrayLength(), 60, 61);
    }

    [Fact]
    public async Task Should_send_the_thresholds_the_target_definition_applies_to_the_metric()
    {
        var (_, target) = await GetAsync("/api/targets/demo");
        var accessThreshold = target.GetProperty("definition").GetProperty("performance").GetProperty("accessTimeThresholdMs").GetDouble();

        var (status, series) = await GetAsync($"/api/targets/demo/metrics/{MetricNames.ConfigAccessMs}/series?window=6h");

        Assert.Equal(HttpStatusCode.OK, status);
        var threshold = Assert.Single(series.GetProperty("thresholds").EnumerateArray());
        Assert.Equal("access_time", threshold.GetProperty("name").GetString());
        Assert.Equal(accessThreshold, threshold.GetProperty("value").GetDouble());
        Assert.Equal("warning", threshold.GetProperty("severity").GetString());
        Assert.Equal("above", threshold.GetProperty("breach").GetString());
        Assert.NotEmpty(series.GetProperty("points").EnumerateArray());

        var (_, flags) = await GetAsync($"/api/targets/demo/metrics/{MetricNames.ConfigAccessOk}/series");
        Assert.Empty(flags.GetProperty("thresholds").EnumerateArray());
        Assert.Equal("1h", flags.GetProperty("window").GetString());
    }

    [Theory]
    [InlineData("/api/targets/nope/metrics/config_access_ms/series?window=1h", HttpStatusCode.NotFound, "'nope'")]
    [InlineData("/api/targets/demo/metrics/no_such_metric/series?window=1h", HttpStatusCode.NotFound, "'no_such_metric'")]
    [InlineData("/api/targets/demo/metrics/config_access_ms/series?window=soon", HttpStatusCode.BadRequest, "1h, 6h, 24h")]
    [InlineData("/api/targets/demo/metrics/config_access_ms/series?window=30d", HttpStatusCode.BadRequest, "'window'")]
    [InlineData("/api/targets/demo/metrics/config_access_ms/series?window=10s", HttpStatusCode.BadRequest, "1m to 1d")]
    public async Task Should_refuse_an_unknown_target_or_metric_and_a_bad_window_naming_what_is_wrong(string path, HttpStatusCode expected, string named)
    {
        using var response = await node.Anonymous.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.Contains(named, text);
    }
}
