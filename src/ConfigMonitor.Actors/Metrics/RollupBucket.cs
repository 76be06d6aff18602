namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// The rollup of one metric over one time bucket: exact count, sum, min and max, and the distribution.
/// <para>
/// The distribution takes the least memory that still answers it: nothing at all while the bucket's values follow from
/// its totals (one or two values, or all values equal — most "ok" flags and counters); the exact values up to
/// <see cref="ExactLimit"/> of them; a <see cref="QuantileSketch"/> past that. A bucket the series has moved past is
/// <see cref="Seal">sealed</see>: exact values shrink to single precision (7 significant digits, far inside the sketch's
/// 1 % bound) and a sketch to its packed bins. A sealed bucket that receives a late sample is opened again.
/// </para>
/// <para>
/// A struct of 48 bytes, held inline in its series' lists (no object header or reference per bucket): change it through
/// a reference (<c>ref</c> into the list's span), never through a copy.
/// </para>
/// </summary>
public struct RollupBucket(long startTicks)
{
    /// <summary>The most samples a bucket keeps as exact values before it switches to a sketch.</summary>
    public const int ExactLimit = 16;

    // null (values implied by the totals) | double[] (open, exact) | float[] (sealed, exact, Count long)
    // | QuantileSketch (open) | byte[] (sealed, packed sketch)
    private object? _distribution;

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

    /// <summary>True when the distribution is a sketch (more than <see cref="ExactLimit"/> samples, not all equal).</summary>
    public readonly bool HoldsSketch => _distribution is QuantileSketch or byte[];

    /// <summary>True when the bucket is in its compact read-mostly form.</summary>
    public readonly bool IsSealed => _distribution is null or float[] or byte[];

    private readonly bool Implied => Count <= 2 || Min == Max;

    /// <summary>Adds one finite value.</summary>
    public void Add(double value)
    {
        if (Count == 0)
        {
            Min = Max = Sum = value;
            Count = 1;
            return;
        }
        var min = Math.Min(Min, value);
        var max = Math.Max(Max, value);
        if (Count + 1 > 2 && min != max)
        {
            if (HoldsSketch || Count + 1 > ExactLimit) OpenSketch().Add(value);
            else OpenExact((int)Count + 1)[Count] = value;
        }
        Count++;
        Sum += value;
        Min = min;
        Max = max;
    }

    /// <summary>Adds everything in <paramref name="other"/> (a finer bucket inside this one); totals stay exact.</summary>
    public void Merge(in RollupBucket other)
    {
        if (other.Count == 0) return;
        if (Count == 0)
        {
            Min = other.Min;
            Max = other.Max;
        }
        var count = Count + other.Count;
        var min = Math.Min(Min, other.Min);
        var max = Math.Max(Max, other.Max);
        if (count > 2 && min != max)
        {
            if (HoldsSketch || other.HoldsSketch || count > ExactLimit) other.AddSketchTo(OpenSketch());
            else other.CopyExactTo(OpenExact((int)count).AsSpan((int)Count));
        }
        Count = count;
        Sum += other.Sum;
        Min = min;
        Max = max;
    }

    /// <summary>Shrinks the distribution to its compact form (the bucket stays readable and can be opened again).</summary>
    public void Seal()
    {
        switch (_distribution)
        {
            case double[] values:
                if (Implied)
                {
                    _distribution = null;
                    break;
                }
                var floats = new float[Count];
                for (var i = 0; i < floats.Length; i++) floats[i] = (float)values[i];
                _distribution = floats;
                break;
            case QuantileSketch sketch:
                _distribution = Min == Max ? null : sketch.Pack();
                break;
        }
    }

    /// <summary>Merges this bucket's distribution into <paramref name="target"/>.</summary>
    public readonly void AddSketchTo(QuantileSketch target)
    {
        switch (_distribution)
        {
            case QuantileSketch sketch: target.Merge(sketch); break;
            case byte[] packed: target.MergePacked(packed); break;
            case null when Count > 2: target.Add(Min, Count); break;
            default:
                Span<double> values = stackalloc double[ExactLimit];
                var n = CopyExactTo(values);
                for (var i = 0; i < n; i++) target.Add(values[i]);
                break;
        }
    }

    /// <summary>Writes the bucket (its start is written by the caller): count, totals and the distribution in its current form.</summary>
    public readonly void WriteTo(BinaryWriter writer)
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
        switch (_distribution)
        {
            case null:
                writer.Write((byte)0);
                break;
            case float[] floats:
                writer.Write((byte)1);
                foreach (var f in floats) writer.Write(f);
                break;
            case double[] values:
                writer.Write((byte)2);
                for (var i = 0; i < Count; i++) writer.Write(values[i]);
                break;
            case QuantileSketch sketch:
                WritePacked(writer, sketch.Pack());
                break;
            case byte[] packed:
                WritePacked(writer, packed);
                break;
        }
    }

    /// <summary>Reads a bucket written by <see cref="WriteTo"/>.</summary>
    public static RollupBucket ReadFrom(BinaryReader reader, long startTicks)
    {
        var bucket = new RollupBucket(startTicks) { Count = reader.Read7BitEncodedInt64() };
        if (bucket.Count < 1) throw new InvalidDataException($"rollup bucket with {bucket.Count} samples");
        bucket.Sum = reader.ReadDouble();
        if (bucket.Count == 1)
        {
            bucket.Min = bucket.Max = bucket.Sum;
            return bucket;
        }
        bucket.Min = reader.ReadDouble();
        bucket.Max = reader.ReadDouble();
        var kind = reader.ReadByte();
        switch (kind)
        {
            case 0:
                break;
            case 1 or 2 when bucket.Count <= ExactLimit:
                if (kind == 1)
                {
                    var floats = new float[bucket.Count];
                    for (var i = 0; i < floats.Length; i++) floats[i] = reader.ReadSingle();
                    bucket._distribution = floats;
                }
                else
                {
                    var values = new double[bucket.Count];
                    for (var i = 0; i < values.Length; i++) values[i] = reader.ReadDouble();
                    bucket._distribution = values;
                }
                break;
            case 3:
                var packed = reader.ReadBytes(reader.Read7BitEncodedInt());
                var count = QuantileSketch.PackedCount(packed);
                if (count != bucket.Count)
                    throw new InvalidDataException($"rollup bucket counts {bucket.Count} samples but its sketch {count}");
                bucket._distribution = packed;
                break;
            default:
                throw new InvalidDataException($"rollup bucket of {bucket.Count} samples has distribution kind {kind}");
        }
        return bucket;
    }

    /// <summary>Reads a bucket in the version-1 snapshot format (exact values up to the limit, else totals and sketch).</summary>
    public static RollupBucket ReadVersion1(BinaryReader reader, long startTicks)
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
        var sketch = QuantileSketch.ReadFrom(reader);
        if (sketch.Count != count)
            throw new InvalidDataException($"rollup bucket counts {count} samples but its sketch {sketch.Count}");
        bucket._distribution = sketch;
        return bucket;
    }

    private static void WritePacked(BinaryWriter writer, byte[] packed)
    {
        writer.Write((byte)3);
        writer.Write7BitEncodedInt(packed.Length);
        writer.Write(packed);
    }

    /// <summary>The distribution as a writable sketch (the values so far, from whatever form they were in).</summary>
    private QuantileSketch OpenSketch()
    {
        if (_distribution is QuantileSketch open) return open;
        var sketch = new QuantileSketch();
        AddSketchTo(sketch);
        _distribution = sketch;
        return sketch;
    }

    /// <summary>The distribution as writable exact values with room for <paramref name="needed"/> (≤ <see cref="ExactLimit"/>).</summary>
    private double[] OpenExact(int needed)
    {
        if (_distribution is double[] open)
        {
            if (open.Length >= needed) return open;
            var grown = new double[Math.Min(ExactLimit, Math.Max(needed, open.Length + open.Length / 2 + 2))];
            open.CopyTo(grown, 0);
            _distribution = grown;
            return grown;
        }
        var values = new double[Math.Min(ExactLimit, needed + 3)];
        CopyExactTo(values);
        _distribution = values;
        return values;
    }

    /// <summary>Copies the exact values (only when the bucket holds no sketch) and returns how many.</summary>
    private readonly int CopyExactTo(Span<double> destination)
    {
        switch (_distribution)
        {
            case double[] values:
                values.AsSpan(0, (int)Count).CopyTo(destination);
                break;
            case float[] floats:
                for (var i = 0; i < floats.Length; i++) destination[i] = floats[i];
                break;
            case null when Count <= 2:
                destination[0] = Count == 1 ? Sum : Min;
                if (Count == 2) destination[1] = Max;
                break;
            case null:
                destination[..(int)Count].Fill(Min);
                break;
            default:
                throw new InvalidOperationException("the bucket holds a sketch, not exact values");
        }
        return (int)Count;
    }
}
