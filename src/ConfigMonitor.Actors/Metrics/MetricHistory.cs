namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// Every sample of one target, per metric in time order, with exact summaries that scan the window. The MetricsStore
/// no longer uses it (see <see cref="MetricRollups"/>): it stays as the exact reference for tests and benchmarks.
/// </summary>
public sealed class MetricHistory
{
    private readonly SortedDictionary<string, List<MetricSample>> _byMetric = new(StringComparer.Ordinal);

    /// <summary>Samples retained over all metrics.</summary>
    public int Count { get; private set; }

    /// <summary>Adds samples; out-of-order timestamps are placed in order.</summary>
    public void Add(IEnumerable<MetricSample> samples)
    {
        foreach (var sample in samples)
        {
            if (!double.IsFinite(sample.Value)) continue;
            if (!_byMetric.TryGetValue(sample.Metric, out var list)) _byMetric[sample.Metric] = list = [];
            if (list.Count == 0 || list[^1].Timestamp <= sample.Timestamp) list.Add(sample);
            else list.Insert(UpperBound(list, sample.Timestamp), sample);
            Count++;
        }
    }

    /// <summary>The newest sample of every metric, ordered by metric name.</summary>
    public IReadOnlyList<MetricSample> Latest() => _byMetric.Values.Where(l => l.Count > 0).Select(l => l[^1]).ToList();

    /// <summary>Every retained sample, for a snapshot.</summary>
    public IReadOnlyList<MetricSample> All() => _byMetric.Values.SelectMany(l => l).ToList();

    /// <summary>Summary of <paramref name="metric"/> for samples with from &lt;= timestamp &lt;= to.</summary>
    public MetricsQueries.MetricSummary Summarize(string targetId, string metric, DateTimeOffset from, DateTimeOffset to)
    {
        var values = new List<double>();
        if (_byMetric.TryGetValue(metric, out var list))
            for (var i = LowerBound(list, from); i < list.Count && list[i].Timestamp <= to; i++)
                values.Add(list[i].Value);
        if (values.Count == 0)
            return new(targetId, metric, from, to, 0, null, null, null, null, null, null);
        values.Sort();
        return new(targetId, metric, from, to, values.Count, values.Average(), values[0], values[^1],
            Percentile(values, 0.50), Percentile(values, 0.95), Percentile(values, 0.99));
    }

    /// <summary>Drops samples older than <paramref name="cutoff"/>; returns how many.</summary>
    public int Prune(DateTimeOffset cutoff)
    {
        var removed = 0;
        foreach (var (metric, list) in _byMetric.ToList())
        {
            var keepFrom = LowerBound(list, cutoff);
            list.RemoveRange(0, keepFrom);
            removed += keepFrom;
            if (list.Count == 0) _byMetric.Remove(metric);
        }
        Count -= removed;
        return removed;
    }

    // Nearest-rank percentile over sorted values.
    private static double Percentile(List<double> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int LowerBound(List<MetricSample> list, DateTimeOffset t)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (list[mid].Timestamp < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static int UpperBound(List<MetricSample> list, DateTimeOffset t)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (list[mid].Timestamp <= t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
