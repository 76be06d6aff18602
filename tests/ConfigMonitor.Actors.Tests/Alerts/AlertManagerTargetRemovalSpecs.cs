using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Alerts.AlertQueries;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>The real AlertManager and target registry on a SQLite journal: removing a target closes its alerts, for good.</summary>
public sealed class AlertManagerTargetRemovalSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static readonly TargetDefinition Payments = TargetDefinition.WithDefaults("payments", "/user/none");
    private static readonly TargetDefinition Orders = TargetDefinition.WithDefaults("orders", "/user/none");

    private static Observation Firing(string target, DateTimeOffset at) =>
        new(target, AlertCategory.Database, "unreachable", true, AlertSeverity.Critical, "database round trip failed", at);

    private static Observation Pending(string target, DateTimeOffset at) =>
        new(target, AlertCategory.Performance, "access_time", true, AlertSeverity.Warning, "slow", at, 120, 50);

    private static AlertManagerSettings Settings(TimeSpan registryReads) => new()
    {
        // A warning waits for a second breach (pending), a critical breach fires at once and is paged at once.
        Policy = new AlertPolicy { RootCauseWait = TimeSpan.Zero },
        NotifyCheckInterval = TimeSpan.FromHours(1),
        ReceiverRefreshInterval = TimeSpan.FromHours(1),
        GroupsRefreshInterval = registryReads,
    };

    private static IReadOnlyList<Alert> Of(AlertList list, string target) => list.Alerts.Where(a => a.TargetId == target).ToList();

    [Fact]
    public async Task Should_cancel_and_resolve_the_alerts_of_a_target_the_registry_removes_notify_the_resolution_and_keep_it_so_after_a_restart()
    {
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var notifier = CreateTestProbe(node.System);
            IActorRef? manager = null;
            // The registry tells the manager; the manager reads the registry only once an hour, so the tell is what closes the alerts.
            var registry = node.System.ActorOf(TargetRegistryActor.Props([Payments], CreateTestProbe(node.System).Ref, () => manager));
            await registry.Ask<TargetRegistryCommands.TargetRegistered>(new TargetRegistryCommands.RegisterTarget(Orders), Timeout);
            manager = node.System.ActorOf(AlertManagerActor.Props(_clock, notifier: notifier.Ref, settings: Settings(TimeSpan.FromHours(1)),
                targetRegistry: () => registry));
            foreach (var target in new[] { "orders", "payments" })
            {
                manager.Tell(Firing(target, T0));
                manager.Tell(Pending(target, T0));
            }
            await AwaitAssertAsync(async () =>
            {
                var open = (await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts.Where(a => a.IsOpen).ToList();
                Assert.Equal(4, open.Count);
                Assert.All(open.Where(a => a.State == AlertState.Firing), a => Assert.NotNull(a.LastNotifiedAt)); // paged: nothing more to come
            }, Timeout);
            var paged = (Notification)await notifier.FishForMessageAsync(m => m is Notification { Kind: NotificationKind.Firing, Alert.TargetId: "orders" }, Timeout);
            var changes = CreateTestProbe(node.System);
            node.System.EventStream.Subscribe(changes.Ref, typeof(AlertChanged));

            _clock.Advance(TimeSpan.FromMinutes(5));
            var removed = await registry.Ask<TargetRegistryCommands.TargetUnregistered>(new TargetRegistryCommands.UnregisterTarget("orders"), Timeout);
            Assert.True(removed.Existed);

            var resolvedNotice = (Notification)await notifier.FishForMessageAsync(m => m is Notification { Kind: NotificationKind.Resolved }, Timeout);
            Assert.Equal(paged.Alert.Id, resolvedNotice.Alert.Id);
            Assert.Contains("target 'orders' was removed from the registry", resolvedNotice.Alert.Message);
            var kinds = new[] { (await changes.ExpectMsgAsync<AlertChanged>(Timeout)).Kind, (await changes.ExpectMsgAsync<AlertChanged>(Timeout)).Kind };
            Assert.Equal([AlertChangeKind.Cancelled, AlertChangeKind.Resolved], kinds.Order());

            // A loop that stops late still reports a breach: nothing opens.
            manager.Tell(Firing("orders", T0.AddMinutes(6)));
            manager.Tell(Pending("orders", T0.AddMinutes(6)));
            await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var recovered = restarted.System.ActorOf(AlertManagerActor.Props(_clock, settings: Settings(TimeSpan.FromHours(1))));
        var all = await recovered.Ask<AlertList>(GetAllAlerts.Instance, Timeout);
        var orders = Assert.Single(Of(all, "orders"));
        Assert.Equal(AlertState.Resolved, orders.State);
        Assert.Equal(T0.AddMinutes(5), orders.ResolvedAt);
        Assert.All(Of(all, "payments"), a => Assert.True(a.IsOpen));
        Assert.Equal(2, Of(all, "payments").Count);

        var afterRestart = CreateTestProbe(restarted.System);
        restarted.System.EventStream.Subscribe(afterRestart.Ref, typeof(AlertChanged));
        recovered.Tell(Firing("orders", T0.AddMinutes(7)));
        await afterRestart.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.DoesNotContain(Of(await recovered.Ask<AlertList>(GetActiveAlerts.Instance, Timeout), "orders"), a => a.IsOpen);
    }

    [Fact]
    public async Task Should_close_on_its_next_read_of_the_registry_the_alerts_of_a_removed_target_whose_removal_it_never_heard()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        // No AlertManager for the registry to tell: the tell is lost, as when the singleton moves.
        var registry = node.System.ActorOf(TargetRegistryActor.Props([Payments], CreateTestProbe(node.System).Ref));
        await registry.Ask<TargetRegistryCommands.TargetRegistered>(new TargetRegistryCommands.RegisterTarget(Orders), Timeout);
        var manager = node.System.ActorOf(AlertManagerActor.Props(_clock, settings: Settings(TimeSpan.FromMilliseconds(100)), targetRegistry: () => registry));
        manager.Tell(Firing("orders", T0));
        manager.Tell(Firing("payments", T0));
        await AwaitAssertAsync(async () =>
            Assert.Equal(2, (await manager.Ask<AlertList>(GetActiveAlerts.Instance, Timeout)).Alerts
                .Count(a => a.State == AlertState.Firing && a.LastNotifiedAt is not null)), Timeout);
        // Reads of the registry (every 100 ms) change nothing while both targets are registered.
        var changes = CreateTestProbe(node.System);
        node.System.EventStream.Subscribe(changes.Ref, typeof(AlertChanged));
        await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(400));

        await registry.Ask<TargetRegistryCommands.TargetUnregistered>(new TargetRegistryCommands.UnregisterTarget("orders"), Timeout);
        _clock.Advance(TimeSpan.FromMinutes(1)); // its loops have stopped: no breach seen for longer than a read interval

        await AwaitAssertAsync(async () =>
        {
            var all = await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout);
            var orders = Assert.Single(Of(all, "orders"));
            Assert.Equal(AlertState.Resolved, orders.State);
            Assert.Contains("target 'orders' was removed from the registry", orders.Message);
        }, Timeout);
        var stillFiring = Assert.Single(Of(await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout), "payments"));
        Assert.Equal(AlertState.Firing, stillFiring.State);
    }

    [Fact]
    public async Task Should_close_nothing_while_the_registry_has_not_answered()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var silentRegistry = CreateTestProbe(node.System);
        var manager = node.System.ActorOf(AlertManagerActor.Props(_clock, settings: Settings(TimeSpan.FromMilliseconds(100)),
            targetRegistry: () => silentRegistry.Ref));
        manager.Tell(Firing("orders", T0));

        // The manager asks (twice), hears nothing back: the alert of a target it cannot check stays firing.
        await silentRegistry.ExpectMsgAsync<TargetRegistryCommands.GetTargets>(Timeout);
        await silentRegistry.ExpectMsgAsync<TargetRegistryCommands.GetTargets>(Timeout);

        var alert = Assert.Single((await manager.Ask<AlertList>(GetAllAlerts.Instance, Timeout)).Alerts);
        Assert.Equal(AlertState.Firing, alert.State);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
