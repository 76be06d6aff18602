using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Tests.Support;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>Two real nodes on loopback sharing one SQLite store: the alert book survives the loss of the node that ran it.</summary>
public sealed class AlertManagerFailoverSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task Should_keep_alerts_silences_and_acknowledgements_when_the_singleton_moves_to_another_node()
    {
        var first = await ClusterNode.StartAsync(_data.Path, seed: null);
        await using var second = await ClusterNode.StartAsync(_data.Path, seed: first);
        var viaSecond = second.Registry.Get<AlertManager>();

        viaSecond.Tell(new Observation("orders", AlertCategory.Database, "unreachable", true, AlertSeverity.Critical, "down", DateTimeOffset.UtcNow));
        var alert = await EventuallyAsync(async () =>
            (await viaSecond.Ask<AlertQueries.AlertList>(AlertQueries.GetActiveAlerts.Instance, Timeout)).Alerts.SingleOrDefault());
        await viaSecond.Ask<AlertCommands.AlertAcknowledged>(new AlertCommands.AcknowledgeAlert(alert.Id, "alice", "failing over"), Timeout);
        var silence = await viaSecond.Ask<AlertCommands.SilenceCreated>(new AlertCommands.CreateSilence(
            [new Matcher(MatchField.Target, "billing")], null, DateTimeOffset.UtcNow.AddHours(1), "alice", "maintenance"), Timeout);

        await first.StopAsync(); // the oldest node leaves: its singletons hand over to the second node
        await first.DisposeAsync();

        var recovered = await EventuallyAsync(async () =>
        {
            var list = await viaSecond.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, TimeSpan.FromSeconds(3));
            return list.Alerts.SingleOrDefault(a => a.Id == alert.Id);
        });
        Assert.True(recovered.Acknowledged);
        Assert.Equal("failing over", recovered.AcknowledgeComment);
        Assert.Equal(AlertState.Firing, recovered.State);
        var silences = await viaSecond.Ask<AlertQueries.SilenceList>(new AlertQueries.GetSilences(), Timeout);
        Assert.Equal(silence.Silence.Id, Assert.Single(silences.Silences).Id);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt) where T : class
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                if (await attempt() is { } value) return value;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
            {
                // the singleton is moving
            }
            if (DateTime.UtcNow >= deadline) throw new TimeoutException("no answer before the deadline");
            await Task.Delay(AlertmanagerProcess.PollInterval);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
