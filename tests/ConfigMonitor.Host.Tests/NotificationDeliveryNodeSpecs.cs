using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.ConfigService;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests;

/// <summary>A whole node pages a webhook receiver: a page queued while the receiver was down arrives after a restart; one outage pages once.</summary>
public sealed class NotificationDeliveryNodeSpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = TempDirectory.ForNode();

    private Dictionary<string, string?> Settings(int receiverPort)
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Alerts:Channels:ops:Kind"] = "webhook";
        settings["ConfigMonitor:Alerts:Channels:ops:Url"] = $"http://127.0.0.1:{receiverPort}/hook";
        settings["ConfigMonitor:Alerts:Channels:ops:MinSeverity"] = "critical";
        settings["ConfigMonitor:Alerts:Delivery:FirstBackoff"] = "200ms";
        settings["ConfigMonitor:Alerts:Delivery:MaxBackoff"] = "1s";
        settings["ConfigMonitor:Alerts:NotifyCheckInterval"] = "500ms";
        return settings;
    }

    [Fact]
    public async Task Should_deliver_a_page_queued_while_the_receiver_was_down_after_the_node_restarts()
    {
        var port = LoopbackPorts.Free();
        string alertId;
        var first = await TestNode.BuildAsync(Settings(port));
        try
        {
            await first.StartAsync();
            var registry = first.Registry();
            var alerts = await registry.GetAsync<AlertManager>();
            var notifier = await registry.GetAsync<Notifier>();
            await first.System().ActorSelection("/user/" + MonitorNode.DemoServiceName)
                .Ask<ConfigServiceFaults.FaultApplied>(new ConfigServiceFaults.SetDatabaseAvailable(false), AskTimeout);

            Alert? firing = null;
            await Eventually.AssertAsync(async () =>
            {
                var list = await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetActiveAlerts.Instance, AskTimeout);
                // One page for the outage: the database's, or the health rule's when reads fail with it (the probe key is not cached).
                firing = list.Alerts.FirstOrDefault(a => a is { TargetId: "demo", State: AlertState.Firing, LastNotifiedAt: not null });
                return firing is not null;
            }, WaitTimeout, "the outage's alert should fire and be handed to the notifiers");
            alertId = firing!.Id;
            await Eventually.AssertAsync(async () =>
                (await notifier.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, AskTimeout)).PendingByChannel["ops"] > 0,
                WaitTimeout, "the page should wait in the outbox while nothing listens");
            output.WriteLine($"{alertId} is queued for 'ops'; stopping the node with the receiver still down");
        }
        finally
        {
            await first.StopWithinAsync(TestNode.StopTimeout);
            await first.DisposeAsync();
        }

        await using var receiver = new WebhookReceiver(port);
        var second = await TestNode.BuildAsync(Settings(port));
        try
        {
            await second.StartAsync();
            await Eventually.AssertAsync(() => Task.FromResult(receiver.Received.Any(body =>
                    body["alerts"]![0]!["annotations"]!["alert_id"]!.GetValue<string>() == alertId
                    && body["status"]!.GetValue<string>() == "firing")),
                WaitTimeout, $"the page about {alertId} queued before the restart should reach the receiver");
        }
        finally
        {
            await second.StopWithinAsync(TestNode.StopTimeout);
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_config_service_that_stops_answering_pages_once_for_its_health_rule_and_not_for_every_loop_that_notices()
    {
        await using var receiver = new WebhookReceiver(LoopbackPorts.Free());
        var node = await TestNode.BuildAsync(Settings(receiver.Port));
        try
        {
            await node.StartAsync();
            var registry = node.Registry();
            var alerts = await registry.GetAsync<AlertManager>();
            var notifier = await registry.GetAsync<Notifier>();
            async Task<IReadOnlyList<Alert>> Demo() =>
                (await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, AskTimeout)).Alerts.Where(a => a.TargetId == "demo").ToList();
            async Task<bool> Delivered() =>
                (await notifier.Ask<OutboxCommands.OutboxStatus>(OutboxCommands.GetOutboxStatus.Instance, AskTimeout)).PendingByChannel.Values.Sum() == 0;
            List<(string Id, string Status)> Pages() => receiver.Received
                .SelectMany(body => body["alerts"]!.AsArray().Select(a => (a!["annotations"]!["alert_id"]!.GetValue<string>(), body["status"]!.GetValue<string>())))
                .ToList();

            await node.FaultDemoAsync(new ConfigServiceFaults.SetHang(true));

            // Every loop notices: the health rule fires and pages, the database, read and event alerts fire and are inhibited by it.
            Alert root = null!;
            await Eventually.AssertAsync(async () =>
            {
                var demo = await Demo();
                root = demo.SingleOrDefault(a => a is { Category: AlertCategory.Health, Rule: "service_health", State: AlertState.Firing })!;
                if (root is null || root.LastNotifiedAt is null) return false;
                var symptoms = demo.Where(a => a.State == AlertState.Firing && Inhibition.IsAnswerFailure(a.Category, a.Rule)).ToList();
                return symptoms.Select(a => a.Category).Distinct().Count() >= 3
                    && symptoms.All(a => a.SuppressedBy == $"inhibited:{root.Id}" && a.LastNotifiedAt is null)
                    && await Delivered();
            }, WaitTimeout, "the health rule should page and the database, read and event alerts fire inhibited by it");
            var firingPages = Pages().Where(p => p.Status == "firing").ToList();
            Assert.Equal([root.Id], firingPages.Select(p => p.Id).Distinct());

            // Recovery: the root resolves (and says so); what it inhibited resolves without ever paging.
            await node.FaultDemoAsync(new ConfigServiceFaults.SetHang(false));
            await Eventually.AssertAsync(async () =>
                (await Demo()).Where(a => a.Id == root.Id || Inhibition.IsAnswerFailure(a.Category, a.Rule)).All(a => a.State == AlertState.Resolved)
                && await Delivered(), WaitTimeout, "every alert of the outage should resolve");
            Assert.Equal([root.Id], Pages().Where(p => p.Status == "firing").Select(p => p.Id).Distinct());
            Assert.Contains((root.Id, "resolved"), Pages());
            Assert.All((await Demo()).Where(a => a.Id != root.Id && Inhibition.IsAnswerFailure(a.Category, a.Rule)), a => Assert.Null(a.LastNotifiedAt));
        }
        finally
        {
            await node.StopWithinAsync(TestNode.StopTimeout);
            await node.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();
}
