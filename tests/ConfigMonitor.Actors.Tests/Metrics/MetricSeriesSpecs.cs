using Akka.Actor;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Actors.Tests.Metrics;

/// <summary>
/// A metric's series over a window, as a chart draws it: the rollups' own buckets (1-minute within the fine horizon, hourly
/// before it), gaps left out, per-bucket percentiles from the sketches, and an overall p99 that matches the summary.
/// </summary>
public sealed class MetricSeriesSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const string Metric = MetricNames.ConfigAccessMs;
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 20, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static MetricRollups Rollups(IEnumerable<MetricSample> samples)
    {
        var rollups = new MetricRollups();
        rollups.Add(samples);
        return rollups;
    }

    private static MetricHistory Exact(IEnumerable<MetricSample> samples)
    {
        var history = new MetricHistory();
        history.Add(samples);
        return history;
    }

    private static MetricSeriesAnswer Series(MetricRollups rollups, TimeSpan window, int maxPoints = GetMetricSeries.DefaultMaxPoints)
    {
        var (from, to) = MetricsStoreActor.Window(T0, window);
        return rollups.Series("orders", Metric, from, to, maxPoints);
    }

    private static void AssertWithinSketchError(double exact, double estimate, string what) =>
        Assert.True(Math.Abs(estimate - exact) <= QuantileSketch.RelativeAccuracy * Math.Abs(exact) + 1e-9,
            $"{what}: {estimate} is not within {QuantileSketch.RelativeAccuracy:P0} of {exact}");

    [Fact]
    public void Should_answer_a_day_as_hourly_buckets_then_the_last_hour_in_minutes()
    {
        var samples = SeededHistory.Day(Metric, T0);
        var series = Series(Rollups(samples), Day);

        Assert.True(series.Points.Count >= 80, $"a 24 h series of a day of history has {series.Points.Count} points, expected at least 80");
        Assert.True(series.Points.Count <= GetMetricSeries.DefaultMaxPoints);
        Assert.Equal(3600, series.BucketSeconds);
        // Oldest first, no overlap: each point starts where (or after) the one before it ends.
        for (var i = 1; i < series.Points.Count; i++)
            Assert.True(series.Points[i].At >= series.Points[i - 1].At.AddSeconds(series.Points[i - 1].Seconds),
                $"point {i} at {series.Points[i].At:O} starts before point {i - 1} ends");
        var hourly = series.Points.TakeWhile(p => p.Seconds == 3600).Count();
        var minutes = series.Points.Count(p => p.Seconds == 60);
        Assert.InRange(hourly, 22, 25);
        Assert.InRange(minutes, 60, 61);
        // At most one point is neither: the hour being merged, which ends where the minutes begin.
        Assert.True(series.Points.Count - hourly - minutes <= 1);
        Assert.Equal(series.Overall.Count, series.Points.Sum(p => p.Count));
        Assert.Equal(samples.Count, series.Overall.Count);
    }

    [Fact]
    public void Should_give_each_point_the_exact_totals_and_the_percentiles_of_its_own_bucket()
    {
        var samples = SeededHistory.Day(Metric, T0);
        var exact = Exact(samples);
        var series = Series(Rollups(samples), Day);

        foreach (var point in series.Points)
        {
            var truth = exact.Summarize("orders", Metric, point.At, point.At.AddSeconds(point.Seconds).AddTicks(-1));
            Assert.Equal(truth.Count, point.Count);
            Assert.Equal(truth.Min, point.Min);
            Assert.Equal(truth.Max, point.Max);
            Assert.Equal(truth.Average!.Value, point.Avg, 9);
            AssertWithinSketchError(truth.P95!.Value, point.P95, $"p95 of the bucket at {point.At:O}");
            AssertWithinSketchError(truth.P99!.Value, point.P99, $"p99 of the bucket at {point.At:O}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(24)]
    public void Should_have_an_overall_p99_that_matches_the_summary_of_the_same_window(int hours)
    {
        var samples = SeededHistory.Day(Metric, T0);
        var rollups = Rollups(samples);
        var window = TimeSpan.FromHours(hours);
        var series = Series(rollups, window);
        var (from, to) = MetricsStoreActor.Window(T0, window);
        var summary = rollups.Summarize("orders", Metric, from, to);

        Assert.Equal(summary, series.Overall);
        // And the summary's p99 is within the sketch's error of the exact p99 of the samples in the same buckets.
        var first = series.Points[0].At;
        var exact = Exact(samples).Summarize("orders", Metric, first, to);
        Assert.Equal(exact.Count, series.Overall.Count);
        AssertWithinSketchError(exact.P99!.Value, series.Overall.P99!.Value, $"overall p99 over {hours} h");
    }

    [Fact]
    public void Should_answer_the_last_hour_in_minutes_and_six_hours_in_hours_then_minutes()
    {
        var rollups = Rollups(SeededHistory.Day(Metric, T0));

        var hour = Series(rollups, TimeSpan.FromHours(1));
        Assert.Equal(60, hour.BucketSeconds);
        Assert.InRange(hour.Points.Count, 60, 61);
        Assert.All(hour.Points, p => Assert.Equal(60, p.Seconds));

        var six = Series(rollups, TimeSpan.FromHours(6));
        Assert.Equal(3600, six.BucketSeconds);
        Assert.InRange(six.Points.Count(p => p.Seconds == 3600), 4, 7);
        Assert.InRange(six.Points.Count(p => p.Seconds == 60), 60, 61);
    }

    [Fact]
    public void Should_leave_out_the_buckets_of_a_gap_instead_of_drawing_zeros()
    {
        // Three hours without a sample a day ago, and ten minutes without one in the last hour.
        var samples = SeededHistory.Of(Metric, T0, Day, gapFrom: new DateTimeOffset(2026, 11, 28, 18, 0, 0, TimeSpan.Zero), gapLength: TimeSpan.FromHours(3))
            .Where(s => s.Timestamp < T0.AddMinutes(-30) || s.Timestamp >= T0.AddMinutes(-20)).ToList();
        var series = Series(Rollups(samples), Day);

        Assert.All(series.Points, p => Assert.True(p.Count > 0));
        Assert.DoesNotContain(series.Points, p => p.At >= new DateTimeOffset(2026, 11, 28, 18, 0, 0, TimeSpan.Zero)
                                                  && p.At < new DateTimeOffset(2026, 11, 28, 21, 0, 0, TimeSpan.Zero));
        Assert.DoesNotContain(series.Points, p => p.Seconds == 60 && p.At >= T0.AddMinutes(-29) && p.At < T0.AddMinutes(-21));
        Assert.Equal(samples.Count, series.Points.Sum(p => p.Count));
    }

    [Fact]
    public void Should_answer_no_points_for_a_metric_without_history()
    {
        var series = Rollups(SeededHistory.Day(Metric, T0)).Series("orders", "db_response_ms", T0 - Day, T0, 400);

        Assert.Empty(series.Points);
        Assert.Equal(0, series.BucketSeconds);
        Assert.Equal(0, series.Overall.Count);
    }

    [Fact]
    public void Should_merge_neighbouring_buckets_exactly_when_they_are_more_than_the_points_asked_for()
    {
        var samples = SeededHistory.Day(Metric, T0);
        var rollups = Rollups(samples);
        var full = Series(rollups, Day);

        var bounded = Series(rollups, Day, maxPoints: 20);

        Assert.InRange(bounded.Points.Count, 1, 20);
        Assert.Equal(0, bounded.BucketSeconds % 3600);
        Assert.True(bounded.BucketSeconds > 3600);
        Assert.Equal(full.Overall, bounded.Overall);
        Assert.Equal(samples.Count, bounded.Points.Sum(p => p.Count));
        Assert.Equal(full.Points.Min(p => p.Min), bounded.Points.Min(p => p.Min));
        Assert.Equal(full.Points.Max(p => p.Max), bounded.Points.Max(p => p.Max));
        var exact = Exact(samples);
        foreach (var point in bounded.Points)
        {
            var truth = exact.Summarize("orders", Metric, point.At, point.At.AddSeconds(point.Seconds).AddTicks(-1));
            Assert.Equal(truth.Count, point.Count);
            AssertWithinSketchError(truth.P99!.Value, point.P99, $"p99 of the merged cell at {point.At:O}");
        }
    }

    [Fact]
    public async Task Should_answer_a_day_of_history_through_the_store_on_a_real_journal_before_and_after_recovery()
    {
        var samples = SeededHistory.Day(Metric, T0);
        MetricSeriesAnswer before;
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = node.System.ActorOf(MetricsStoreHost.Props("orders", new MetricsStoreSettings { FlushInterval = TimeSpan.FromHours(1) }, _clock));
            foreach (var chunk in samples.Chunk(500)) store.Tell(new RecordSamples("orders", chunk));
            await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);

            before = await store.Ask<MetricSeriesAnswer>(new GetMetricSeries("orders", Metric, Day), Timeout);
            var summary = await store.Ask<MetricSummary>(new GetMetricSummary("orders", Metric, Day), Timeout);

            Assert.True(before.Points.Count >= 80, $"{before.Points.Count} points for 24 h, expected at least 80");
            Assert.Equal(samples.Count, before.Points.Sum(p => p.Count));
            Assert.Equal(summary, before.Overall);
            AssertWithinSketchError(Exact(samples).Summarize("orders", Metric, T0 - Day, T0).P99!.Value, before.Overall.P99!.Value, "the store's p99");

            // An asker's bound is kept within the accepted range (at least an hour of minutes).
            var bounded = await store.Ask<MetricSeriesAnswer>(new GetMetricSeries("orders", Metric, Day, MaxPoints: 1), Timeout);
            Assert.InRange(bounded.Points.Count, 1, GetMetricSeries.MinMaxPoints);
            Assert.Equal(samples.Count, bounded.Points.Sum(p => p.Count));
        }

        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = node.System.ActorOf(MetricsStoreHost.Props("orders", new MetricsStoreSettings { FlushInterval = TimeSpan.FromHours(1) }, _clock));
            var after = await store.Ask<MetricSeriesAnswer>(new GetMetricSeries("orders", Metric, Day), Timeout);

            Assert.Equal(before.Overall, after.Overall);
            Assert.Equal(before.Points, after.Points);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
