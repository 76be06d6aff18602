using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Actors.Tests.Metrics;

public class MetricRollupsSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static MetricSample[] Every(TimeSpan step, int count, DateTimeOffset from, Func<int, double> value, string metric = "latency_ms") =>
        Enumerable.Range(0, count).Select(i => new MetricSample(metric, value(i), from + step * i)).ToArray();

    [Fact]
    public void Should_give_exact_count_average_min_and_max_over_the_buckets_of_the_window()
    {
        var rollups = new MetricRollups();
        var samples = Every(TimeSpan.FromSeconds(5), 12 * 60, T0.AddHours(-1), i => i % 97);
        rollups.Add(samples);
        rollups.Add([new MetricSample("other", 1000, T0.AddMinutes(-30))]);

        var summary = rollups.Summarize("t", "latency_ms", T0.AddMinutes(-30), T0);

        var inWindow = samples.Where(s => s.Timestamp >= T0.AddMinutes(-30)).Select(s => s.Value).ToArray();
        Assert.Equal(inWindow.Length, summary.Count);
        Assert.Equal(inWindow.Average(), summary.Average!.Value, 9);
        Assert.Equal(inWindow.Min(), summary.Min);
        Assert.Equal(inWindow.Max(), summary.Max);
    }

    [Fact]
    public void Should_widen_the_window_to_the_edges_of_the_buckets_it_touches()
    {
        var rollups = new MetricRollups();
        rollups.Add(Every(TimeSpan.FromSeconds(10), 6, T0, i => i + 1)); // 12:00:00 .. 12:00:50, one minute bucket

        var summary = rollups.Summarize("t", "latency_ms", T0.AddSeconds(45), T0.AddSeconds(46));

        Assert.Equal(6, summary.Count);
        Assert.Equal(1, summary.Min);
        Assert.Equal(0, rollups.Summarize("t", "latency_ms", T0.AddMinutes(1), T0.AddMinutes(2)).Count);
    }

    [Fact]
    public void Should_estimate_percentiles_within_one_percent_over_a_day_of_minute_and_hour_buckets()
    {
        var random = new Random(7);
        var rollups = new MetricRollups();
        var samples = Every(TimeSpan.FromSeconds(3), 24 * 1200, T0.AddDays(-1),
            _ => random.NextDouble() < 0.02 ? 2_000 + random.NextDouble() * 8_000 : Math.Exp(2 + 0.6 * random.NextDouble()));
        rollups.Add(samples);

        foreach (var window in new[] { TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(2) })
        {
            var from = T0 - window;
            var summary = rollups.Summarize("t", "latency_ms", from, T0);
            // The exact reference over the same bucket-widened window: hours are whole beyond the fine horizon.
            var widenedFrom = from < T0.AddHours(-2) ? new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, 0, 0, TimeSpan.Zero) : from;
            var exact = samples.Where(s => s.Timestamp >= widenedFrom && s.Timestamp <= T0).Select(s => s.Value).Order().ToArray();
            Assert.Equal(exact.Length, summary.Count);
            foreach (var (q, estimate) in new[] { (0.5, summary.P50), (0.95, summary.P95), (0.99, summary.P99) })
            {
                var truth = exact[Math.Clamp((int)Math.Ceiling(q * exact.Length) - 1, 0, exact.Length - 1)];
                Assert.InRange(estimate!.Value, truth * (1 - QuantileSketch.RelativeAccuracy) - 1e-9, truth * (1 + QuantileSketch.RelativeAccuracy) + 1e-9);
            }
        }
    }

    [Fact]
    public void Should_keep_memory_bounded_by_buckets_not_samples()
    {
        var rollups = new MetricRollups(new RollupSettings { RawSamplesPerMetric = 16 });
        rollups.Add(Every(TimeSpan.FromMilliseconds(100), 24 * 36_000, T0.AddDays(-1), i => i % 13));

        Assert.Equal(24 * 36_000, rollups.Count);
        // Fine buckets are merged a whole hour at a time once the hour lies 2 h behind the newest sample (11:59:59.9):
        // 21 merged hours (12:00 to 08:00) and the 180 minutes from 09:00.
        Assert.Equal(21 + 180, rollups.BucketCount);
        Assert.Equal(16, rollups.Recent("latency_ms").Count);
    }

    [Fact]
    public void Should_place_late_samples_in_their_own_bucket_even_after_it_was_merged()
    {
        var rollups = new MetricRollups();
        rollups.Add(Every(TimeSpan.FromMinutes(1), 5 * 60, T0.AddHours(-5), _ => 10));
        rollups.Add([new MetricSample("latency_ms", 99, T0.AddHours(-4).AddMinutes(30)), new MetricSample("latency_ms", 1, T0.AddMinutes(-1))]);

        var old = rollups.Summarize("t", "latency_ms", T0.AddHours(-4).AddMinutes(10), T0.AddHours(-4).AddMinutes(20));
        var latest = Assert.Single(rollups.Latest());

        Assert.Equal(61, old.Count);
        Assert.Equal(99, old.Max);
        Assert.Equal(T0.AddMinutes(-1), latest.Timestamp);
    }

    [Fact]
    public void Should_prune_buckets_that_end_before_the_cutoff_and_forget_empty_metrics()
    {
        var rollups = new MetricRollups();
        rollups.Add([new MetricSample("old", 1, T0.AddHours(-30)), new MetricSample("m", 1, T0.AddHours(-30)), new MetricSample("m", 2, T0.AddHours(-1))]);

        var removed = rollups.Prune(T0.AddHours(-24));

        Assert.Equal(2, removed);
        Assert.Equal(1, rollups.Count);
        Assert.Equal("m", Assert.Single(rollups.Latest()).Metric);
    }

    [Fact]
    public void Should_restore_the_same_summaries_from_its_snapshot_bytes()
    {
        var random = new Random(11);
        var rollups = new MetricRollups();
        rollups.Add(Every(TimeSpan.FromSeconds(7), 30_000, T0.AddDays(-2).AddSeconds(3), _ => random.NextDouble() * 40));
        rollups.Add(Every(TimeSpan.FromMinutes(1), 100, T0.AddHours(-3), i => i, "cache_hit_rate"));

        var back = MetricRollups.FromBytes(rollups.ToBytes());

        Assert.Equal(rollups.Count, back.Count);
        Assert.Equal(rollups.BucketCount, back.BucketCount);
        Assert.Equal(rollups.Latest(), back.Latest());
        Assert.Equal(rollups.Recent("latency_ms"), back.Recent("latency_ms"));
        foreach (var window in new[] { TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromDays(3) })
            foreach (var metric in new[] { "latency_ms", "cache_hit_rate" })
                Assert.Equal(rollups.Summarize("t", metric, T0 - window, T0), back.Summarize("t", metric, T0 - window, T0));
    }

    [Fact]
    public void Should_refuse_a_snapshot_taken_with_other_bucket_widths()
    {
        var rollups = new MetricRollups();
        rollups.Add([new MetricSample("m", 1, T0)]);

        var error = Assert.Throws<InvalidDataException>(() =>
            MetricRollups.FromBytes(rollups.ToBytes(), new RollupSettings { FineBucket = TimeSpan.FromSeconds(30) }));
        Assert.Contains("buckets of", error.Message);
    }

    [Fact]
    public void Should_round_trip_a_batch_of_samples_through_the_compact_format_at_under_fourteen_bytes_a_sample()
    {
        var samples = Every(TimeSpan.FromSeconds(5), 500, T0, i => i * 0.25, "config_access_ms")
            .Concat(Every(TimeSpan.FromSeconds(5), 500, T0, i => i % 2, "config_access_ok")).ToArray();

        var bytes = MetricSampleBatchFormat.Write(samples);
        var back = MetricSampleBatchFormat.Read(bytes);

        Assert.Equal(samples, back);
        Assert.InRange(bytes.Length, 1, samples.Length * 14);
    }

    [Fact]
    public void Should_keep_small_buckets_as_exact_values_and_switch_to_a_sketch_past_the_limit()
    {
        var small = new RollupBucket(0);
        var large = new RollupBucket(0);
        foreach (var v in Enumerable.Range(1, RollupBucket.ExactLimit)) small.Add(v * 0.1);
        foreach (var v in Enumerable.Range(1, RollupBucket.ExactLimit + 1)) large.Add(v * 0.1);
        var merged = new RollupBucket(0);
        merged.Merge(small);
        merged.Merge(large);

        Assert.Null(small.Sketch);
        Assert.NotNull(large.Sketch);
        Assert.Equal(2 * RollupBucket.ExactLimit + 1, merged.Count);
        Assert.Equal(small.Sum + large.Sum, merged.Sum, 9);
        Assert.Equal(merged.Count, merged.Sketch!.Count);
        foreach (var bucket in new[] { small, large, merged })
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) bucket.WriteTo(writer);
            stream.Position = 0;
            var back = RollupBucket.ReadFrom(new BinaryReader(stream), 0);
            Assert.Equal((bucket.Count, bucket.Sum, bucket.Min, bucket.Max), (back.Count, back.Sum, back.Min, back.Max));
        }
    }
}
