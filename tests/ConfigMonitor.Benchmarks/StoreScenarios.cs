using System.Diagnostics;
using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Benchmarks;

/// <summary>summary and memory: the rollups on their own (the actor adds one message round trip, measured in ingest).</summary>
public static class StoreScenarios
{
    /// <summary>
    /// Summary latency over the last hour with 10^4 .. 10^7 samples of one metric spread over the 24 h before it (so the
    /// window holds 1/24 of them), next to the 10^4 case and to the exact list (MetricHistory) the store used before.
    /// </summary>
    public static void Summary(bool quick)
    {
        const string scenario = "summary";
        var baseline = 0.0;
        foreach (var size in new[] { 10_000, 100_000, 1_000_000, 10_000_000 })
        {
            var random = new Random(size);
            var rollups = new MetricRollups();
            var step = TimeSpan.FromDays(1).Ticks / size;
            var start = Workload.End.UtcTicks - TimeSpan.FromDays(1).Ticks;
            for (var i = 0; i < size; i++) rollups.Add(MetricNames.ConfigAccessMs, start + i * step, Workload.Latency(random));
            var from = Workload.End.AddHours(-1);

            var perQuery = Latencies(quick, () => rollups.Summarize("t", MetricNames.ConfigAccessMs, from, Workload.End));
            Figures.Emit(scenario, "rollup-summary-1h-latency", size, perQuery, "us");
            var median = perQuery.Order().ElementAt(perQuery.Count / 2);
            if (size == 10_000) baseline = median;
            Figures.Emit(scenario, "rollup-summary-to-10e4-ratio", size, perQuery.Select(v => v / baseline).ToList(), "ratio");
            Figures.Progress($"{scenario}: {size:N0} samples: {median:0.0} us per summary ({rollups.BucketCount} buckets)");

            if (size <= (quick ? 100_000 : 1_000_000))
            {
                var history = new MetricHistory();
                history.Add(Enumerable.Range(0, size).Select(i =>
                    new MetricSample(MetricNames.ConfigAccessMs, Workload.Latency(random), new DateTimeOffset(start + i * step, TimeSpan.Zero))));
                var exact = Latencies(quick, () => history.Summarize("t", MetricNames.ConfigAccessMs, from, Workload.End), queries: 5);
                Figures.Emit(scenario, "reference-exact-list-summary-1h-latency", size, exact, "us");
            }
        }
    }

    private static List<double> Latencies(bool quick, Action query, int queries = 200)
    {
        // Warm-up long enough for tiered JIT to reach its optimized code.
        for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 500;) query();
        var results = new List<double>();
        for (var batch = 0; batch < (quick ? 11 : 31); batch++)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < queries; i++) query();
            results.Add(stopwatch.Elapsed.TotalMicroseconds / queries);
        }
        return results;
    }

    /// <summary>
    /// Live heap per retained sample (RSS is left out: other scenarios in the same process free memory meanwhile) after loading a day of history for 1,000 targets × 13 metrics, at two densities,
    /// and the raw ring's bytes per raw sample.
    /// </summary>
    public static void Memory(bool quick)
    {
        const string scenario = "memory";
        var full = quick ? 2_000_000 : 10_000_000;
        foreach (var planned in new[] { full / 10, full })
        {
            var before = Measure.LiveHeap();
            var stores = Load(1_000, planned);
            var heap = Measure.LiveHeap() - before;
            var size = stores.Sum(s => s.Count);
            Figures.Emit(scenario, "heap-bytes-per-sample", size, (double)heap / size, "bytes");
            Figures.Emit(scenario, "buckets-per-target", size, stores.Average(s => s.BucketCount), "buckets");
            Figures.Progress($"{scenario}: {size:N0} samples: {heap / 1048576.0:N0} MiB heap, {stores.Sum(s => (long)s.BucketCount):N0} buckets");
            GC.KeepAlive(stores);
        }

        // Dense history: a day of targets whose loops all run every 5 s (17,280 samples a metric), as in the scale
        // scenario; what a node holding such targets keeps per target once a day has passed.
        {
            var targets = quick ? 20 : 100;
            var before = Measure.LiveHeap();
            var stores = Load(targets, targets * Workload.SamplesPerRound * 17_280);
            var heap = Measure.LiveHeap() - before;
            var size = stores.Sum(s => s.Count);
            Figures.Emit(scenario, "heap-bytes-per-target-day-at-5s", size, (double)heap / targets, "bytes");
            Figures.Emit(scenario, "heap-bytes-per-sample-at-5s", size, (double)heap / size, "bytes");
            Figures.Progress($"{scenario}: a day at 5 s intervals: {heap / 1048576.0 / targets:0.00} MiB per target ({size:N0} samples, {stores.Average(s => s.BucketCount):N0} buckets a target)");
            GC.KeepAlive(stores);
        }

        // The raw ring on its own: 2,000 series with 1 raw sample, then with 256, all in one bucket.
        var small = RawRingHeap(1);
        var large = RawRingHeap(256);
        Figures.Emit(scenario, "raw-ring-bytes-per-raw-sample", 2_000 * 255, (double)(large - small) / (2_000 * 255), "bytes");
    }

    private static List<MetricRollups> Load(int targets, int samples)
    {
        var random = new Random(5);
        var names = Workload.Messages.SelectMany(m => m).ToArray();
        var perSeries = samples / (targets * names.Length);
        var step = TimeSpan.FromDays(1).Ticks / perSeries;
        var start = Workload.End.UtcTicks - TimeSpan.FromDays(1).Ticks;
        var stores = new List<MetricRollups>(targets);
        for (var t = 0; t < targets; t++)
        {
            var rollups = new MetricRollups();
            for (var i = 0; i < perSeries; i++)
                foreach (var name in names)
                    rollups.Add(name, start + i * step + t, Workload.Value(name, random, i));
            stores.Add(rollups);
        }
        return stores;
    }

    private static long RawRingHeap(int raw)
    {
        var before = Measure.LiveHeap();
        var settings = new RollupSettings { RawSamplesPerMetric = raw };
        var series = Enumerable.Range(0, 2_000).Select(_ => new MetricSeries(settings)).ToArray();
        foreach (var s in series)
            for (var i = 0; i < 256; i++) s.Add(Workload.End.UtcTicks + i, i);
        var heap = Measure.LiveHeap() - before;
        GC.KeepAlive(series);
        return heap;
    }
}
