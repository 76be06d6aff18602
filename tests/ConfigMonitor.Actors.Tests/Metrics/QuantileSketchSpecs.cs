using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Actors.Tests.Metrics;

public class QuantileSketchSpecs
{
    private const double Alpha = QuantileSketch.RelativeAccuracy;
    private static readonly double[] Quantiles = [0.5, 0.95, 0.99];

    public static TheoryData<string> Distributions => new() { "uniform", "lognormal", "lognormal-with-outliers", "tiny-and-huge", "with-zeros-and-negatives" };

    private static double[] Generate(string distribution, int n, int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return distribution switch
        {
            "uniform" => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 100).ToArray(),
            "lognormal" => Enumerable.Range(0, n).Select(_ => Math.Exp(1.5 + 0.8 * Normal())).ToArray(),
            // Latencies with 1 % of stalls three orders of magnitude slower.
            "lognormal-with-outliers" => Enumerable.Range(0, n)
                .Select(_ => random.NextDouble() < 0.01 ? 5_000 + random.NextDouble() * 25_000 : Math.Exp(1 + 0.5 * Normal())).ToArray(),
            "tiny-and-huge" => Enumerable.Range(0, n).Select(_ => Math.Pow(10, -6 + 15 * random.NextDouble())).ToArray(),
            "with-zeros-and-negatives" => Enumerable.Range(0, n)
                .Select(_ => random.NextDouble() switch { < 0.1 => 0, < 0.3 => -random.NextDouble() * 50, _ => random.NextDouble() * 50 }).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
        };
    }

    // Nearest rank, as MetricHistory computes it.
    private static double Exact(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void AssertWithinBound(double[] values, QuantileSketch sketch)
    {
        var sorted = values.Order().ToArray();
        foreach (var q in Quantiles)
        {
            var exact = Exact(sorted, q);
            var estimate = sketch.Quantile(q)!.Value;
            // α·|exact|, plus a hair for floating-point rounding at bin edges.
            Assert.True(Math.Abs(estimate - exact) <= Alpha * Math.Abs(exact) + 1e-12 * Math.Abs(exact),
                $"p{q * 100}: estimate {estimate} vs exact {exact} is off by {Math.Abs(estimate - exact) / Math.Abs(exact):P3}");
        }
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Should_estimate_p50_p95_p99_within_one_percent_of_the_exact_values(string distribution)
    {
        foreach (var n in new[] { 1, 7, 100, 10_000, 200_000 })
        {
            var values = Generate(distribution, n, seed: n);
            var sketch = new QuantileSketch();
            foreach (var v in values) sketch.Add(v);

            Assert.Equal(n, sketch.Count);
            AssertWithinBound(values, sketch);
        }
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Should_keep_the_bound_after_merging_many_small_sketches(string distribution)
    {
        var values = Generate(distribution, 50_000, seed: 42);
        var merged = new QuantileSketch();
        foreach (var chunk in values.Chunk(37))
        {
            var part = new QuantileSketch();
            foreach (var v in chunk) part.Add(v);
            merged.Merge(part);
        }

        Assert.Equal(values.Length, merged.Count);
        AssertWithinBound(values, merged);
    }

    [Fact]
    public void Should_round_trip_through_its_binary_form()
    {
        var sketch = new QuantileSketch();
        foreach (var v in Generate("with-zeros-and-negatives", 1_000, 3)) sketch.Add(v);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) sketch.WriteTo(writer);
        stream.Position = 0;

        var back = QuantileSketch.ReadFrom(new BinaryReader(stream));

        Assert.Equal(sketch.Count, back.Count);
        foreach (var q in new[] { 0.0, 0.1, 0.5, 0.95, 0.99, 1.0 }) Assert.Equal(sketch.Quantile(q), back.Quantile(q));
    }

    [Fact]
    public void Should_bound_its_bins_by_collapsing_the_lowest_and_keep_high_quantiles_accurate()
    {
        var sketch = new QuantileSketch();
        // 10^-300 .. 10^300 spans far more than MaxBins bins.
        var values = Enumerable.Range(-300, 601).Select(e => Math.Pow(10, e)).ToArray();
        foreach (var v in values) sketch.Add(v);

        Assert.Equal(values.Length, sketch.Count);
        var sorted = values.Order().ToArray();
        var p99 = Exact(sorted, 0.99);
        Assert.InRange(sketch.Quantile(0.99)!.Value, p99 * (1 - Alpha), p99 * (1 + Alpha));
    }

    [Fact]
    public void Should_answer_nothing_when_empty_and_ignore_non_finite_values()
    {
        var sketch = new QuantileSketch();
        sketch.Add(double.NaN);
        sketch.Add(double.PositiveInfinity);

        Assert.Equal(0, sketch.Count);
        Assert.Null(sketch.Quantile(0.5));
    }

    [Theory]
    [InlineData(1)] // every bin count fits a byte
    [InlineData(300)] // needs two bytes
    [InlineData(70_000)] // needs four
    public void Should_pack_and_merge_packed_exactly_as_the_open_sketch(int repeat)
    {
        var sketch = new QuantileSketch();
        foreach (var v in Generate("with-zeros-and-negatives", 1_000, 5)) sketch.Add(v, repeat);
        var packed = sketch.Pack();

        var unpacked = QuantileSketch.Unpack(packed);
        var viaPacked = new QuantileSketch();
        var viaOpen = new QuantileSketch();
        foreach (var v in new[] { 0.5, 7.0, -3.0 }) { viaPacked.Add(v); viaOpen.Add(v); }
        viaPacked.MergePacked(packed);
        viaOpen.Merge(sketch);

        Assert.Equal(sketch.Count, QuantileSketch.PackedCount(packed));
        Assert.Equal(1_000L * repeat, unpacked.Count);
        foreach (var q in new[] { 0.0, 0.01, 0.5, 0.95, 0.99, 1.0 })
        {
            Assert.Equal(sketch.Quantile(q), unpacked.Quantile(q));
            Assert.Equal(viaOpen.Quantile(q), viaPacked.Quantile(q));
        }
    }

    [Fact]
    public void Should_merge_a_packed_sketch_below_its_collapsed_floor_into_its_lowest_bin()
    {
        var wide = new QuantileSketch();
        foreach (var e in Enumerable.Range(0, 300)) wide.Add(Math.Pow(10, e)); // 10^0 .. 10^299: collapses already
        var low = new QuantileSketch();
        foreach (var v in new[] { 1e-6, 2e-6, 3e-6 }) low.Add(v);

        var viaPacked = QuantileSketch.Unpack(wide.Pack());
        viaPacked.MergePacked(low.Pack());
        wide.Merge(low);

        Assert.Equal(303, viaPacked.Count);
        foreach (var q in new[] { 0.0, 0.5, 0.99, 1.0 }) Assert.Equal(wide.Quantile(q), viaPacked.Quantile(q));
    }

    [Fact]
    public void Should_refuse_a_packed_sketch_that_is_cut_short()
    {
        var sketch = new QuantileSketch();
        foreach (var v in Generate("lognormal", 100, 1)) sketch.Add(v);
        var packed = sketch.Pack();

        Assert.Throws<InvalidDataException>(() => QuantileSketch.PackedCount(packed.AsSpan(0, packed.Length - 3)));
    }
}
