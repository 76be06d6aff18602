using System.Runtime.InteropServices;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>How a target's history is rolled up; the defaults suit the seed's intervals and a 24 h retention.</summary>
public sealed record RollupSettings
{
    /// <summary>Width of the fine (recent) buckets.</summary>
    public TimeSpan FineBucket { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Width of the coarse buckets; a whole multiple of <see cref="FineBucket"/>.</summary>
    public TimeSpan CoarseBucket { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How far behind a metric's newest sample fine buckets are kept before they are merged into coarse ones.</summary>
    public TimeSpan FineHorizon { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Raw samples kept per metric (the newest ones, 16 bytes each), for the latest value and recent detail.</summary>
    public int RawSamplesPerMetric { get; init; } = 12;

    /// <summary>Throws when the widths do not nest.</summary>
    public RollupSettings Validated()
    {
        if (FineBucket <= TimeSpan.Zero || CoarseBucket < FineBucket || CoarseBucket.Ticks % FineBucket.Ticks != 0)
            throw new ArgumentException($"coarse bucket {CoarseBucket} must be a whole multiple of fine bucket {FineBucket}");
        if (RawSamplesPerMetric < 1) throw new ArgumentException("RawSamplesPerMetric must be at least 1");
        return this;
    }
}

/// <summary>One raw sample in 16 bytes: UTC ticks and value (the metric is the series it sits in).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public readonly record struct RawSample(long Ticks, double Value);

/// <summary>
/// The history of one metric of one target: fine buckets for the recent horizon, coarse buckets beyond it, and a
/// bounded ring of the newest raw samples. Memory and query cost depend on the number of buckets, not of samples.
/// <para>
/// A fine bucket is merged into its coarse bucket once it lies <see cref="RollupSettings.FineHorizon"/> behind the
/// newest sample, so the fine buckets cover exactly the horizon; the newest coarse bucket then holds only the minutes
/// merged so far, and a summary treats it as ending where the fine buckets begin.
/// </para>
/// </summary>
public sealed class MetricSeries
{
    private readonly long _fineTicks;
    private readonly long _coarseTicks;
    private readonly long _horizonTicks;
    private readonly List<RollupBucket> _fine = [];
    private readonly List<RollupBucket> _coarse = [];
    private RawSample[] _ring;
    private int _ringStart;
    private int _ringCount;
    private readonly int _ringCapacity;
    private long _mergedBefore = long.MinValue; // samples before this are in coarse buckets, later ones in fine buckets

    /// <summary>Creates an empty series.</summary>
    public MetricSeries(RollupSettings settings)
    {
        _fineTicks = settings.FineBucket.Ticks;
        _coarseTicks = settings.CoarseBucket.Ticks;
        _horizonTicks = settings.FineHorizon.Ticks;
        _ringCapacity = settings.RawSamplesPerMetric;
        _ring = new RawSample[Math.Min(4, _ringCapacity)];
    }

    /// <summary>Samples retained in the buckets.</summary>
    public long Count { get; private set; }

    /// <summary>The newest sample (by timestamp), if any.</summary>
    public RawSample? Latest { get; private set; }

    /// <summary>Fine and coarse buckets held.</summary>
    public int BucketCount => _fine.Count + _coarse.Count;

    /// <summary>The raw samples held, oldest arrival first.</summary>
    public IEnumerable<RawSample> Recent()
    {
        for (var i = 0; i < _ringCount; i++) yield return _ring[(_ringStart + i) % _ring.Length];
    }

    /// <summary>Adds one sample; non-finite values are ignored.</summary>
    public void Add(long ticks, double value)
    {
        if (!double.IsFinite(value)) return;
        Remember(ticks, value);
        Count++;
        if (ticks < _mergedBefore)
        {
            AddLate(_coarse, Floor(ticks, _coarseTicks), value);
            return;
        }
        var start = Floor(ticks, _fineTicks);
        var fine = CollectionsMarshal.AsSpan(_fine);
        if (fine.Length > 0 && fine[^1].StartTicks == start) fine[^1].Add(value);
        else if (fine.Length == 0 || start > fine[^1].StartTicks)
        {
            // The series moves on to a new minute: the one before it is complete, so it takes its compact form.
            if (fine.Length > 0) fine[^1].Seal();
            var bucket = new RollupBucket(start);
            bucket.Add(value);
            MakeRoom(_fine);
            _fine.Add(bucket);
        }
        else AddLate(_fine, start, value);
        if (Latest is { } newest) MergeFineOlderThan(Floor(newest.Ticks - _horizonTicks, _fineTicks));
    }

    /// <summary>
    /// Adds the buckets that overlap [<paramref name="fromTicks"/>, <paramref name="toTicks"/>] to the totals and the sketch.
    /// A bucket counts whole when any part of its interval [start, start + width) lies in the window.
    /// </summary>
    public void Summarize(long fromTicks, long toTicks, ref WindowTotals totals, QuantileSketch sketch)
    {
        AddOverlapping(_coarse, _coarseTicks, _mergedBefore, fromTicks, toTicks, ref totals, sketch);
        AddOverlapping(_fine, _fineTicks, long.MaxValue, fromTicks, toTicks, ref totals, sketch);
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the buckets <see cref="Summarize"/> counts for the same window, oldest first: the coarse
    /// ones (the newest of them ends where the fine ones begin), then the fine ones. Each comes with its nominal width and the
    /// end of the time it covers. The buckets are copies that share their distribution: read them, never change them.
    /// </summary>
    public void CollectOverlapping(long fromTicks, long toTicks, List<CollectedBucket> into)
    {
        Collect(_coarse, _coarseTicks, _mergedBefore, fromTicks, toTicks, into);
        Collect(_fine, _fineTicks, long.MaxValue, fromTicks, toTicks, into);
    }

    private static void Collect(List<RollupBucket> buckets, long width, long end, long fromTicks, long toTicks, List<CollectedBucket> into)
    {
        var span = CollectionsMarshal.AsSpan(buckets);
        for (var i = FirstStartingAtOrAfter(buckets, fromTicks - width + 1); i < span.Length; i++)
        {
            ref readonly var bucket = ref span[i];
            if (bucket.StartTicks > toTicks) break;
            var ends = Math.Min(bucket.StartTicks + width, end);
            if (ends <= fromTicks || bucket.Count == 0) continue;
            into.Add(new CollectedBucket(bucket, width, ends));
        }
    }

    /// <summary>Drops buckets that end at or before <paramref name="cutoffTicks"/> and older raw samples; returns the samples dropped.</summary>
    public long Prune(long cutoffTicks)
    {
        var removed = RemoveEndedBy(_coarse, _coarseTicks, cutoffTicks) + RemoveEndedBy(_fine, _fineTicks, cutoffTicks);
        Count -= removed;
        var kept = Recent().Where(s => s.Ticks >= cutoffTicks).ToArray();
        _ringStart = 0;
        _ringCount = 0;
        foreach (var s in kept) Push(s);
        if (Count == 0) Latest = null;
        return removed;
    }

    /// <summary>Writes the series compactly: bucket starts as deltas in bucket widths, values as doubles.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(Latest.HasValue);
        if (Latest is { } latest) { writer.Write(latest.Ticks); writer.Write(latest.Value); }
        writer.Write7BitEncodedInt(_ringCount);
        var previous = 0L;
        foreach (var s in Recent())
        {
            writer.Write7BitEncodedInt64(ZigZag(s.Ticks - previous));
            writer.Write(s.Value);
            previous = s.Ticks;
        }
        writer.Write(_mergedBefore);
        WriteBuckets(writer, _coarse, _coarseTicks);
        WriteBuckets(writer, _fine, _fineTicks);
    }

    /// <summary>Reads a series written by <see cref="WriteTo"/>.</summary>
    public static MetricSeries ReadFrom(BinaryReader reader, RollupSettings settings, int formatVersion)
    {
        var series = new MetricSeries(settings);
        if (reader.ReadBoolean()) series.Latest = new RawSample(reader.ReadInt64(), reader.ReadDouble());
        var raw = reader.Read7BitEncodedInt();
        var previous = 0L;
        for (var i = 0; i < raw; i++)
        {
            previous += UnZigZag(reader.Read7BitEncodedInt64());
            series.Push(new RawSample(previous, reader.ReadDouble()));
        }
        series._mergedBefore = reader.ReadInt64();
        series.Count = ReadBuckets(reader, series._coarse, series._coarseTicks, formatVersion)
            + ReadBuckets(reader, series._fine, series._fineTicks, formatVersion);
        // Every bucket but the newest minute is complete (version 1 wrote them all in their open form).
        foreach (ref var bucket in CollectionsMarshal.AsSpan(series._coarse)) bucket.Seal();
        foreach (ref var bucket in CollectionsMarshal.AsSpan(series._fine)[..Math.Max(0, series._fine.Count - 1)]) bucket.Seal();
        return series;
    }

    private void Remember(long ticks, double value)
    {
        var sample = new RawSample(ticks, value);
        if (Latest is not { } newest || ticks >= newest.Ticks) Latest = sample;
        Push(sample);
    }

    private void Push(RawSample sample)
    {
        if (_ringCount < _ringCapacity)
        {
            if (_ringCount == _ring.Length)
            {
                var grown = new RawSample[Math.Min(_ringCapacity, _ring.Length * 2)];
                for (var i = 0; i < _ringCount; i++) grown[i] = _ring[(_ringStart + i) % _ring.Length];
                _ring = grown;
                _ringStart = 0;
            }
            _ring[(_ringStart + _ringCount) % _ring.Length] = sample;
            _ringCount++;
            return;
        }
        _ring[_ringStart] = sample;
        _ringStart = (_ringStart + 1) % _ring.Length;
    }

    /// <summary>
    /// Merges the fine buckets that start before <paramref name="boundary"/> (minute-aligned, the fine horizon behind
    /// the newest sample) into their coarse buckets, a minute at a time: the fine buckets always cover the horizon and
    /// no more. A coarse bucket is sealed once its whole width is merged; the one still filling stays open.
    /// </summary>
    private void MergeFineOlderThan(long boundary)
    {
        if (boundary <= _mergedBefore) return;
        var merged = 0;
        var coarse = -1; // index in _coarse of the hour being filled
        while (merged < _fine.Count && _fine[merged].StartTicks < boundary)
        {
            var start = Floor(_fine[merged].StartTicks, _coarseTicks);
            if (coarse < 0 || _coarse[coarse].StartTicks != start)
            {
                if (coarse >= 0) CollectionsMarshal.AsSpan(_coarse)[coarse].Seal();
                coarse = Bucket(_coarse, start);
            }
            CollectionsMarshal.AsSpan(_coarse)[coarse].Merge(in CollectionsMarshal.AsSpan(_fine)[merged++]);
        }
        if (coarse >= 0 && _coarse[coarse].StartTicks + _coarseTicks <= boundary) CollectionsMarshal.AsSpan(_coarse)[coarse].Seal();
        _fine.RemoveRange(0, merged);
        _mergedBefore = boundary;
    }

    /// <summary>A sample for a bucket the series has already moved past: it opens that bucket and seals it again.</summary>
    private static void AddLate(List<RollupBucket> buckets, long start, double value)
    {
        ref var bucket = ref CollectionsMarshal.AsSpan(buckets)[Bucket(buckets, start)];
        bucket.Add(value);
        bucket.Seal();
    }

    /// <summary>The index of the bucket starting at <paramref name="start"/>, inserted in order when there is none.</summary>
    private static int Bucket(List<RollupBucket> buckets, long start)
    {
        if (buckets.Count > 0 && buckets[^1].StartTicks == start) return buckets.Count - 1;
        var at = FirstStartingAtOrAfter(buckets, start);
        if (at < buckets.Count && buckets[at].StartTicks == start) return at;
        MakeRoom(buckets);
        buckets.Insert(at, new RollupBucket(start));
        return at;
    }

    /// <summary>
    /// Grows a full list by a few slots, not by doubling: a series holds tens of buckets, each slot 48 bytes, so a doubled
    /// list would carry up to half its size empty.
    /// </summary>
    private static void MakeRoom(List<RollupBucket> buckets)
    {
        if (buckets.Count == buckets.Capacity) buckets.Capacity = buckets.Count + (buckets.Count < 8 ? 2 : 8);
    }

    /// <summary>Adds the buckets whose interval [start, min(start + width, end)) overlaps [from, to].</summary>
    private static void AddOverlapping(List<RollupBucket> buckets, long width, long end, long fromTicks, long toTicks,
        ref WindowTotals totals, QuantileSketch sketch)
    {
        var span = CollectionsMarshal.AsSpan(buckets);
        for (var i = FirstStartingAtOrAfter(buckets, fromTicks - width + 1); i < span.Length; i++)
        {
            ref readonly var bucket = ref span[i];
            if (bucket.StartTicks > toTicks) break;
            // The newest coarse bucket holds only the minutes merged so far: it ends where the fine buckets begin.
            if (Math.Min(bucket.StartTicks + width, end) <= fromTicks) continue;
            totals.Add(bucket);
            bucket.AddSketchTo(sketch);
        }
    }

    private static long RemoveEndedBy(List<RollupBucket> buckets, long width, long cutoffTicks)
    {
        var end = FirstStartingAtOrAfter(buckets, cutoffTicks - width + 1);
        long removed = 0;
        for (var i = 0; i < end; i++) removed += buckets[i].Count;
        buckets.RemoveRange(0, end);
        return removed;
    }

    private static int FirstStartingAtOrAfter(List<RollupBucket> buckets, long ticks)
    {
        int lo = 0, hi = buckets.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (buckets[mid].StartTicks < ticks) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static void WriteBuckets(BinaryWriter writer, List<RollupBucket> buckets, long width)
    {
        writer.Write7BitEncodedInt(buckets.Count);
        var previous = 0L;
        foreach (var bucket in buckets)
        {
            var slot = bucket.StartTicks / width;
            writer.Write7BitEncodedInt64(ZigZag(slot - previous));
            previous = slot;
            bucket.WriteTo(writer);
        }
    }

    private static long ReadBuckets(BinaryReader reader, List<RollupBucket> buckets, long width, int formatVersion)
    {
        var n = reader.Read7BitEncodedInt();
        var previous = 0L;
        long count = 0;
        buckets.Capacity = n;
        for (var i = 0; i < n; i++)
        {
            previous += UnZigZag(reader.Read7BitEncodedInt64());
            var bucket = formatVersion == 1 ? RollupBucket.ReadVersion1(reader, previous * width) : RollupBucket.ReadFrom(reader, previous * width);
            count += bucket.Count;
            buckets.Add(bucket);
        }
        return count;
    }

    private static long Floor(long ticks, long width) => ticks - (ticks % width + width) % width;
    private static long ZigZag(long v) => (v << 1) ^ (v >> 63);
    private static long UnZigZag(long v) => (long)((ulong)v >> 1) ^ -(v & 1);
}

/// <summary>Exact count, sum, min and max over the buckets of a window.</summary>
public struct WindowTotals
{
    /// <summary>Samples counted.</summary>
    public long Count;
    /// <summary>Their sum.</summary>
    public double Sum;
    /// <summary>The smallest (valid when Count &gt; 0).</summary>
    public double Min;
    /// <summary>The largest (valid when Count &gt; 0).</summary>
    public double Max;

    /// <summary>Adds a bucket's totals.</summary>
    public void Add(in RollupBucket bucket)
    {
        if (bucket.Count == 0) return;
        Min = Count == 0 ? bucket.Min : Math.Min(Min, bucket.Min);
        Max = Count == 0 ? bucket.Max : Math.Max(Max, bucket.Max);
        Count += bucket.Count;
        Sum += bucket.Sum;
    }
}

/// <summary>A bucket of a series read for a query: the bucket, its nominal width and where the time it covers ends (UTC ticks).</summary>
public readonly record struct CollectedBucket(RollupBucket Bucket, long WidthTicks, long EndTicks);
