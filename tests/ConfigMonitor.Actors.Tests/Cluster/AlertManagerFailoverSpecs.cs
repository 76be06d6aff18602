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
        Alert alert = null!;
        await AwaitAssertAsync(async () =>
            alert = Assert.Single((await viaSecond.Ask<AlertQueries.AlertList>(AlertQueries.GetActiveAlerts.Instance, Timeout)).Alerts),
            Timeout, TimeSpan.FromMilliseconds(100));
        await viaSecond.Ask<AlertCommands.AlertAcknowledged>(new AlertCommands.AcknowledgeAlert(alert.Id, "alice", "failing over"), Timeout);
        var silence = await viaSecond.Ask<AlertCommands.SilenceCreated>(new AlertCommands.CreateSilence(
            [new Matcher(MatchField.Target, "billing")], null, DateTimeOffset.UtcNow.AddHours(1), "alice", "maintenance"), Timeout);

        await first.StopAsync(); // the oldest node leaves: its singletons hand over to the second node
        await first.DisposeAsync();

        // While the singleton moves, asks time out; AwaitAssert tries again until the new one answers.
        Alert recovered = null!;
        await AwaitAssertAsync(async () =>
        {
            var list = await viaSecond.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, TimeSpan.FromSeconds(3));
            recovered = Assert.Single(list.Alerts, a => a.Id == alert.Id);
        }, Timeout, TimeSpan.FromMilliseconds(100));
        Assert.True(recovered.Acknowledged);
        Assert.Equal("failing over", recovered.AcknowledgeComment);
        Assert.Equal(AlertState.Firing, recovered.State);
        var silences = await viaSecond.Ask<AlertQueries.SilenceList>(new AlertQueries.GetSilences(), Timeout);
        Assert.Equal(silence.Silence.Id, Assert.Single(silences.Silences).Id);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
