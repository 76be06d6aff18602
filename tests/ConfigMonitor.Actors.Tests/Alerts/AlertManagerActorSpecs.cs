using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Alerts.AlertCommands;
using static ConfigMonitor.Actors.Alerts.AlertQueries;

namespace ConfigMonitor.Actors.Tests.Alerts;

public sealed class AlertManagerActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static Observation Breach(string target, DateTimeOffset at, string rule = "unreachable") =>
        new(target, AlertCategory.Database, rule, true, AlertSeverity.Critical, "database round trip failed", at);

    private static Observation Good(string target, DateTimeOffset at, string rule = "unreachable") =>
        new(target, AlertCategory.Database, rule, false, AlertSeverity.Critical, "database answers", at);

    private IActorRef Manager(PersistentNode node) => node.System.ActorOf(AlertManagerActor.Props(_clock, AlertPolicy.Immediate));

    [Fact]
    public async Task Should_raise_one_alert_for_a_persisting_breach_and_resolve_it_on_recovery()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var changes = CreateTestProbe(node.System);
        node.System.EventStream.Subscribe(changes.Ref, typeof(AlertChanged));
        var manager = Manager(node);

        for (var i = 0; i < 5; i++) manager.Tell(Breach("orders", T0.AddSeconds(30 * i)));
        var raised = await changes.ExpectMsgAsync<AlertChanged>(Timeout);
        Assert.Equal(AlertChangeKind.Notified, (await changes.ExpectMsgAsync<AlertChanged>(Timeout)).Kind);
        manager.Tell(Good("orders", T0.AddMinutes(3)));
        var resolved = await changes.ExpectMsgAsync<AlertChanged>(Timeout);
        await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(AlertChangeKind.Raised, raised.Kind);
        Assert.Equal(AlertChangeKind.Resolved, resolved.Kind);
        Assert.Equal(raised.Alert.Id, resolved.Alert.Id);
        var all = await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout);
        var alert = Assert.Single(all.Alerts);
        Assert.Equal(AlertState.Resolved, alert.State);
        Assert.Equal(T0.AddMinutes(2), alert.LastSeenAt);
    }

    [Fact]
    public async Task Should_acknowledge_by_id_and_answer_clearly_for_an_unknown_id()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var manager = Manager(node);
        manager.Tell(Breach("orders", T0));
        var id = (await manager.Ask<AlertList>(GetActiveAlerts.Instance, Timeout)).Alerts.Single().Id;

        var acknowledged = await manager.Ask<AlertAcknowledged>(new AcknowledgeAlert(id, "alice"), Timeout);
        var unknown = await manager.Ask<AlertNotFound>(new AcknowledgeAlert("alert-4242", "alice"), Timeout);
        var found = await manager.Ask<AlertFound>(new GetAlert(id), Timeout);
        var notFound = await manager.Ask<AlertNotFound>(new GetAlert("nope"), Timeout);

        Assert.True(acknowledged.Alert.Acknowledged);
        Assert.Equal("alice", acknowledged.Alert.AcknowledgedBy);
        Assert.Equal("no alert has id 'alert-4242'", unknown.Reason);
        Assert.True(found.Alert.Acknowledged);
        Assert.Equal("nope", notFound.AlertId);
    }

    [Fact]
    public async Task Should_recover_alerts_and_acknowledgements_after_the_actor_system_restarts()
    {
        string firingId, acknowledgedId;
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var manager = Manager(node);
            manager.Tell(Breach("orders", T0));
            manager.Tell(Breach("billing", T0));
            var active = await manager.Ask<AlertList>(GetActiveAlerts.Instance, Timeout);
            firingId = active.Alerts.Single(a => a.TargetId == "orders").Id;
            acknowledgedId = active.Alerts.Single(a => a.TargetId == "billing").Id;
            await manager.Ask<AlertAcknowledged>(new AcknowledgeAlert(acknowledgedId, "bob"), Timeout);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var recovered = Manager(restarted);
        var changes = CreateTestProbe(restarted.System);
        restarted.System.EventStream.Subscribe(changes.Ref, typeof(AlertChanged));
        recovered.Tell(Breach("orders", T0.AddMinutes(1)));
        await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        var all = (await recovered.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts;
        Assert.Equal(2, all.Count);
        Assert.Equal(AlertState.Firing, all.Single(a => a.Id == firingId).State);
        Assert.Equal("bob", all.Single(a => a.Id == acknowledgedId).AcknowledgedBy);
    }

    [Fact]
    public async Task Should_drop_acknowledged_resolved_alerts_past_retention_and_keep_unacknowledged_ones()
    {
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var manager = Manager(node);
            foreach (var target in new[] { "acked", "unacked" })
            {
                manager.Tell(Breach(target, T0));
                manager.Tell(Good(target, T0.AddHours(1)));
            }
            var acked = (await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts.Single(a => a.TargetId == "acked");
            await manager.Ask<AlertAcknowledged>(new AcknowledgeAlert(acked.Id, "ops"), Timeout);

            var early = await manager.Ask<AlertsPruned>(new PruneAlerts(T0), Timeout);
            var pruned = await manager.Ask<AlertsPruned>(new PruneAlerts(T0.AddHours(2)), Timeout);

            Assert.Equal(0, early.Removed);
            Assert.Equal(1, pruned.Removed);
            Assert.Equal(1, pruned.Retained);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var remaining = (await Manager(restarted).Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts;
        Assert.Equal("unacked", Assert.Single(remaining).TargetId);
    }

    [Fact]
    public async Task Should_send_every_change_to_subscribers_until_they_unsubscribe()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var manager = Manager(node);
        var subscriber = CreateTestProbe(node.System);
        await manager.Ask<SubscribedToAlerts>(new SubscribeToAlerts(subscriber.Ref), Timeout);

        manager.Tell(Breach("orders", T0));
        Assert.Equal(AlertChangeKind.Raised, (await subscriber.ExpectMsgAsync<AlertChanged>(Timeout)).Kind);
        Assert.Equal(AlertChangeKind.Notified, (await subscriber.ExpectMsgAsync<AlertChanged>(Timeout)).Kind);
        manager.Tell(new UnsubscribeFromAlerts(subscriber.Ref));
        manager.Tell(Good("orders", T0.AddMinutes(1)));
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
