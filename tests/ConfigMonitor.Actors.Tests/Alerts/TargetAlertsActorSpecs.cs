using Akka.Actor;
using Akka.Persistence;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Alerts.AlertQueries;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>
/// A target's alert evaluation as an actor (<see cref="TargetAlertsActor"/>) on the node's real persistence (SQLite file):
/// its counters survive a restart, it reports until the AlertManager confirms, and a healthy target writes nothing.
/// </summary>
public sealed class TargetAlertsActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly AlertPolicy Policy = new() { WarningRule = new AlertRule(FailureThreshold: 3, SuccessThreshold: 2), RootCauseWait = TimeSpan.Zero };
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static Observation Slow(DateTimeOffset at, bool breached = true) =>
        new("orders", AlertCategory.Performance, "config_access_ms", breached, AlertSeverity.Warning,
            breached ? "reads take 900 ms" : "reads take 4 ms", at);

    /// <summary>Reads what the journal holds for a persistence id, by recovering it.</summary>
    private sealed class JournalReader : ReceivePersistentActor
    {
        private readonly string _id;
        private int _events;

        public JournalReader(string id, IActorRef report)
        {
            _id = id;
            Recover<TargetAlertEvents.ITargetAlertEvent>(_ => _events++);
            Recover<RecoveryCompleted>(_ => report.Tell((LastSequenceNr, _events)));
        }

        public override string PersistenceId => _id;
    }

    private async Task<(long LastSequenceNr, int Events)> JournalOf(PersistentNode node, string targetId)
    {
        var probe = CreateTestProbe(node.System);
        node.System.ActorOf(Props.Create(() => new JournalReader($"target-alerts-{targetId}", probe.Ref)));
        return await probe.ExpectMsgAsync<(long, int)>(Timeout);
    }

    [Fact]
    public async Task Should_keep_its_counters_across_a_restart_so_a_warning_fires_at_its_threshold_on_the_next_node()
    {
        string pendingId;
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var manager = node.System.ActorOf(AlertManagerActor.Props(_clock, Policy), "alerts");
            var evaluation = node.System.ActorOf(TargetAlertsActor.Props("orders", Policy, manager));
            evaluation.Tell(Slow(T0));
            evaluation.Tell(Slow(T0.AddSeconds(5)));
            await AwaitAssertAsync(async () =>
                Assert.Single((await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts, a => a.State == AlertState.Pending), Timeout);
            pendingId = (await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts.Single().Id;
            await AwaitAssertAsync(async () => Assert.Equal(2, (await JournalOf(node, "orders")).Events), Timeout);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var recoveredManager = restarted.System.ActorOf(AlertManagerActor.Props(_clock, Policy), "alerts");
        var recovered = restarted.System.ActorOf(TargetAlertsActor.Props("orders", Policy, recoveredManager));
        recovered.Tell(Slow(T0.AddSeconds(10))); // the third breach in a row: the count went on from two

        await AwaitAssertAsync(async () =>
        {
            var alert = Assert.Single((await recoveredManager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts);
            Assert.Equal((pendingId, AlertState.Firing, T0, (DateTimeOffset?)T0.AddSeconds(10)), (alert.Id, alert.State, alert.RaisedAt, alert.FiredAt));
        }, Timeout);
    }

    [Fact]
    public async Task Should_report_again_until_the_alert_manager_confirms_and_then_stop()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var manager = CreateTestProbe(node.System);
        var evaluation = node.System.ActorOf(TargetAlertsActor.Props("orders", Policy, manager.Ref, TimeSpan.FromMilliseconds(300)));
        var full = await manager.ExpectMsgAsync<TargetAlertReport>(Timeout);
        Assert.True(full is { Full: true, Fresh: true, Rules.Count: 0 });
        manager.Reply(new TargetAlertReportReceived("orders", full.Version));

        evaluation.Tell(Slow(T0));
        var report = await manager.ExpectMsgAsync<TargetAlertReport>(Timeout);
        var again = await manager.ExpectMsgAsync<TargetAlertReport>(Timeout); // not confirmed: sent again
        manager.Reply(new TargetAlertReportReceived("orders", again.Version));
        await manager.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(RulePhase.Pending, Assert.Single(report.Rules).Rule.Phase);
        Assert.Equal(report.Version, again.Version);
        Assert.Equal(report.Rules, again.Rules);
    }

    [Fact]
    public async Task Should_write_nothing_for_a_healthy_target_and_one_event_per_change()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var manager = node.System.ActorOf(AlertManagerActor.Props(_clock, Policy), "alerts");
        var evaluation = node.System.ActorOf(TargetAlertsActor.Props("orders", Policy, manager));
        for (var i = 0; i < 100; i++) evaluation.Tell(Slow(T0.AddSeconds(i), breached: false));
        evaluation.Tell(Slow(T0.AddSeconds(200)));
        await AwaitAssertAsync(async () =>
            Assert.Single((await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts), Timeout);

        Assert.Equal((1L, 1), await JournalOf(node, "orders"));
    }
}
