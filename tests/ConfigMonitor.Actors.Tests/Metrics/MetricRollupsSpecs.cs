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
            var widenedFrom = from < T0.AddHours(-1) ? new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, 0, 0, TimeSpan.Zero) : from;
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
        // A minute is merged into its hour once it lies 1 h behind the newest sample (11:59:59.9): the 61 minutes from
        // 10:59 stay fine; the hours from 12:00 the day before to 10:00 (10:00 holding 10:00-10:58 so far) are merged.
        Assert.Equal(23 + 61, rollups.BucketCount);
        Assert.Equal(16, rollups.Recent("latency_ms").Count);
    }

    [Fact]
    public void Should_count_the_hour_still_filling_only_up_to_the_minutes_merged_into_it()
    {
        var rollups = new MetricRollups();
        // One sample a minute from 09:00 to 11:59, value = minute of the day, so every window's min tells where it starts.
        rollups.Add(Every(TimeSpan.FromMinutes(1), 180, T0.AddHours(-3), i => 540 + i));

        // Newest 11:59: minutes before 10:59 are merged; hour 10:00 holds 10:00-10:58 so far.
        var lastHour = rollups.Summarize("t", "latency_ms", T0.AddHours(-1), T0);
        var ninety = rollups.Summarize("t", "latency_ms", T0.AddMinutes(-90), T0);

        Assert.Equal((60, 660.0, 719.0), (lastHour.Count, lastHour.Min!.Value, lastHour.Max!.Value)); // 11:00-11:59, exact to the minute
        Assert.Equal((120, 600.0), (ninety.Count, ninety.Min!.Value)); // from 10:30, widened to the start of hour 10:00
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

        Assert.False(small.HoldsSketch);
        Assert.True(large.HoldsSketch);
        Assert.Equal(2 * RollupBucket.ExactLimit + 1, merged.Count);
        Assert.Equal(small.Sum + large.Sum, merged.Sum, 9);
        var sketch = new QuantileSketch();
        merged.AddSketchTo(sketch);
        Assert.Equal(merged.Count, sketch.Count);
        foreach (var bucket in new[] { small, large, merged }) AssertSameAfterRoundTrip(bucket);
    }

    [Fact]
    public void Should_seal_a_bucket_into_its_compact_form_without_changing_its_totals_or_quantiles_beyond_the_bound()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 500).Select(_ => Math.Exp(1 + random.NextDouble() * 3)).ToArray();
        var exact = new RollupBucket(0);
        var sketched = new RollupBucket(0);
        var constant = new RollupBucket(0);
        foreach (var v in values.Take(12)) exact.Add(v);
        foreach (var v in values) sketched.Add(v);
        for (var i = 0; i < 40; i++) constant.Add(1);
        var before = new[] { exact, sketched, constant }.Select(b => (b.Count, b.Sum, b.Min, b.Max, Quantiles(b))).ToArray();

        exact.Seal(); // buckets are structs: seal each variable, not a copy of it
        sketched.Seal();
        constant.Seal();

        var after = new[] { exact, sketched, constant }.Select(b => (b.Count, b.Sum, b.Min, b.Max, Quantiles(b))).ToArray();
        for (var i = 0; i < before.Length; i++)
        {
            Assert.Equal((before[i].Count, before[i].Sum, before[i].Min, before[i].Max), (after[i].Count, after[i].Sum, after[i].Min, after[i].Max));
            // Exact values sealed as floats move by at most float precision; a sketch packs losslessly.
            for (var q = 0; q < 3; q++) Assert.Equal(before[i].Item5[q], after[i].Item5[q], 1e-5 * before[i].Item5[q]);
        }
        Assert.True(exact.IsSealed && sketched.IsSealed && constant.IsSealed);
        Assert.Equal(1.0, Quantiles(constant)[1]);
        foreach (var bucket in new[] { exact, sketched, constant }) AssertSameAfterRoundTrip(bucket);
    }

    [Fact]
    public void Should_open_a_sealed_bucket_again_for_a_late_sample()
    {
        var exact = new RollupBucket(0);
        var sketched = new RollupBucket(0);
        var constant = new RollupBucket(0);
        foreach (var v in new[] { 1.0, 2, 3 }) exact.Add(v);
        foreach (var v in Enumerable.Range(1, 100)) sketched.Add(v);
        for (var i = 0; i < 30; i++) constant.Add(5);
        exact.Seal(); // buckets are structs: seal each variable, not a copy of it
        sketched.Seal();
        constant.Seal();

        exact.Add(1000);
        sketched.Add(1000);
        constant.Add(1000);

        Assert.Equal((4, 1006.0, 1.0, 1000.0), (exact.Count, exact.Sum, exact.Min, exact.Max));
        Assert.Equal((101, 6050.0, 1.0, 1000.0), (sketched.Count, sketched.Sum, sketched.Min, sketched.Max));
        Assert.Equal((31, 1150.0, 5.0, 1000.0), (constant.Count, constant.Sum, constant.Min, constant.Max));
        Assert.InRange(Quantiles(constant)[2], 990, 1010); // p99: the one late value is the top 1/31 (rank 31)
        Assert.InRange(Quantiles(constant)[1], 4.95, 5.05);
        Assert.InRange(Quantiles(sketched)[0], 50 * 0.99, 51 * 1.01);
    }

    [Fact]
    public void Should_read_a_snapshot_written_in_the_first_format()
    {
        // Written by the version-1 store (exact values, full sketches): 13 samples a minute for 3 hours of "m", and a
        // few of "ok", ending at T0; summaries below were computed by that version from the same history.
        var bytes = Convert.FromBase64String(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Metrics", "rollups-v1.b64")));

        var restored = MetricRollups.FromBytes(bytes);
        var rebuilt = new MetricRollups();
        rebuilt.Add(VersionOneHistory());

        Assert.Equal(rebuilt.Count, restored.Count);
        foreach (var window in new[] { TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromHours(4) })
            foreach (var metric in new[] { "m", "ok" })
            {
                var a = rebuilt.Summarize("t", metric, T0 - window, T0);
                var b = restored.Summarize("t", metric, T0 - window, T0);
                Assert.Equal((a.Count, a.Min, a.Max), (b.Count, b.Min, b.Max));
                if (a.Count == 0) continue;
                Assert.Equal(a.Average!.Value, b.Average!.Value, 9);
                Assert.Equal(a.P95!.Value, b.P95!.Value, 1e-5 * a.P95.Value);
            }
    }

    /// <summary>The history behind rollups-v1.b64.</summary>
    internal static MetricSample[] VersionOneHistory()
    {
        var random = new Random(21);
        return Every(TimeSpan.FromSeconds(60.0 / 13), 13 * 180, T0.AddHours(-3), _ => Math.Round(Math.Exp(1 + random.NextDouble() * 2), 3), "m")
            .Concat(Every(TimeSpan.FromMinutes(7), 20, T0.AddHours(-2.5), i => i % 3 == 0 ? 0 : 1, "ok"))
            .ToArray();
    }

    private static double[] Quantiles(RollupBucket bucket)
    {
        var sketch = new QuantileSketch();
        bucket.AddSketchTo(sketch);
        return [Math.Clamp(sketch.Quantile(0.5)!.Value, bucket.Min, bucket.Max), Math.Clamp(sketch.Quantile(0.95)!.Value, bucket.Min, bucket.Max),
            Math.Clamp(sketch.Quantile(0.99)!.Value, bucket.Min, bucket.Max)];
    }

    private static void AssertSameAfterRoundTrip(RollupBucket bucket)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) bucket.WriteTo(writer);
        stream.Position = 0;
        var back = RollupBucket.ReadFrom(new BinaryReader(stream), 0);
        Assert.Equal((bucket.Count, bucket.Sum, bucket.Min, bucket.Max, bucket.HoldsSketch), (back.Count, back.Sum, back.Min, back.Max, back.HoldsSketch));
        Assert.Equal(Quantiles(bucket), Quantiles(back));
        Assert.Equal(stream.Length, stream.Position);
    }
}
