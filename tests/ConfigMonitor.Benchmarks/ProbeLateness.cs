using System.Diagnostics;

namespace ConfigMonitor.Benchmarks;

/// <summary>How late probes arrive against a fixed-rate schedule, measured where they arrive (the service's side).</summary>
public static class ProbeLateness
{
    /// <summary>
    /// How late each probe that arrived in [<paramref name="from"/>, <paramref name="to"/>) was, in ms. A target's probes tick
    /// at a fixed rate, so every probe is due at the same phase modulo <paramref name="period"/>; the due phase is taken as the
    /// earliest phase observed for the target (so the figure is conservative: it includes the request's own delivery time).
    /// Times are <see cref="Stopwatch.GetTimestamp"/> values (CLOCK_MONOTONIC on Linux, the same in every process).
    /// </summary>
    public static List<double> Of(IReadOnlyList<long> arrivals, TimeSpan period, long from, long to)
    {
        var result = new List<double>();
        if (arrivals.Count == 0) return result;
        var ticks = period.TotalSeconds * Stopwatch.Frequency;
        var phases = arrivals.Select(a =>
        {
            var d = (a - arrivals[0]) % ticks;
            return d > ticks / 2 ? d - ticks : d;
        }).ToArray();
        var due = phases.Min();
        for (var i = 0; i < arrivals.Count; i++)
            if (arrivals[i] >= from && arrivals[i] < to) result.Add((phases[i] - due) * 1000.0 / Stopwatch.Frequency);
        return result;
    }

    /// <summary>The <paramref name="q"/> quantile of an ascending list (NaN when empty).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
