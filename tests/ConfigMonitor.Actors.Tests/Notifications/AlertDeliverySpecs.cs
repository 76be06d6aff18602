using System.Text.Json.Nodes;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Notifications;

/// <summary>From observations to receivers: the AlertManager, the outbox, a real webhook receiver and a real Alertmanager.</summary>
public sealed class AlertDeliverySpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();

    private static readonly DeliverySettings Fast = new()
    {
        QuickRetries = 1, QuickRetryDelay = TimeSpan.FromMilliseconds(20), FirstBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    private static AlertManagerSettings Settings(TimeSpan repeat) => new()
    {
        Policy = new AlertPolicy { WarningRule = AlertRule.Immediate, CriticalRule = AlertRule.Immediate, RepeatInterval = repeat, RootCauseWait = TimeSpan.Zero },
        NotifyCheckInterval = TimeSpan.FromMilliseconds(100),
        ReceiverRefreshInterval = TimeSpan.FromMilliseconds(300),
    };

    private static Observation Db(bool down) =>
        new("orders", AlertCategory.Database, "unreachable", down, AlertSeverity.Critical, down ? "database round trip failed" : "database answers", DateTimeOffset.UtcNow);

    private (IActorRef Manager, IActorRef Outbox) Start(ActorSystem system, AlertManagerSettings settings, params NotificationChannelSettings[] channels)
    {
        var outbox = system.ActorOf(NotificationOutboxActor.Props(
            channels.Select(c => NotificationChannels.Create(c, Fast, system)).ToList(), Fast, SystemClock.Instance));
        var manager = system.ActorOf(AlertManagerActor.Props(SystemClock.Instance, settings.Policy, outbox, settings));
        return (manager, outbox);
    }

    private static IEnumerable<(string Status, string Kind)> Pages(WebhookReceiver receiver) =>
        receiver.Received.Select(b => (b["status"]!.GetValue<string>(), b["configmonitor"]!["kind"]!.GetValue<string>()));

    [Fact]
    public async Task Should_page_once_remind_while_unacknowledged_and_send_the_resolution()
    {
        await using var receiver = new WebhookReceiver();
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var (manager, _) = Start(node.System, Settings(TimeSpan.FromMilliseconds(700)),
            new NotificationChannelSettings { Name = "ops", Kind = ChannelKind.Webhook, Url = receiver.Url });

        for (var i = 0; i < 5; i++) manager.Tell(Db(down: true));
        await AwaitConditionAsync(() => Task.FromResult(Pages(receiver).Count(p => p.Kind == "reminder") >= 1), Timeout);
        Assert.Equal(1, Pages(receiver).Count(p => p.Kind == "firing"));

        var id = (await manager.Ask<AlertQueries.AlertList>(AlertQueries.GetActiveAlerts.Instance, Timeout)).Alerts.Single().Id;
        var changes = CreateTestProbe(node.System);
        await manager.Ask<AlertCommands.SubscribedToAlerts>(new AlertCommands.SubscribeToAlerts(changes.Ref), Timeout);
        await manager.Ask<AlertCommands.AlertAcknowledged>(new AlertCommands.AcknowledgeAlert(id, "ops", "on it"), Timeout);
        await changes.FishForMessageAsync(m => m is AlertChanged { Kind: AlertChangeKind.Acknowledged }, Timeout);
        // Two reminder intervals: an acknowledged alert is not handed to the notifiers again.
        await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(1500));

        manager.Tell(Db(down: false));
        await AwaitConditionAsync(() => Task.FromResult(Pages(receiver).Any(p => p.Status == "resolved")), Timeout);
    }

    [Fact]
    public async Task Should_not_page_a_silenced_alert_and_page_it_when_the_silence_is_expired()
    {
        await using var receiver = new WebhookReceiver();
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var (manager, _) = Start(node.System, Settings(TimeSpan.Zero),
            new NotificationChannelSettings { Name = "ops", Kind = ChannelKind.Webhook, Url = receiver.Url });
        var silence = await manager.Ask<AlertCommands.SilenceCreated>(new AlertCommands.CreateSilence(
            [new Matcher(MatchField.Target, "orders")], null, DateTimeOffset.UtcNow.AddHours(1), "alice", "planned failover"), Timeout);

        var changes = CreateTestProbe(node.System);
        await manager.Ask<AlertCommands.SubscribedToAlerts>(new AlertCommands.SubscribeToAlerts(changes.Ref), Timeout);
        manager.Tell(Db(down: true));
        await changes.FishForMessageAsync(m => m is AlertChanged { Kind: AlertChangeKind.Raised }, Timeout);
        // Several notification checks go by without handing the silenced alert to the notifiers.
        await changes.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(600));
        var alert = (await manager.Ask<AlertQueries.AlertList>(AlertQueries.GetActiveAlerts.Instance, Timeout)).Alerts.Single();
        Assert.Equal($"silence:{silence.Silence.Id}", alert.SuppressedBy);
        Assert.Empty(receiver.Received);

        await manager.Ask<AlertCommands.SilenceExpired>(new AlertCommands.ExpireSilence(silence.Silence.Id, "alice"), Timeout);
        await AwaitConditionAsync(() => Task.FromResult(receiver.Received.Count == 1), Timeout);
    }

    [SkippableFact]
    public async Task Should_show_firing_alerts_in_a_real_alertmanager_and_clear_them_after_recovery()
    {
        RequiredServer.Require(AlertmanagerProcess.Installed,
            $"{AlertmanagerProcess.Binary} is not installed (.ci/run installs prometheus-alertmanager)");
        await using var am = await AlertmanagerProcess.StartAsync();
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var (manager, _) = Start(node.System, Settings(TimeSpan.Zero),
            new NotificationChannelSettings { Name = "am", Kind = ChannelKind.Alertmanager, Url = am.Url });

        manager.Tell(Db(down: true));
        JsonNode? listed = null;
        await AwaitConditionAsync(async () =>
        {
            listed = (await am.AlertsAsync()).FirstOrDefault(a => a!["labels"]!["target"]?.GetValue<string>() == "orders");
            return listed is not null;
        }, Timeout, TimeSpan.FromMilliseconds(200));
        Assert.Equal("configmonitor_database_unreachable", listed!["labels"]!["alertname"]!.GetValue<string>());
        Assert.Equal("critical", listed["labels"]!["severity"]!.GetValue<string>());
        Assert.Equal("active", listed["status"]!["state"]!.GetValue<string>());

        // Alertmanager would drop an alert not re-sent within its 2 s resolve timeout; the refresh keeps it firing.
        for (var deadline = DateTime.UtcNow.AddSeconds(4); DateTime.UtcNow < deadline; await Task.Delay(AlertmanagerProcess.PollInterval))
            Assert.Contains(await am.AlertsAsync(), a => a!["labels"]!["target"]?.GetValue<string>() == "orders");

        manager.Tell(Db(down: false));
        await AwaitConditionAsync(async () => (await am.AlertsAsync()).All(a => a!["labels"]!["target"]?.GetValue<string>() != "orders"),
            Timeout, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_publish_notifications_on_a_distributed_pubsub_topic_for_other_actors()
    {
        // A one-node cluster of its own (pub-sub needs one), with an in-memory journal for the outbox.
        using var cluster = ActorSystem.Create("pubsub", Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.min-nr-of-members = 1
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.DefaultConfig()));
        var self = Akka.Cluster.Cluster.Get(cluster);
        await self.JoinAsync(self.SelfAddress);
        var subscriber = CreateTestProbe(cluster);
        var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(cluster).Mediator;
        mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe("configmonitor.alerts", subscriber.Ref), subscriber.Ref);
        await subscriber.ExpectMsgAsync<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(Timeout);
        var outbox = cluster.ActorOf(NotificationOutboxActor.Props(
            [NotificationChannels.Create(new NotificationChannelSettings { Name = "actors", Kind = ChannelKind.PubSub }, Fast, cluster)], Fast,
            SystemClock.Instance));

        var alert = new Alert("alert-1", "orders", AlertCategory.Database, "unreachable", AlertSeverity.Critical, "down",
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, false, null, null);
        outbox.Tell(new Notification("n-1", NotificationKind.Firing, alert, DateTimeOffset.UtcNow));

        var received = await subscriber.ExpectMsgAsync<Notification>(Timeout);
        Assert.Equal("alert-1", received.Alert.Id);
        await cluster.Terminate();
    }

    [Fact]
    public async Task Should_raise_a_group_alert_from_the_groups_of_the_target_registry()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var targets = new[] { "eu-1", "eu-2", "eu-3" }.Select(id => ConfigMonitor.Actors.Targets.TargetDefinition.WithDefaults(id, "/user/none") with { Group = "eu" }).ToList();
        var registry = node.System.ActorOf(ConfigMonitor.Actors.Targets.TargetRegistryActor.Props(targets, CreateTestProbe(node.System).Ref));
        var settings = Settings(TimeSpan.Zero) with { GroupsRefreshInterval = TimeSpan.FromMilliseconds(100) };
        var manager = node.System.ActorOf(AlertManagerActor.Props(SystemClock.Instance, settings.Policy, ActorRefs.Nobody, settings, () => registry));
        var changes = CreateTestProbe(node.System);
        await manager.Ask<AlertCommands.SubscribedToAlerts>(new AlertCommands.SubscribeToAlerts(changes.Ref), Timeout);

        foreach (var id in new[] { "eu-1", "eu-2" })
            manager.Tell(new Observation(id, AlertCategory.Database, "unreachable", true, AlertSeverity.Critical, "down", DateTimeOffset.UtcNow));

        var group = (AlertChanged)await changes.FishForMessageAsync(m => m is AlertChanged { Kind: AlertChangeKind.Raised, Alert.Rule: AlertBook.GroupRule }, Timeout);
        Assert.Equal("2 of 3 targets in group 'eu' are failing: eu-1, eu-2", group.Alert.Message);
        Assert.Equal("group:eu", group.Alert.TargetId);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
