using Akka.Actor;
using Akka.TestKit;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// A probe that cannot even start is a failed probe: a "…_ok = 0" sample and a breached observation on every tick, from
/// the same loop (never an exception that restarts the loop while the target looks monitored and nothing alerts).
/// </summary>
public sealed class LoopProbeFailureSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _data = new();

    public static TheoryData<string, string, string> Loops() => new()
    {
        { LoopNames.Performance, MetricNames.ConfigAccessOk, PerformanceLoopActor.ReadFailedRule },
        { LoopNames.Health, MetricNames.HealthOk, HealthLoopActor.ServiceHealthRule },
        { LoopNames.Cache, MetricNames.CacheProbeOk, CacheLoopActor.StatsFailedRule },
        { LoopNames.Database, MetricNames.DatabaseOk, DatabaseLoopActor.UnreachableRule },
    };

    private static Props PropsOf(string loop, LoopContext context) => loop switch
    {
        LoopNames.Performance => PerformanceLoopActor.Props(context),
        LoopNames.Health => HealthLoopActor.Props(context),
        LoopNames.Cache => CacheLoopActor.Props(context),
        _ => DatabaseLoopActor.Props(context),
    };

    [Theory]
    [MemberData(nameof(Loops))]
    public async Task A_probe_timeout_no_timer_can_hold_should_be_a_failed_probe_on_every_tick_without_restarting_the_loop(
        string loop, string okMetric, string rule)
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        // Built in code, past Validate: what a definition persisted before the bound, or sent by an old node, would hold.
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(200)) with
        {
            ProbeTimeout = TimeSpan.FromDays(3650),
        };
        var metrics = CreateTestProbe();
        var alerts = CreateTestProbe();
        var context = new LoopContext(target, ActorConfigServiceAdapter.For(Sys, target.Endpoint), metrics.Ref, alerts.Ref, SystemClock.Instance);
        var parent = CreateTestProbe();
        var loopRef = parent.ChildActorOf(PropsOf(loop, context), SupervisorStrategy.StoppingStrategy);
        parent.Watch(loopRef);

        for (var tick = 0; tick < 3; tick++)
        {
            var batch = await metrics.ExpectMsgAsync<MetricsCommands.RecordSamples>(Timeout);
            Assert.Equal(0, batch.Samples.Single(s => s.Metric == okMetric).Value);
            var observation = (Observation)await alerts.FishForMessageAsync(m => m is Observation o && o.Rule == rule, Timeout);
            Assert.True(observation.Breached);
            Assert.Contains("the probe could not start", observation.Message);
            Assert.Contains("3650d", observation.Message);
            // Under a stopping strategy a loop that threw would stop: its parent would get Terminated, not LoopProbed.
            var probed = await parent.ExpectMsgAsync<LoopProbed>(Timeout);
            Assert.NotNull(probed.Error);
        }
    }
}
