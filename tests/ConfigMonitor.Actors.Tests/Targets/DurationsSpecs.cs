using System.Globalization;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>The one duration grammar, over generated inputs: what it writes it reads back, and nothing else slips through.</summary>
public sealed class DurationsSpecs
{
    private const int Cases = 5_000;

    // A fixed seed: a failure names the input, and the next run sees the same inputs.
    private static IEnumerable<TimeSpan> Spans(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var magnitude = random.Next(6); // ticks, ms, s, m, h, d scales, so every unit of Format is reached
            long unit = magnitude switch
            {
                0 => 1, 1 => TimeSpan.TicksPerMillisecond, 2 => TimeSpan.TicksPerSecond, 3 => TimeSpan.TicksPerMinute,
                4 => TimeSpan.TicksPerHour, _ => TimeSpan.TicksPerDay,
            };
            var ticks = random.NextInt64(0, Durations.Largest.Ticks / unit + 1) * unit + (random.Next(4) == 0 ? random.NextInt64(0, unit) : 0);
            yield return TimeSpan.FromTicks(Math.Min(ticks, Durations.Largest.Ticks));
        }
    }

    [Fact]
    public void Everything_format_writes_should_parse_back_to_the_same_value()
    {
        foreach (var span in Spans(9).Concat([TimeSpan.Zero, TimeSpan.FromTicks(1), Durations.Largest, TimeSpan.FromMilliseconds(1.5)]))
        {
            var text = Durations.Format(span);
            Assert.True(Durations.TryParse(text, out var back), $"'{text}' (from {span.Ticks} ticks) does not parse");
            Assert.Equal(span, back);
        }
    }

    [Fact]
    public void The_colon_form_should_parse_to_its_value()
    {
        var random = new Random(11);
        for (var i = 0; i < Cases; i++)
        {
            var (d, h, m, s, f) = (random.Next(3650), random.Next(24), random.Next(60), random.Next(60), random.Next(10_000_000));
            var text = string.Create(CultureInfo.InvariantCulture, $"{d}.{h:00}:{m:00}:{s:00}.{f:0000000}");
            Assert.True(Durations.TryParse(text, out var value), text);
            Assert.Equal(new TimeSpan(d, h, m, s) + TimeSpan.FromTicks(f), value);
        }
    }

    [Fact]
    public void Bare_numbers_signed_values_and_garbage_should_never_parse()
    {
        var random = new Random(13);
        var units = new[] { "ms", "s", "m", "h", "d" };
        for (var i = 0; i < Cases; i++)
        {
            var number = random.NextInt64(0, 1_000_000_000_000).ToString(CultureInfo.InvariantCulture);
            var unit = units[random.Next(units.Length)];
            foreach (var text in new[]
                     {
                         number, "-" + number + unit, "+" + number + unit, number + " " + unit + "x", number + unit + unit,
                         number + "e3" + unit, number + "," + random.Next(10) + unit, number + "us", number + "w", "." + number + unit,
                         new string((char)random.Next(0x21, 0x7f), random.Next(1, 8)) + "%",
                     })
                Assert.False(Durations.TryParse(text, out _), $"'{text}' parsed");
        }
        foreach (var text in new[] { null, "", " ", "1", "30", "1.5", "00:60:00", "24:00:00", "1:2:3", "s", "ms", "NaN", "∞", "1e309s" })
            Assert.False(Durations.TryParse(text, out _), $"'{text}' parsed");
    }

    [Fact]
    public void Values_beyond_ten_years_should_never_parse_and_never_overflow()
    {
        var random = new Random(17);
        var units = new (string Unit, long Ticks)[]
        {
            ("ms", TimeSpan.TicksPerMillisecond), ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute),
            ("h", TimeSpan.TicksPerHour), ("d", TimeSpan.TicksPerDay),
        };
        for (var i = 0; i < Cases; i++)
        {
            var (unit, ticks) = units[random.Next(units.Length)];
            var smallestTooBig = Durations.Largest.Ticks / ticks + 1;
            var n = random.NextInt64(smallestTooBig, 999_999_999_999 + 1);
            Assert.False(Durations.TryParse($"{n}{unit}", out _), $"{n}{unit} parsed");
        }
        Assert.False(Durations.TryParse("99999999999d", out _));
        Assert.False(Durations.TryParse("9999.23:59:59", out _));
        Assert.False(Durations.TryParse(new string('9', 5000) + "d", out _));
    }

    [Fact]
    public void Values_outside_a_range_should_give_the_range_message_and_values_inside_none()
    {
        var range = DurationLimits.LoopInterval;
        foreach (var span in Spans(19))
        {
            var text = Durations.Format(span);
            var problem = Durations.Check(text, range, out var value);
            if (span >= range.Min && span <= range.Max)
            {
                Assert.Null(problem);
                Assert.Equal(span, value);
            }
            else
            {
                Assert.Equal($"is '{text}', outside 100ms to 1d", problem);
            }
        }
        Assert.StartsWith("is '30', which is not a duration (write a number and a unit", Durations.Check("30", range, out _));
    }
}
