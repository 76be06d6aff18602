using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using ConfigMonitor.ConfigService;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// Quiet logs at scale: a loop writes a line at Information or above only when its state changes (its probes start failing,
/// or succeed again), never for each successful probe or each repeat of one failure — those are Debug.
/// </summary>
public sealed class LoopLoggingSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.loglevel = DEBUG", output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _data = new();

    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<LogEvent> events) => Receive<LogEvent>(events.Enqueue);
    }

    [Fact]
    public async Task A_loop_should_log_the_start_of_a_failure_and_the_recovery_once_and_each_probe_at_debug()
    {
        var events = new ConcurrentQueue<LogEvent>();
        Sys.EventStream.Subscribe(Sys.ActorOf(Props.Create(() => new Collector(events))), typeof(LogEvent));
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(400), probeTimeout: TimeSpan.FromMilliseconds(150));
        var context = new LoopContext(target, ActorConfigServiceAdapter.For(Sys, target.Endpoint), CreateTestProbe().Ref, CreateTestProbe().Ref,
            SystemClock.Instance);
        var parent = CreateTestProbe();
        parent.ChildActorOf(PerformanceLoopActor.Props(context), SupervisorStrategy.StoppingStrategy);

        async Task Probes(bool ok, int count)
        {
            for (var seen = 0; seen < count;)
            {
                var probed = await parent.ExpectMsgAsync<LoopProbed>(Timeout);
                if ((probed.Error is null) == ok) seen++;
            }
        }

        IReadOnlyList<LogEvent> Lines(LogLevel level, string text) => events
            .Where(e => e.LogLevel() == level && e.Message?.ToString()?.StartsWith($"Target orders: {LoopNames.Performance} probe {text}", StringComparison.Ordinal) == true)
            .ToList();

        await Probes(ok: true, 3);
        await ReferenceServices.Fault(service, new ConfigServiceFaults.SetHang(true));
        await Probes(ok: false, 4);
        await ReferenceServices.Fault(service, new ConfigServiceFaults.SetHang(false));
        await Probes(ok: true, 3);

        await AwaitAssertAsync(() =>
        {
            Assert.True(Lines(LogLevel.DebugLevel, "ok:").Count >= 5, "each successful probe is logged at Debug");
            Assert.True(Lines(LogLevel.DebugLevel, "failed again").Count >= 3, "each repeat of the failure is logged at Debug");
            Assert.Single(Lines(LogLevel.WarningLevel, "failed"));
            var recovered = Assert.Single(Lines(LogLevel.InfoLevel, "ok again"));
            Assert.Contains("failed probe(s)", recovered.Message!.ToString());
        }, Timeout);
        // Nothing else of the loop at Information or above: no line per successful probe. (A tick that finds the probe still out
        // on a loaded machine says so once per hanging probe; that rule has its own line and is not a probe's.)
        Assert.Empty(events.Where(e => e.LogLevel() >= LogLevel.InfoLevel && e.Message?.ToString()?.StartsWith("Target orders:", StringComparison.Ordinal) == true)
            .Except(Lines(LogLevel.WarningLevel, "failed")).Except(Lines(LogLevel.InfoLevel, "ok again")).Except(Lines(LogLevel.WarningLevel, "still running")));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
