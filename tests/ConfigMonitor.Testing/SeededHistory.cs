using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Testing;

/// <summary>
/// A deterministic history of one timing metric for tests: a sample every <c>every</c> (30 s by default) over the
/// <c>length</c> before <c>end</c>, read-time-like values (a daily swing, an exponential tail and a rare slow read), optionally
/// with a gap where no sample was taken. The same arguments give the same samples.
/// </summary>
public static class SeededHistory
{
    /// <summary>The samples, oldest first; none in [gapFrom, gapFrom + gapLength).</summary>
    public static IReadOnlyList<MetricSample> Of(string metric, DateTimeOffset end, TimeSpan length, TimeSpan? every = null,
        DateTimeOffset? gapFrom = null, TimeSpan gapLength = default, int seed = 12)
    {
        var step = every ?? TimeSpan.FromSeconds(30);
        var random = new Random(seed);
        var samples = new List<MetricSample>();
        for (var at = end - length; at < end; at += step)
        {
            var tail = -Math.Log(1 - random.NextDouble()) * 3;
            var slow = random.NextDouble() < 0.01 ? 40 + random.NextDouble() * 40 : 0;
            var value = Math.Round(8 + 4 * Math.Sin(at.TimeOfDay.TotalHours / 24 * 2 * Math.PI) + tail + slow, 3);
            if (gapFrom is { } g && at >= g && at < g + gapLength) continue;
            samples.Add(new MetricSample(metric, value, at));
        }
        return samples;
    }

    /// <summary>A day of <paramref name="metric"/> ending at <paramref name="end"/>, a sample every 30 s (2,880 samples).</summary>
    public static IReadOnlyList<MetricSample> Day(string metric, DateTimeOffset end) => Of(metric, end, TimeSpan.FromHours(24));
}
