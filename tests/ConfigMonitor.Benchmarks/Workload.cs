using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Benchmarks;

/// <summary>Generated samples shaped like the loops' output: the same metric names, message sizes 2, 3, 5 and 3.</summary>
public static class Workload
{
    /// <summary>The metrics a target records per round of its four loops, grouped as the loops send them.</summary>
    public static readonly string[][] Messages =
    [
        [MetricNames.ConfigAccessMs, MetricNames.ConfigAccessOk],
        [MetricNames.HealthOk, MetricNames.HealthProbeMs, MetricNames.ProcessMemoryMb],
        [MetricNames.CacheHitRate, MetricNames.CacheUsage, MetricNames.CacheSize, MetricNames.CacheRequestsTotal, MetricNames.CacheProbeOk],
        [MetricNames.DatabaseResponseMs, MetricNames.DatabaseOk, MetricNames.DatabaseRowCount],
    ];

    /// <summary>Samples per round of the four loops.</summary>
    public static readonly int SamplesPerRound = Messages.Sum(m => m.Length);

    /// <summary>The end of every generated history.</summary>
    public static readonly DateTimeOffset End = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A latency-like value: lognormal around 3 ms with 1 % stalls.</summary>
    public static double Latency(Random random)
    {
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return random.NextDouble() < 0.01 ? 200 + random.NextDouble() * 800 : Math.Exp(1.1 + 0.5 * normal);
    }

    /// <summary>A plausible value for <paramref name="metric"/>.</summary>
    public static double Value(string metric, Random random, long round) => metric switch
    {
        MetricNames.ConfigAccessOk or MetricNames.HealthOk or MetricNames.CacheProbeOk or MetricNames.DatabaseOk => 1,
        MetricNames.ProcessMemoryMb => 180 + random.NextDouble() * 40,
        MetricNames.CacheHitRate => 0.85 + random.NextDouble() * 0.1,
        MetricNames.CacheUsage => 0.4 + random.NextDouble() * 0.2,
        MetricNames.CacheSize => 40 + random.Next(20),
        MetricNames.CacheRequestsTotal => 100 * round,
        MetricNames.DatabaseRowCount => 25,
        _ => Latency(random),
    };

    /// <summary>The four messages of one round of a target's loops at <paramref name="at"/>.</summary>
    public static IEnumerable<MetricSample[]> Round(Random random, DateTimeOffset at, long round) =>
        Messages.Select(names => names.Select(n => new MetricSample(n, Value(n, random, round), at)).ToArray());
}
