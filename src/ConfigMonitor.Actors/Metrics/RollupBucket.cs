namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// The rollup of one metric over one time bucket: exact count, sum, min and max, and a quantile sketch.
/// A bucket of one sample keeps no sketch (its value is Min = Max = Sum), which keeps sparse minute buckets small.
/// </summary>
public sealed class RollupBucket(long startTicks)
{
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

    /// <summary>The quantile sketch; null while the bucket holds fewer than two samples.</summary>
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
        if (Sketch is null) Sketch = QuantileSketch.Of(Sum);
        Sketch.Add(value);
        Count++;
        Sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
    }

    /// <summary>Adds everything in <paramref name="other"/> (a finer bucket inside this one).</summary>
    public void Merge(RollupBucket other)
    {
        if (other.Count == 0) return;
        if (Count == 0 && other.Count == 1)
        {
            Add(other.Sum);
            return;
        }
        if (Sketch is null)
        {
            Sketch = new QuantileSketch();
            if (Count == 1) Sketch.Add(Sum);
        }
        other.AddSketchTo(Sketch);
        Min = Count == 0 ? other.Min : Math.Min(Min, other.Min);
        Max = Count == 0 ? other.Max : Math.Max(Max, other.Max);
        Count += other.Count;
        Sum += other.Sum;
    }

    /// <summary>Merges this bucket's distribution into <paramref name="target"/>.</summary>
    public void AddSketchTo(QuantileSketch target)
    {
        if (Sketch is not null) target.Merge(Sketch);
        else if (Count == 1) target.Add(Sum);
    }

    /// <summary>Writes the bucket (its start is written by the caller).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write7BitEncodedInt64(Count);
        if (Count == 1)
        {
            writer.Write(Sum);
            return;
        }
        writer.Write(Sum);
        writer.Write(Min);
        writer.Write(Max);
        (Sketch ?? new QuantileSketch()).WriteTo(writer);
    }

    /// <summary>Reads a bucket written by <see cref="WriteTo"/>.</summary>
    public static RollupBucket ReadFrom(BinaryReader reader, long startTicks)
    {
        var bucket = new RollupBucket(startTicks) { Count = reader.Read7BitEncodedInt64() };
        if (bucket.Count == 1)
        {
            bucket.Sum = bucket.Min = bucket.Max = reader.ReadDouble();
            return bucket;
        }
        bucket.Sum = reader.ReadDouble();
        bucket.Min = reader.ReadDouble();
        bucket.Max = reader.ReadDouble();
        bucket.Sketch = QuantileSketch.ReadFrom(reader);
        if (bucket.Count > 1 && bucket.Sketch.Count != bucket.Count)
            throw new InvalidDataException($"rollup bucket counts {bucket.Count} samples but its sketch {bucket.Sketch.Count}");
        return bucket;
    }
}
