namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// The rolled-up metric history of one target: a <see cref="MetricSeries"/> per metric. Pure logic beside the
/// MetricsStore actor; a summary costs the number of buckets in its window, never the number of samples.
/// </summary>
public sealed class MetricRollups
{
    private const byte FormatVersion = 2; // 2: buckets in their sealed form; 1 (exact values or a full sketch) is still read

    private readonly RollupSettings _settings;
    private readonly Dictionary<string, MetricSeries> _byMetric = new(StringComparer.Ordinal);
    private readonly QuantileSketch _merged = new(); // reused by every summary, so a query allocates nothing but its answer
    private string? _lastMetric;
    private MetricSeries? _lastSeries;

    /// <summary>Creates an empty history.</summary>
    public MetricRollups(RollupSettings? settings = null) => _settings = (settings ?? new RollupSettings()).Validated();

    /// <summary>Samples retained over all metrics (at bucket resolution).</summary>
    public long Count { get; private set; }

    /// <summary>Buckets held over all metrics (what memory and snapshots scale with).</summary>
    public int BucketCount => _byMetric.Values.Sum(s => s.BucketCount);

    /// <summary>Metrics with history.</summary>
    public int MetricCount => _byMetric.Count;

    /// <summary>Adds samples; non-finite values are ignored; out-of-order samples land in their own bucket.</summary>
    public void Add(IEnumerable<MetricSample> samples)
    {
        foreach (var sample in samples) Add(sample.Metric, sample.Timestamp.UtcTicks, sample.Value);
    }

    /// <summary>Adds one sample of <paramref name="metric"/> at <paramref name="utcTicks"/>.</summary>
    public void Add(string metric, long utcTicks, double value)
    {
        if (!double.IsFinite(value)) return;
        var series = SeriesOf(metric);
        series.Add(utcTicks, value);
        Count++;
    }

    /// <summary>The newest sample of every metric, ordered by metric name.</summary>
    public IReadOnlyList<MetricSample> Latest() =>
        _byMetric.Where(kv => kv.Value.Latest.HasValue)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => ToSample(kv.Key, kv.Value.Latest!.Value))
            .ToList();

    /// <summary>The raw samples still held for <paramref name="metric"/> (at most RawSamplesPerMetric), in arrival order.</summary>
    public IReadOnlyList<MetricSample> Recent(string metric) =>
        _byMetric.TryGetValue(metric, out var series) ? series.Recent().Select(s => ToSample(metric, s)).ToList() : [];

    /// <summary>
    /// Summary of <paramref name="metric"/> over the window [from, to], at bucket resolution: every bucket whose interval
    /// [start, start + width) overlaps the window counts whole, so the window is widened to the bucket edges around it
    /// (to the minute within the fine horizon, to the hour beyond). Count, average, min and max are exact over those
    /// buckets; p50/p95/p99 come from their merged sketches (relative error ≤ <see cref="QuantileSketch.RelativeAccuracy"/>).
    /// </summary>
    public MetricsQueries.MetricSummary Summarize(string targetId, string metric, DateTimeOffset from, DateTimeOffset to)
    {
        var totals = new WindowTotals();
        _merged.Clear();
        if (_byMetric.TryGetValue(metric, out var series)) series.Summarize(from.UtcTicks, to.UtcTicks, ref totals, _merged);
        if (totals.Count == 0) return new(targetId, metric, from, to, 0, null, null, null, null, null, null);
        return new(targetId, metric, from, to, totals.Count, totals.Sum / totals.Count, totals.Min, totals.Max,
            Clamp(_merged.Quantile(0.50), totals), Clamp(_merged.Quantile(0.95), totals), Clamp(_merged.Quantile(0.99), totals));
    }

    /// <summary>
    /// The buckets of <paramref name="metric"/> over the window [from, to] as chart points, oldest first: exactly the buckets
    /// <see cref="Summarize"/> counts (1-minute buckets within the fine horizon, hourly ones before it, empty ones absent), each
    /// with its exact count, average, min and max and the p95/p99 of its own sketch. More than <paramref name="maxPoints"/>
    /// buckets are merged into cells of a whole number of the widest bucket width (merging is exact), so the answer stays bounded.
    /// The overall summary is <see cref="Summarize"/> of the same window, so the two can never disagree.
    /// </summary>
    public MetricsQueries.MetricSeriesAnswer Series(string targetId, string metric, DateTimeOffset from, DateTimeOffset to, int maxPoints)
    {
        var overall = Summarize(targetId, metric, from, to);
        var buckets = new List<CollectedBucket>();
        if (_byMetric.TryGetValue(metric, out var series)) series.CollectOverlapping(from.UtcTicks, to.UtcTicks, buckets);
        if (buckets.Count > Math.Max(1, maxPoints)) buckets = Coarsened(buckets, Math.Max(1, maxPoints));
        var points = new List<MetricsQueries.SeriesPoint>(buckets.Count);
        long widest = 0;
        foreach (var (bucket, width, end) in buckets)
        {
            widest = Math.Max(widest, width);
            _merged.Clear();
            bucket.AddSketchTo(_merged);
            var totals = new WindowTotals();
            totals.Add(bucket);
            points.Add(new MetricsQueries.SeriesPoint(
                new DateTimeOffset(bucket.StartTicks, TimeSpan.Zero), (end - bucket.StartTicks) / TimeSpan.TicksPerSecond,
                bucket.Count, bucket.Sum / bucket.Count, bucket.Min, bucket.Max,
                Clamp(_merged.Quantile(0.95), totals) ?? bucket.Max, Clamp(_merged.Quantile(0.99), totals) ?? bucket.Max));
        }
        return new MetricsQueries.MetricSeriesAnswer(targetId, metric, from, to, widest / TimeSpan.TicksPerSecond, points, overall);
    }

    /// <summary>
    /// Merges neighbouring buckets into cells of k times the widest width (aligned to it, so every bucket falls in one cell),
    /// with the smallest k that leaves at most <paramref name="maxPoints"/> cells.
    /// </summary>
    private static List<CollectedBucket> Coarsened(List<CollectedBucket> buckets, int maxPoints)
    {
        var unit = buckets.Max(b => b.WidthTicks);
        var span = buckets[^1].EndTicks - buckets[0].Bucket.StartTicks;
        var k = Math.Max(1, (long)Math.Ceiling(span / ((double)unit * Math.Max(1, maxPoints - 1))));
        while (Cells(buckets, unit * k) > maxPoints) k++;
        var width = unit * k;
        var cells = new List<CollectedBucket>();
        RollupBucket? cell = null;
        long cellEnd = 0;
        foreach (var (bucket, _, end) in buckets)
        {
            var start = Floor(bucket.StartTicks, width);
            if (cell is not { } open || open.StartTicks != start)
            {
                if (cell is { } done) cells.Add(new CollectedBucket(done, width, cellEnd));
                cell = new RollupBucket(start);
                cellEnd = 0;
            }
            var merging = cell.Value;
            merging.Merge(in bucket);
            cell = merging;
            cellEnd = Math.Max(cellEnd, end);
        }
        if (cell is { } last) cells.Add(new CollectedBucket(last, width, cellEnd));
        return cells;
    }

    private static int Cells(List<CollectedBucket> buckets, long width)
    {
        var cells = 0;
        var previous = long.MinValue;
        foreach (var b in buckets)
        {
            var start = Floor(b.Bucket.StartTicks, width);
            if (start != previous) cells++;
            previous = start;
        }
        return cells;
    }

    private static long Floor(long ticks, long width) => ticks - (ticks % width + width) % width;

    /// <summary>Drops buckets that end at or before <paramref name="cutoff"/> (and forgets metrics left empty); returns the samples dropped.</summary>
    public long Prune(DateTimeOffset cutoff)
    {
        long removed = 0;
        foreach (var (metric, series) in _byMetric.ToList())
        {
            removed += series.Prune(cutoff.UtcTicks);
            if (series.Count == 0) _byMetric.Remove(metric);
        }
        _lastMetric = null;
        _lastSeries = null;
        Count -= removed;
        return removed;
    }

    /// <summary>The whole history in the compact binary snapshot format (version byte, then one series per metric).</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(_settings.FineBucket.Ticks);
            writer.Write(_settings.CoarseBucket.Ticks);
            writer.Write7BitEncodedInt(_byMetric.Count);
            foreach (var (metric, series) in _byMetric.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.Write(metric);
                series.WriteTo(writer);
            }
        }
        return stream.ToArray();
    }

    /// <summary>Restores a history written by <see cref="ToBytes"/>; bucket widths must match the settings.</summary>
    public static MetricRollups FromBytes(byte[] bytes, RollupSettings? settings = null)
    {
        var rollups = new MetricRollups(settings);
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        var version = reader.ReadByte();
        if (version is not (1 or FormatVersion)) throw new InvalidDataException($"metric rollup snapshot version {version} is not known (expected {FormatVersion})");
        var fine = reader.ReadInt64();
        var coarse = reader.ReadInt64();
        if (fine != rollups._settings.FineBucket.Ticks || coarse != rollups._settings.CoarseBucket.Ticks)
            throw new InvalidDataException(
                $"metric rollup snapshot has buckets of {TimeSpan.FromTicks(fine)}/{TimeSpan.FromTicks(coarse)}, the store is set to " +
                $"{rollups._settings.FineBucket}/{rollups._settings.CoarseBucket}");
        var metrics = reader.Read7BitEncodedInt();
        for (var i = 0; i < metrics; i++)
        {
            var name = reader.ReadString();
            var series = MetricSeries.ReadFrom(reader, rollups._settings, version);
            rollups._byMetric[name] = series;
            rollups.Count += series.Count;
        }
        return rollups;
    }

    private MetricSeries SeriesOf(string metric)
    {
        // Loops send the same few metrics over and over: the last one is the likeliest.
        if (ReferenceEquals(metric, _lastMetric) && _lastSeries is not null) return _lastSeries;
        if (!_byMetric.TryGetValue(metric, out var series)) _byMetric[metric] = series = new MetricSeries(_settings);
        _lastMetric = metric;
        _lastSeries = series;
        return series;
    }

    // Exact min and max bound every quantile, and pulling an estimate towards them only brings it closer to the truth.
    private static double? Clamp(double? estimate, WindowTotals totals) =>
        estimate is { } v ? Math.Clamp(v, totals.Min, totals.Max) : null;

    private static MetricSample ToSample(string metric, RawSample sample) =>
        new(metric, sample.Value, new DateTimeOffset(sample.Ticks, TimeSpan.Zero));
}
