using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// A mergeable quantile sketch in the style of DDSketch (Masson, Rim, Lee, VLDB 2019): values fall into logarithmic
/// bins of ratio γ = (1 + α) / (1 − α), and a quantile answers the middle of its bin.
/// <para>
/// Error bound: for every quantile q, the estimate x̂ of the exact nearest-rank value x (the ⌈q·n⌉-th smallest)
/// satisfies |x̂ − x| ≤ α·|x| with α = <see cref="RelativeAccuracy"/> = 0.01, for every sample count, as long as the
/// bins were never collapsed. The bin count is bounded by <see cref="MaxBins"/> per sign; past it the lowest bins are
/// collapsed into one, which only loosens the lowest quantiles (with α = 1 % that takes a value range of e^40,
/// far wider than any metric we record). Values with |x| below <see cref="MinIndexable"/> count as zero.
/// Merging two sketches gives exactly the sketch of the union, so the bound survives merging.
/// </para>
/// Pure logic beside the MetricsStore: not thread-safe, owned by one rollup bucket.
/// </summary>
public sealed class QuantileSketch
{
    /// <summary>The relative accuracy α of every quantile.</summary>
    public const double RelativeAccuracy = 0.01;

    /// <summary>The most bins per sign (positive, negative) before the lowest are collapsed.</summary>
    public const int MaxBins = 2048;

    /// <summary>Magnitudes below this count as zero.</summary>
    public const double MinIndexable = 1e-9;

    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double InverseLogGamma = 1 / Math.Log(Gamma);

    private BinStore _positive;
    private BinStore _negative;
    private long _zeroCount;

    /// <summary>Values added (or merged) so far.</summary>
    public long Count => _positive.Total + _negative.Total + _zeroCount;

    /// <summary>Adds one value; non-finite values are ignored.</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value)) return;
        if (value > MinIndexable) _positive.Add(IndexOf(value), 1);
        else if (value < -MinIndexable) _negative.Add(IndexOf(-value), 1);
        else _zeroCount++;
    }

    /// <summary>Adds <paramref name="value"/> <paramref name="count"/> times; non-finite values are ignored.</summary>
    public void Add(double value, long count)
    {
        if (!double.IsFinite(value) || count <= 0) return;
        var n = (int)Math.Min(count, int.MaxValue);
        if (value > MinIndexable) _positive.Add(IndexOf(value), n);
        else if (value < -MinIndexable) _negative.Add(IndexOf(-value), n);
        else _zeroCount += n;
    }

    /// <summary>
    /// The sketch in its packed, read-only form: per sign the used bins as one run of counts of 1, 2 or 4 bytes each
    /// (whichever holds the largest), so a sealed hour of a few hundred bins takes a few hundred bytes and merges
    /// into another sketch by a vectorised add.
    /// </summary>
    public byte[] Pack()
    {
        var (positiveWidth, negativeWidth) = (_positive.CountWidth(), _negative.CountWidth());
        var packed = new byte[8 + _positive.PackedSize(positiveWidth) + _negative.PackedSize(negativeWidth)];
        BinaryPrimitives.WriteInt64LittleEndian(packed, _zeroCount);
        var at = 8;
        at += _positive.PackInto(packed.AsSpan(at), positiveWidth);
        _negative.PackInto(packed.AsSpan(at), negativeWidth);
        return packed;
    }

    /// <summary>A writable sketch from its <see cref="Pack">packed</see> form.</summary>
    public static QuantileSketch Unpack(byte[] packed)
    {
        var sketch = new QuantileSketch();
        sketch.MergePacked(packed);
        return sketch;
    }

    /// <summary>Adds every value of a <see cref="Pack">packed</see> sketch to this one.</summary>
    public void MergePacked(ReadOnlySpan<byte> packed)
    {
        _zeroCount += BinaryPrimitives.ReadInt64LittleEndian(packed);
        var at = 8;
        at += _positive.MergePacked(packed[at..]);
        _negative.MergePacked(packed[at..]);
    }

    /// <summary>The number of values in a <see cref="Pack">packed</see> sketch (checks its layout on the way).</summary>
    public static long PackedCount(ReadOnlySpan<byte> packed)
    {
        if (packed.Length < 8) throw new InvalidDataException($"packed quantile sketch of {packed.Length} bytes");
        var count = BinaryPrimitives.ReadInt64LittleEndian(packed);
        var at = 8;
        for (var sign = 0; sign < 2; sign++)
        {
            var (total, length) = BinStore.ReadPackedHeader(packed[at..]);
            count += total;
            at += length;
        }
        if (at != packed.Length) throw new InvalidDataException($"packed quantile sketch has {packed.Length - at} bytes left over");
        return count;
    }

    /// <summary>Adds every value of <paramref name="other"/> to this sketch.</summary>
    public void Merge(QuantileSketch other)
    {
        _positive.Merge(in other._positive);
        _negative.Merge(in other._negative);
        _zeroCount += other._zeroCount;
    }

    /// <summary>The nearest-rank q-quantile (0 ≤ q ≤ 1) within the relative accuracy; null when empty.</summary>
    public double? Quantile(double q)
    {
        var count = Count;
        if (count == 0) return null;
        // Nearest rank: the ⌈q·n⌉-th smallest value (1-based), as MetricHistory computes it exactly.
        var rank = Math.Clamp((long)Math.Ceiling(q * count), 1, count);
        if (rank <= _negative.Total)
            return -ValueOf(_negative.IndexOfRankFromTop(rank));
        rank -= _negative.Total;
        if (rank <= _zeroCount) return 0;
        rank -= _zeroCount;
        return ValueOf(_positive.IndexOfRank(rank));
    }

    /// <summary>Writes the sketch compactly (varints, bins as a dense run).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write7BitEncodedInt64(_zeroCount);
        _positive.WriteTo(writer);
        _negative.WriteTo(writer);
    }

    /// <summary>Reads a sketch written by <see cref="WriteTo"/>.</summary>
    public static QuantileSketch ReadFrom(BinaryReader reader)
    {
        var sketch = new QuantileSketch { _zeroCount = reader.Read7BitEncodedInt64() };
        sketch._positive.ReadFrom(reader);
        sketch._negative.ReadFrom(reader);
        return sketch;
    }

    /// <summary>A sketch of one value (what a bucket of one sample holds).</summary>
    public static QuantileSketch Of(double value)
    {
        var sketch = new QuantileSketch();
        sketch.Add(value);
        return sketch;
    }

    /// <summary>Clears every bin, keeping the allocated storage (for a reused merge buffer).</summary>
    public void Clear()
    {
        _positive.Clear();
        _negative.Clear();
        _zeroCount = 0;
    }

    private static int IndexOf(double magnitude) => (int)Math.Ceiling(Math.Log(magnitude) * InverseLogGamma);

    // The middle of bin i = (γ^(i−1), γ^i] in relative terms: every value of the bin is within α of it.
    private static double ValueOf(int index) => 2 * Math.Pow(Gamma, index) / (Gamma + 1);

    /// <summary>Vectorised element-wise adds of bin counts.</summary>
    private static class Bins
    {
        public static void Add(Span<int> destination, ReadOnlySpan<int> source)
        {
            var i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var d = ref MemoryMarshal.GetReference(destination);
                ref var s = ref MemoryMarshal.GetReference(source);
                for (; i <= source.Length - 4; i += 4)
                    (Vector128.LoadUnsafe(ref d, (nuint)i) + Vector128.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            }
            for (; i < source.Length; i++) destination[i] += source[i];
        }

        public static void Add(Span<int> destination, ReadOnlySpan<ushort> source)
        {
            var i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var d = ref MemoryMarshal.GetReference(destination);
                ref var s = ref MemoryMarshal.GetReference(source);
                for (; i <= source.Length - 8; i += 8) AddWidened(ref d, (nuint)i, Vector128.LoadUnsafe(ref s, (nuint)i));
            }
            for (; i < source.Length; i++) destination[i] += source[i];
        }

        public static void Add(Span<int> destination, ReadOnlySpan<byte> source)
        {
            var i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                ref var d = ref MemoryMarshal.GetReference(destination);
                ref var s = ref MemoryMarshal.GetReference(source);
                for (; i <= source.Length - 16; i += 16)
                {
                    var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                    AddWidened(ref d, (nuint)i, low);
                    AddWidened(ref d, (nuint)i + 8, high);
                }
            }
            for (; i < source.Length; i++) destination[i] += source[i];
        }

        /// <summary>Adds eight 16-bit counts to the eight ints at <paramref name="at"/>.</summary>
        private static void AddWidened(ref int destination, nuint at, Vector128<ushort> counts)
        {
            var (lower, upper) = Vector128.Widen(counts);
            (Vector128.LoadUnsafe(ref destination, at) + lower.AsInt32()).StoreUnsafe(ref destination, at);
            (Vector128.LoadUnsafe(ref destination, at + 4) + upper.AsInt32()).StoreUnsafe(ref destination, at + 4);
        }
    }

    /// <summary>Dense counts for a contiguous run of bin indexes; grows both ways, collapses the lowest past MaxBins.</summary>
    private struct BinStore
    {
        private int[]? _counts;
        private int _offset; // bin index of _counts[0]
        private int _minIndex; // lowest and highest used bin index (valid when Total > 0)
        private int _maxIndex;

        public long Total { get; private set; }

        public void Add(int index, int count)
        {
            if (Total == 0 || _counts is null)
            {
                if (_counts is null || index < _offset || index >= _offset + _counts.Length)
                {
                    _counts ??= new int[1];
                    _offset = index - _counts.Length / 2;
                }
                _minIndex = _maxIndex = index;
            }
            else if (index < _minIndex || index > _maxIndex)
            {
                index = Extend(index);
            }
            _counts[index - _offset] += count;
            Total += count;
        }

        public void Merge(in BinStore other)
        {
            if (other.Total == 0 || other._counts is null) return;
            var low = MakeRoom(other._minIndex, other._maxIndex);
            var source = other._counts.AsSpan(other._minIndex - other._offset, other._maxIndex - other._minIndex + 1);
            if (low == other._minIndex) Bins.Add(_counts.AsSpan(low - _offset, source.Length), source);
            else
                // Bins of the other store below our collapsed floor land in our lowest bin.
                for (var i = 0; i < source.Length; i++) _counts![Math.Max(other._minIndex + i, low) - _offset] += source[i];
            Total += other.Total;
        }

        // Packed store: [8] total; when total > 0: [4] first bin index, [4] bins, [1] bytes per count, then the counts.
        public readonly int PackedSize(int width) => Total == 0 ? 8 : 17 + (_maxIndex - _minIndex + 1) * width;

        public readonly int PackInto(Span<byte> destination, int width)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination, Total);
            if (Total == 0) return 8;
            var length = _maxIndex - _minIndex + 1;
            BinaryPrimitives.WriteInt32LittleEndian(destination[8..], _minIndex);
            BinaryPrimitives.WriteInt32LittleEndian(destination[12..], length);
            destination[16] = (byte)width;
            var counts = _counts.AsSpan(_minIndex - _offset, length);
            var body = destination.Slice(17, length * width);
            for (var i = 0; i < length; i++)
            {
                switch (width)
                {
                    case 1: body[i] = (byte)counts[i]; break;
                    case 2: BinaryPrimitives.WriteUInt16LittleEndian(body[(2 * i)..], (ushort)counts[i]); break;
                    default: BinaryPrimitives.WriteInt32LittleEndian(body[(4 * i)..], counts[i]); break;
                }
            }
            return 17 + body.Length;
        }

        public static (long Total, int Length) ReadPackedHeader(ReadOnlySpan<byte> packed)
        {
            if (packed.Length < 8) throw new InvalidDataException("packed quantile sketch store is cut short");
            var total = BinaryPrimitives.ReadInt64LittleEndian(packed);
            if (total == 0) return (0, 8);
            if (total < 0 || packed.Length < 17) throw new InvalidDataException("packed quantile sketch store is cut short");
            var length = BinaryPrimitives.ReadInt32LittleEndian(packed[12..]);
            var width = packed[16];
            if (length < 1 || length > MaxBins || width is not (1 or 2 or 4) || packed.Length < 17 + length * width)
                throw new InvalidDataException($"packed quantile sketch store of {length} bins × {width} bytes does not fit its {packed.Length} bytes");
            return (total, 17 + length * width);
        }

        public int MergePacked(ReadOnlySpan<byte> packed)
        {
            var (total, size) = ReadPackedHeader(packed);
            if (total == 0) return size;
            var min = BinaryPrimitives.ReadInt32LittleEndian(packed[8..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(packed[12..]);
            var width = packed[16];
            var body = packed.Slice(17, length * width);
            var low = MakeRoom(min, min + length - 1);
            // The counts are little-endian: read them in place only where the machine is too.
            if (low == min && BitConverter.IsLittleEndian)
            {
                var destination = _counts.AsSpan(min - _offset, length);
                switch (width)
                {
                    case 1: Bins.Add(destination, body); break;
                    case 2: Bins.Add(destination, MemoryMarshal.Cast<byte, ushort>(body)); break;
                    default: Bins.Add(destination, MemoryMarshal.Cast<byte, int>(body)); break;
                }
            }
            else
            {
                // Bins below our collapsed floor land in our lowest bin.
                for (var i = 0; i < length; i++)
                {
                    var c = width switch
                    {
                        1 => body[i],
                        2 => BinaryPrimitives.ReadUInt16LittleEndian(body[(2 * i)..]),
                        _ => BinaryPrimitives.ReadInt32LittleEndian(body[(4 * i)..]),
                    };
                    _counts![Math.Max(min + i, low) - _offset] += c;
                }
            }
            Total += total;
            return size;
        }

        /// <summary>Bytes per count in the packed form: 1, 2 or 4, whichever holds the largest count.</summary>
        public readonly int CountWidth()
        {
            if (Total == 0) return 1;
            var largest = 0;
            foreach (var c in _counts.AsSpan(_minIndex - _offset, _maxIndex - _minIndex + 1)) largest = Math.Max(largest, c);
            return largest <= byte.MaxValue ? 1 : largest <= ushort.MaxValue ? 2 : 4;
        }

        /// <summary>Makes room for bins [min, max]; returns the lowest index they land at (above min when collapsed).</summary>
        private int MakeRoom(int min, int max)
        {
            if (Total == 0) Add(min, 0);
            Extend(max);
            return Extend(min);
        }

        public readonly int IndexOfRank(long rank)
        {
            long seen = 0;
            for (var i = _minIndex; i <= _maxIndex; i++)
            {
                seen += _counts![i - _offset];
                if (seen >= rank) return i;
            }
            return _maxIndex;
        }

        public readonly int IndexOfRankFromTop(long rank)
        {
            long seen = 0;
            for (var i = _maxIndex; i >= _minIndex; i--)
            {
                seen += _counts![i - _offset];
                if (seen >= rank) return i;
            }
            return _minIndex;
        }

        public void Clear()
        {
            if (_counts is not null && Total > 0) Array.Clear(_counts, _minIndex - _offset, _maxIndex - _minIndex + 1);
            Total = 0;
        }

        public readonly void WriteTo(BinaryWriter writer)
        {
            if (Total == 0) { writer.Write7BitEncodedInt(0); return; }
            writer.Write7BitEncodedInt(_maxIndex - _minIndex + 1);
            writer.Write7BitEncodedInt(ZigZag(_minIndex));
            for (var i = _minIndex; i <= _maxIndex; i++) writer.Write7BitEncodedInt(_counts![i - _offset]);
        }

        public void ReadFrom(BinaryReader reader)
        {
            var length = reader.Read7BitEncodedInt();
            if (length == 0) return;
            if (length > MaxBins) throw new InvalidDataException($"quantile sketch with {length} bins (at most {MaxBins})");
            var min = UnZigZag(reader.Read7BitEncodedInt());
            _counts = new int[length];
            _offset = _minIndex = min;
            _maxIndex = min + length - 1;
            for (var i = 0; i < length; i++) Total += _counts[i] = reader.Read7BitEncodedInt();
        }

        /// <summary>Makes room for <paramref name="index"/>; returns where its count goes (the floor when collapsed).</summary>
        private int Extend(int index)
        {
            var newMin = Math.Min(_minIndex, index);
            var newMax = Math.Max(_maxIndex, index);
            if (newMax - newMin + 1 > MaxBins)
            {
                // Collapse the lowest bins into the new floor: high quantiles keep their accuracy.
                var floor = newMax - MaxBins + 1;
                if (index < floor) index = floor;
                if (_minIndex < floor)
                {
                    var collapsed = 0;
                    for (var i = _minIndex; i < Math.Min(floor, _maxIndex + 1); i++)
                    {
                        collapsed += _counts![i - _offset];
                        _counts[i - _offset] = 0;
                    }
                    _minIndex = floor;
                    if (_maxIndex < floor) _maxIndex = floor;
                    EnsureCapacity(floor, Math.Max(newMax, _maxIndex));
                    _counts![floor - _offset] += collapsed;
                }
                newMin = floor;
            }
            EnsureCapacity(newMin, newMax);
            _minIndex = newMin;
            _maxIndex = newMax;
            return index;
        }

        private void EnsureCapacity(int min, int max)
        {
            if (min >= _offset && max < _offset + _counts!.Length) return;
            var used = max - min + 1;
            var length = Math.Min(MaxBins, Math.Max(used + used / 2, _counts!.Length * 2));
            if (length < used) length = used;
            var grown = new int[length];
            var newOffset = min - (length - used) / 2;
            // Copy the used bins that survive; bins outside the old array are empty.
            var from = Math.Max(Math.Max(_minIndex, min), _offset);
            var to = Math.Min(Math.Min(_maxIndex, max), _offset + _counts.Length - 1);
            for (var i = from; i <= to; i++) grown[i - newOffset] = _counts[i - _offset];
            _counts = grown;
            _offset = newOffset;
        }

        private static int ZigZag(int v) => (v << 1) ^ (v >> 31);
        private static int UnZigZag(int v) => (int)((uint)v >> 1) ^ -(v & 1);
    }
}
