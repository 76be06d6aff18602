namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// The rollup of one metric over one time bucket: exact count, sum, min and max, and the distribution. Up to
/// <see cref="ExactLimit"/> samples the bucket keeps their values exactly (8 bytes each, no sketch: a minute bucket of a
/// loop holds a handful); past that it keeps a <see cref="QuantileSketch"/>. So small buckets stay small and exact.
/// </summary>
public sealed class RollupBucket(long startTicks)
{
    /// <summary>The most samples a bucket keeps as exact values before it switches to a sketch.</summary>
    public const int ExactLimit = 16;

    private double[]? _values; // the exact values (insertion order) while 2 ≤ Count ≤ ExactLimit; Count 1 is Sum

    /// <summary>Start of the bucket, UTC ticks (aligned to the bucket width).</summary>
    public long StartTicks { get; } = startTicks;

    /// <summary>Samples in the bucket.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of the samples.</summary>
    public double Sum { get; private set; }

    /// <summary>Smallest sample.</summary>
    public double Min { get; private set; }

    /// <summary>Largest sample.</summary>
    public double Max { get; private set; }

    /// <summary>The quantile sketch; null while the bucket holds at most <see cref="ExactLimit"/> samples.</summary>
    public QuantileSketch? Sketch { get; private set; }

    /// <summary>Adds one finite value.</summary>
    public void Add(double value)
    {
        if (Count == 0)
        {
            Min = Max = Sum = value;
            Count = 1;
            return;
        }
        if (Sketch is null && Count < ExactLimit)
        {
            if (_values is null) _values = [Sum, 0];
            else if (_values.Length == Count) Array.Resize(ref _values, (int)Math.Min(ExactLimit, Count * 2));
            _values[Count] = value;
        }
        else
        {
            EnsureSketch().Add(value);
        }
        Count++;
        Sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
    }

    /// <summary>Adds everything in <paramref name="other"/> (a finer bucket inside this one).</summary>
    public void Merge(RollupBucket other)
    {
        if (other.Count == 0) return;
        if (other.Sketch is null)
        {
            for (var i = 0; i < other.Count; i++) Add(other.ExactValue(i));
            return;
        }
        EnsureSketch().Merge(other.Sketch);
        Min = Count == 0 ? other.Min : Math.Min(Min, other.Min);
        Max = Count == 0 ? other.Max : Math.Max(Max, other.Max);
        Count += other.Count;
        Sum += other.Sum;
    }

    /// <summary>Merges this bucket's distribution into <paramref name="target"/>.</summary>
    public void AddSketchTo(QuantileSketch target)
    {
        if (Sketch is not null)
        {
            target.Merge(Sketch);
            return;
        }
        for (var i = 0; i < Count; i++) target.Add(ExactValue(i));
    }

    /// <summary>Writes the bucket (its start is written by the caller): the exact values, or totals and sketch.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write7BitEncodedInt64(Count);
        if (Sketch is null)
        {
            for (var i = 0; i < Count; i++) writer.Write(ExactValue(i));
            return;
        }
        writer.Write(Sum);
        writer.Write(Min);
        writer.Write(Max);
        Sketch.WriteTo(writer);
    }

    /// <summary>Reads a bucket written by <see cref="WriteTo"/>.</summary>
    public static RollupBucket ReadFrom(BinaryReader reader, long startTicks)
    {
        var bucket = new RollupBucket(startTicks);
        var count = reader.Read7BitEncodedInt64();
        if (count <= ExactLimit)
        {
            // Adding in the written (insertion) order gives back the same sum to the last bit.
            for (var i = 0; i < count; i++) bucket.Add(reader.ReadDouble());
            return bucket;
        }
        bucket.Count = count;
        bucket.Sum = reader.ReadDouble();
        bucket.Min = reader.ReadDouble();
        bucket.Max = reader.ReadDouble();
        bucket.Sketch = QuantileSketch.ReadFrom(reader);
        if (bucket.Sketch.Count != count)
            throw new InvalidDataException($"rollup bucket counts {count} samples but its sketch {bucket.Sketch.Count}");
        return bucket;
    }

    private double ExactValue(int i) => Count == 1 ? Sum : _values![i];

    private QuantileSketch EnsureSketch()
    {
        if (Sketch is not null) return Sketch;
        var sketch = new QuantileSketch();
        for (var i = 0; i < Count; i++) sketch.Add(ExactValue(i));
        _values = null;
        return Sketch = sketch;
    }
}
