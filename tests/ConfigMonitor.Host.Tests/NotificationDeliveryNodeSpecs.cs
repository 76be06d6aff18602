using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.ConfigService;
using ConfigMonitor.Host.Tests.Support;
using Xunit.Abstractions;
using TempDirectory = ConfigMonitor.Host.Tests.Support.TempDirectory;

namespace ConfigMonitor.Host.Tests;

/// <summary>A whole node pages a webhook receiver that is down, is restarted, and the page still arrives.</summary>
public sealed class NotificationDeliveryNodeSpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new();

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
        var port = WebhookReceiver.FreePort();
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
                firing = list.Alerts.FirstOrDefault(a => a is { Category: AlertCategory.Database, State: AlertState.Firing, LastNotifiedAt: not null });
                return firing is not null;
            }, WaitTimeout, "the database alert should fire and be handed to the notifiers");
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

    public void Dispose() => _data.Dispose();
}
