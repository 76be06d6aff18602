using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>Targets are sharded entities: on two nodes they spread over both, and come back to one node when the other leaves.</summary>
public sealed class TargetDistributionSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task Should_spread_targets_over_the_nodes_and_take_them_back_when_a_node_leaves()
    {
        var targets = Enumerable.Range(1, 12).Select(i => TargetDefinition.WithDefaults($"svc-{i}", "/user/no-such-service") with
        {
            ProbeTimeout = TimeSpan.FromMilliseconds(200),
        }).ToList();
        await using var first = await ClusterNode.StartAsync(_data.Path, seed: null, targets);
        var second = await ClusterNode.StartAsync(_data.Path, seed: first, targets);
        var region = first.Registry.Get<TargetRegion>();

        async Task<HashSet<string>> Nodes()
        {
            var statuses = await Task.WhenAll(targets.Select(t =>
                region.Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(t.Id), TimeSpan.FromSeconds(5))));
            Assert.All(statuses, s => Assert.True(s.Monitoring, $"{s.TargetId} is not monitored"));
            return statuses.Select(s => s.Node).ToHashSet();
        }

        await AwaitAssertAsync(async () => Assert.Equal(
            new HashSet<string> { first.Address.ToString(), second.Address.ToString() }, await Nodes()), Timeout, TimeSpan.FromMilliseconds(500));

        await second.DisposeAsync(); // graceful leave: its shards hand off and the registry restarts their entities on the first node

        await AwaitAssertAsync(async () => Assert.Equal(new HashSet<string> { first.Address.ToString() }, await Nodes()),
            Timeout, TimeSpan.FromMilliseconds(500));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
