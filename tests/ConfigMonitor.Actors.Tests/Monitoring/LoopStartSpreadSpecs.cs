using Akka.Actor;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;

namespace ConfigMonitor.Actors.Tests.Monitoring;

public class LoopStartSpreadSpecs
{
    private static LoopContext Context(string target, TimeSpan spread) =>
        new(TargetDefinition.WithDefaults(target, "/user/x"), null!, ActorRefs.Nobody, ActorRefs.Nobody, SystemClock.Instance) { StartSpread = spread };

    [Fact]
    public void Should_place_each_first_probe_at_a_fixed_offset_inside_the_spread()
    {
        var spread = TimeSpan.FromSeconds(5);
        var offsets = Enumerable.Range(0, 10_000).Select(i => Context($"svc-{i}", spread).StartOffset("performance", TimeSpan.FromSeconds(60))).ToList();

        Assert.All(offsets, o => Assert.InRange(o, TimeSpan.Zero, spread));
        Assert.Equal(offsets[42], Context("svc-42", spread).StartOffset("performance", TimeSpan.FromSeconds(60)));
        // Spread evenly: each of the five seconds holds roughly a fifth of the first probes.
        Assert.All(offsets.GroupBy(o => (int)o.TotalSeconds), g => Assert.InRange(g.Count(), 1_600, 2_400));
    }

    [Fact]
    public void Should_never_spread_beyond_one_interval_keep_a_targets_loops_together_and_not_spread_at_all_when_zero()
    {
        Assert.InRange(Context("a", TimeSpan.FromMinutes(10)).StartOffset("cache", TimeSpan.FromSeconds(2)), TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.Zero, Context("a", TimeSpan.Zero).StartOffset("cache", TimeSpan.FromSeconds(60)));
        Assert.Equal(Context("a", TimeSpan.FromSeconds(5)).StartOffset("cache", TimeSpan.FromSeconds(60)),
            Context("a", TimeSpan.FromSeconds(5)).StartOffset("database", TimeSpan.FromSeconds(60)));
    }
}
