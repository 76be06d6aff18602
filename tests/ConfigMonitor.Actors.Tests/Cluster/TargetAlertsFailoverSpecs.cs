using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Tests.Support;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>
/// Three real nodes on loopback sharing one SQLite store: a target's alert evaluation runs in its entity on exactly one node,
/// and when that node crashes its counters go on, on the node that takes the target over.
/// </summary>
public sealed class TargetAlertsFailoverSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new();

    private static Observation Slow(DateTimeOffset at) =>
        new("orders", AlertCategory.Performance, "config_access_ms", true, AlertSeverity.Warning, "reads take 900 ms", at);

    /// <summary>The nodes where the target's evaluation runs (an actor at its entity's path answers there).</summary>
    private static async Task<IReadOnlyList<ClusterNode>> EvaluatorsOf(IEnumerable<ClusterNode> nodes)
    {
        var found = new List<ClusterNode>();
        foreach (var node in nodes)
        {
            var identity = await node.System.ActorSelection("/system/sharding/target-monitor/*/orders/alerts")
                .Ask<ActorIdentity>(new Identify("orders"), TimeSpan.FromSeconds(3));
            if (identity.Subject is not null) found.Add(node);
        }
        return found;
    }

    [Fact]
    public async Task Should_evaluate_on_one_node_and_carry_the_breach_count_over_to_the_node_that_takes_the_target_over()
    {
        var nodes = new List<ClusterNode> { await ClusterNode.StartAsync(_data.Path, seed: null, hocon: ClusterNode.CrashableFailoverHocon) };
        nodes.Add(await ClusterNode.StartAsync(_data.Path, seed: nodes[0], hocon: ClusterNode.CrashableFailoverHocon));
        nodes.Add(await ClusterNode.StartAsync(_data.Path, seed: nodes[0], hocon: ClusterNode.CrashableFailoverHocon));
        try
        {
            var at = DateTimeOffset.UtcNow;
            // The first breach of a warning (default rule: fires at the second in a row), sent through the target region.
            nodes[1].Registry.Get<TargetRegion>().Tell(Slow(at));
            Alert pending = null!;
            await AwaitAssertAsync(async () =>
                pending = Assert.Single((await nodes[1].Registry.Get<AlertManager>()
                    .Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, TimeSpan.FromSeconds(3))).Alerts), Timeout, TimeSpan.FromMilliseconds(200));
            Assert.Equal(AlertState.Pending, pending.State);
            var owner = Assert.Single(await EvaluatorsOf(nodes));

            await owner.Crash();
            nodes.Remove(owner);
            // The second breach, once the target's entity runs on a survivor: the count went on from one, so the alert fires.
            await AwaitAssertAsync(async () => Assert.Single(await EvaluatorsOf(nodes)), Timeout, TimeSpan.FromMilliseconds(500));
            nodes[0].Registry.Get<TargetRegion>().Tell(Slow(at.AddSeconds(5)));
            await AwaitAssertAsync(async () =>
            {
                var alert = Assert.Single((await nodes[0].Registry.Get<AlertManager>()
                    .Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, TimeSpan.FromSeconds(3))).Alerts);
                Assert.Equal((pending.Id, AlertState.Firing, pending.RaisedAt), (alert.Id, alert.State, alert.RaisedAt));
            }, Timeout, TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
