using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// Quiet logs at scale: a node says how many targets it monitors in one Information line once starts and stops settle
/// ("Monitoring N targets on this node (+added started, −removed stopped …)"); each target's start and stop is Debug.
/// </summary>
public sealed class TargetCensusSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.loglevel = DEBUG\nconfigmonitor.target-census.quiet = 500ms", output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _data = new();

    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<LogEvent> events) => Receive<LogEvent>(events.Enqueue);
    }

    [Fact]
    public async Task Starting_and_stopping_monitors_should_log_one_summary_line_per_burst_and_each_target_at_debug()
    {
        var events = new ConcurrentQueue<LogEvent>();
        Sys.EventStream.Subscribe(Sys.ActorOf(Props.Create(() => new Collector(events))), typeof(LogEvent));
        var service = ReferenceServices.Start(Sys, _data, "svc");
        List<string> Summaries() => events.Where(e => e.LogLevel() == LogLevel.InfoLevel)
            .Select(e => e.Message?.ToString() ?? "").Where(m => m.StartsWith("Monitoring ", StringComparison.Ordinal)).ToList();

        var monitors = new List<IActorRef>();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            var monitor = Sys.ActorOf(TargetMonitorActor.Props(id, CreateTestProbe().Ref, CreateTestProbe().Ref, SystemClock.Instance, FacetAdapters.Default));
            monitor.Tell(new TargetMonitorCommands.MonitorTarget(ReferenceServices.Target(id, service, interval: TimeSpan.FromSeconds(30))));
            monitors.Add(monitor);
        }
        // Four starts in a burst: one line with the count.
        await AwaitAssertAsync(() =>
        {
            var line = Assert.Single(Summaries());
            Assert.StartsWith("Monitoring 4 targets on this node (+4 started, −0 stopped in the last ", line);
            Assert.EndsWith("); each target's start and stop is logged at Debug", line);
        }, Timeout);

        // The same definition again changes nothing; one removed (StopMonitoringTarget) and one stopped (a hand-off stops the actor).
        monitors[0].Tell(new TargetMonitorCommands.MonitorTarget(ReferenceServices.Target("a", service, interval: TimeSpan.FromSeconds(30))));
        monitors[1].Tell(new TargetMonitorCommands.StopMonitoringTarget("b"));
        Sys.Stop(monitors[2]);
        await AwaitAssertAsync(() =>
        {
            Assert.Equal(2, Summaries().Count);
            Assert.StartsWith("Monitoring 2 targets on this node (+0 started, −2 stopped", Summaries()[1]);
        }, Timeout);

        // Each target's start and stop is there, at Debug only; no other Information line names a target of ours.
        var perTarget = events.Where(e => e.Message?.ToString() is { } m && (m.Contains(": started monitoring", StringComparison.Ordinal)
            || m.Contains(": monitoring stopped", StringComparison.Ordinal))).ToList();
        Assert.Equal(5, perTarget.Count);
        Assert.All(perTarget, e => Assert.Equal(LogLevel.DebugLevel, e.LogLevel()));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
