using System.Text.Json.Nodes;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Notifications;

/// <summary>At-least-once delivery through the persisted outbox to real HTTP receivers on loopback.</summary>
public sealed class NotificationOutboxSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow;
    private readonly TempDirectory _data = new();

    private static readonly DeliverySettings Fast = new()
    {
        QuickRetries = 1, QuickRetryDelay = TimeSpan.FromMilliseconds(20), FirstBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    private static Alert Alert(string id, AlertSeverity severity = AlertSeverity.Critical, AlertCategory category = AlertCategory.Database,
        AlertState state = AlertState.Firing) =>
        new(id, "orders", category, "unreachable", severity, "database round trip failed", T0, T0, state == AlertState.Resolved ? T0.AddMinutes(1) : null,
            false, null, null, state, T0);

    private static Notification Notify(string id, Alert alert, NotificationKind kind = NotificationKind.Firing) => new(id, kind, alert, DateTimeOffset.UtcNow);

    private static NotificationChannelSettings Webhook(string name, Uri url, AlertSeverity min = AlertSeverity.Info, params AlertCategory[] categories) =>
        new() { Name = name, Kind = ChannelKind.Webhook, Url = url, MinSeverity = min, Categories = categories, Timeout = TimeSpan.FromSeconds(2) };

    private IActorRef Outbox(ActorSystem system, params NotificationChannelSettings[] channels) =>
        system.ActorOf(NotificationOutboxActor.Props(channels.Select(c => NotificationChannels.Create(c, Fast, system)).ToList(), Fast, SystemClock.Instance));

    private static IReadOnlyList<string> AlertIds(WebhookReceiver receiver) =>
        receiver.Received.Select(b => b["alerts"]![0]!["annotations"]!["alert_id"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Should_post_alertmanager_webhook_payloads_to_a_real_receiver()
    {
        await using var receiver = new WebhookReceiver();
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var outbox = Outbox(node.System, Webhook("ops", receiver.Url));

        outbox.Tell(Notify("n1", Alert("alert-1")));
        outbox.Tell(Notify("n2", Alert("alert-1", state: AlertState.Resolved), NotificationKind.Resolved));

        await AwaitConditionAsync(() => Task.FromResult(receiver.Received.Count == 2), Timeout);
        var bodies = receiver.Received.ToArray();
        Assert.Equal("4", bodies[0]["version"]!.GetValue<string>());
        Assert.Equal("ops", bodies[0]["receiver"]!.GetValue<string>());
        Assert.Equal(["firing", "resolved"], bodies.Select(b => b["status"]!.GetValue<string>()));
        var labels = bodies[0]["alerts"]![0]!["labels"]!;
        Assert.Equal("configmonitor_database_unreachable", labels["alertname"]!.GetValue<string>());
        Assert.Equal("orders", labels["target"]!.GetValue<string>());
        Assert.Equal("critical", labels["severity"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_retry_with_backoff_until_a_failing_receiver_comes_back_and_keep_the_order()
    {
        await using var receiver = new WebhookReceiver { Status = 503 };
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var outbox = Outbox(node.System, Webhook("ops", receiver.Url));
        for (var i = 1; i <= 3; i++) outbox.Tell(Notify($"n{i}", Alert($"alert-{i}")));

        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref receiver.Attempts) >= 4), Timeout);
        Assert.Empty(receiver.Received);
        receiver.Status = 200;

        await AwaitConditionAsync(() => Task.FromResult(receiver.Received.Count >= 3), Timeout);
        Assert.Equal(["alert-1", "alert-2", "alert-3"], AlertIds(receiver).Distinct());
        var status = await outbox.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, Timeout);
        Assert.Equal(0, status.PendingByChannel["ops"]);
        Assert.True(status.FailedAttemptsSinceStart >= 1);
    }

    [Fact]
    public async Task Should_deliver_every_notification_after_a_restart_of_the_node_while_the_receiver_was_down()
    {
        var port = LoopbackPorts.Free();
        var url = new Uri($"http://127.0.0.1:{port}/hook");
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var outbox = Outbox(node.System, Webhook("ops", url));
            for (var i = 1; i <= 3; i++) outbox.Tell(Notify($"n{i}", Alert($"alert-{i}")));
            var pending = await outbox.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, Timeout);
            await AwaitAssertAsync(async () =>
                Assert.Equal(3, (await outbox.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, Timeout)).PendingByChannel["ops"]), Timeout);
            Assert.NotNull(pending);
        } // the node stops with nothing delivered: connection refused all along

        await using var receiver = new WebhookReceiver(port);
        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var recovered = Outbox(restarted.System, Webhook("ops", url));

        await AwaitConditionAsync(() => Task.FromResult(receiver.Received.Count >= 3), Timeout);
        Assert.Equal(["alert-1", "alert-2", "alert-3"], AlertIds(receiver).Distinct().Order());
        await AwaitAssertAsync(async () =>
            Assert.Equal(0, (await recovered.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, Timeout)).PendingByChannel["ops"]), Timeout);
    }

    [Fact]
    public async Task Should_never_let_a_receiver_that_stays_down_hold_up_another()
    {
        await using var healthy = new WebhookReceiver();
        var deadUrl = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/hook");
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var outbox = Outbox(node.System, Webhook("dead", deadUrl), Webhook("healthy", healthy.Url));

        for (var i = 1; i <= 5; i++) outbox.Tell(Notify($"n{i}", Alert($"alert-{i}")));

        await AwaitConditionAsync(() => Task.FromResult(healthy.Received.Count == 5), Timeout);
        var status = await outbox.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, Timeout);
        Assert.Equal(5, status.PendingByChannel["dead"]);
        Assert.Equal(0, status.PendingByChannel["healthy"]);
    }

    [Fact]
    public async Task Should_route_by_severity_and_category()
    {
        await using var pager = new WebhookReceiver();
        await using var cacheTeam = new WebhookReceiver();
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var outbox = Outbox(node.System, Webhook("pager", pager.Url, AlertSeverity.Critical), Webhook("cache-team", cacheTeam.Url, AlertSeverity.Info, AlertCategory.Cache));

        outbox.Tell(Notify("n1", Alert("alert-1", AlertSeverity.Critical, AlertCategory.Database)));
        outbox.Tell(Notify("n2", Alert("alert-2", AlertSeverity.Warning, AlertCategory.Cache)));
        outbox.Tell(Notify("n3", Alert("alert-3", AlertSeverity.Critical, AlertCategory.Cache)));

        await AwaitConditionAsync(() => Task.FromResult(pager.Received.Count == 2 && cacheTeam.Received.Count == 2), Timeout);
        Assert.Equal(["alert-1", "alert-3"], AlertIds(pager).Order());
        Assert.Equal(["alert-2", "alert-3"], AlertIds(cacheTeam).Order());
    }

    [Fact]
    public void Should_describe_firing_and_resolved_alerts_in_alertmanagers_v2_shape()
    {
        var firing = AlertmanagerPayloads.PostableAlert(Alert("alert-1"));
        var resolved = AlertmanagerPayloads.PostableAlert(Alert("alert-1", state: AlertState.Resolved));

        Assert.Null(firing["endsAt"]);
        Assert.Equal(T0.AddMinutes(1).ToString("o"), resolved["endsAt"]!.GetValue<string>());
        Assert.Equal(firing["labels"]!.ToJsonString(), resolved["labels"]!.ToJsonString());
        Assert.Equal("alert-1", firing["annotations"]!["alert_id"]!.GetValue<string>());
    }

    [Fact]
    public void Should_reject_a_webhook_channel_without_a_usable_url()
    {
        var problems = new NotificationChannelSettings { Name = "ops", Kind = ChannelKind.Webhook, Url = new Uri("ftp://example/") }.Problems();

        Assert.Equal("channel 'ops': field 'Url' must be an absolute http(s) URL for a webhook channel", Assert.Single(problems));
        Assert.IsType<JsonObject>(AlertmanagerPayloads.Labels(Alert("a")));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
