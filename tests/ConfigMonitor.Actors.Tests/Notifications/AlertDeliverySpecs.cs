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
        Policy = new AlertPolicy { WarningRule = AlertRule.Immediate, CriticalRule = AlertRule.Immediate, RepeatInterval = repeat },
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
        Skip.IfNot(AlertmanagerProcess.Installed, $"{AlertmanagerProcess.Binary} is not installed (.ci/run installs prometheus-alertmanager)");
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

        manager.Tell(Db(down: false));
        await AwaitConditionAsync(async () => (await am.AlertsAsync()).All(a => a!["labels"]!["target"]?.GetValue<string>() != "orders"),
            Timeout, TimeSpan.FromMilliseconds(200));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
