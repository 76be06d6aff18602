using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>
/// Three real nodes on loopback: every node answers reads about targets from its own replica of the registry, a change made
/// through one node is read on another at once, and when the oldest node (all the singletons, the shard coordinator) crashes,
/// reads keep answering and its targets are monitored again on the survivors.
/// </summary>
public sealed class TargetDirectorySpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(3);
    private readonly TempDirectory _data = new();

    private static async Task<IReadOnlyList<string>> DirectoryIds(ClusterNode node) =>
        (await TargetPages.AllAsync(node.Registry.Get<TargetDirectory>(), Ask)).Targets.Select(t => t.Id).ToList();

    [Fact]
    public async Task A_target_added_or_removed_through_one_node_should_be_read_on_every_node_when_the_registry_answers()
    {
        var targets = ClusterNode.Targets(3);
        await using var first = await ClusterNode.StartAsync(_data.Path, seed: null, targets);
        await using var second = await ClusterNode.StartAsync(_data.Path, seed: first, targets);
        await using var third = await ClusterNode.StartAsync(_data.Path, seed: first, targets);
        foreach (var node in new[] { first, second, third })
            await AwaitAssertAsync(async () => Assert.Equal(targets.Select(t => t.Id), await DirectoryIds(node)), Timeout, TimeSpan.FromMilliseconds(200));
        // The registry writes to every node its own node has seen Up: wait until every node sees all three Up.
        foreach (var node in new[] { first, second, third })
            await AwaitAssertAsync(() => Assert.Equal(3, Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)),
                Timeout, TimeSpan.FromMilliseconds(100));

        var added = TargetDefinition.WithDefaults("runtime-1", "/user/no-such-service");
        Assert.IsType<TargetRegistryCommands.TargetRegistered>(
            await second.Registry.Get<TargetRegistry>().Ask<object>(new TargetRegistryCommands.RegisterTarget(added), Timeout));
        // No waiting: the registry answers once every node holds the change.
        Assert.Contains("runtime-1", await DirectoryIds(third));
        Assert.Contains("runtime-1", await DirectoryIds(first));
        await AwaitAssertAsync(async () => Assert.True((await third.Registry.Get<TargetRegion>()
            .Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus("runtime-1"), Ask)).Monitoring), Timeout);

        Assert.IsType<TargetRegistryCommands.TargetUnregistered>(
            await third.Registry.Get<TargetRegistry>().Ask<object>(new TargetRegistryCommands.UnregisterTarget("runtime-1"), Timeout));
        Assert.DoesNotContain("runtime-1", await DirectoryIds(second));
        Assert.DoesNotContain("runtime-1", await DirectoryIds(first));
    }

    [Fact]
    public async Task When_the_oldest_node_crashes_reads_should_keep_answering_and_its_targets_should_be_monitored_on_the_survivors()
    {
        var targets = ClusterNode.Targets(12);
        var first = await ClusterNode.StartAsync(_data.Path, seed: null, targets, ClusterNode.CrashableFailoverHocon);
        await using var second = await ClusterNode.StartAsync(_data.Path, seed: first, targets, ClusterNode.CrashableFailoverHocon);
        await using var third = await ClusterNode.StartAsync(_data.Path, seed: first, targets, ClusterNode.CrashableFailoverHocon);
        var region = second.Registry.Get<TargetRegion>();

        async Task<IReadOnlyList<TargetMonitorQueries.TargetStatus>> Statuses() => await Task.WhenAll(targets.Select(t =>
            region.Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(t.Id), Ask)));

        await AwaitAssertAsync(async () => Assert.Equal(3, (await Statuses()).Where(s => s.Monitoring).Select(s => s.Node).Distinct().Count()),
            Timeout, TimeSpan.FromMilliseconds(500));
        await AwaitAssertAsync(async () => Assert.Equal(targets.Count, (await DirectoryIds(third)).Count), Timeout);
        // Until a node's replica holds the registry's first publication its directory asks the registry; wait until both
        // survivors hold it (the flag is written once every key was written to every node), as a cluster that ran a while does.
        foreach (var survivor in new[] { second, third })
            await AwaitAssertAsync(async () => Assert.IsType<Akka.DistributedData.GetSuccess>(await Akka.DistributedData.DistributedData.Get(survivor.System).Replicator
                .Ask<Akka.DistributedData.IGetResponse>(Akka.DistributedData.Dsl.Get(TargetDirectoryKeys.Published, Akka.DistributedData.ReadLocal.Instance), Ask)),
                Timeout, TimeSpan.FromMilliseconds(200));
        var lost = (await Statuses()).Where(s => s.Node == first.Address.ToString()).Select(s => s.TargetId).ToList();
        Assert.NotEmpty(lost);

        var crashed = Stopwatch.StartNew();
        await first.Crash();

        // Reads about targets need no singleton: both survivors answer at once, while the registry is still on the lost node.
        Assert.Equal(targets.Select(t => t.Id), await DirectoryIds(second));
        Assert.Equal(targets.Select(t => t.Id), await DirectoryIds(third));

        // Every target, the lost node's too, is monitored on a survivor, and its metrics answer from the same entity.
        var survivors = new HashSet<string> { second.Address.ToString(), third.Address.ToString() };
        await AwaitAssertAsync(async () =>
        {
            var statuses = await Statuses();
            Assert.All(statuses, s => Assert.True(s.Monitoring && survivors.Contains(s.Node), $"{s.TargetId} on {s.Node}, monitoring {s.Monitoring}"));
            foreach (var id in lost)
                Assert.Contains(statuses.Single(s => s.TargetId == id).Loops, l => l.LastProbeAt is { } at && at > DateTimeOffset.UtcNow - crashed.Elapsed);
        }, Timeout, TimeSpan.FromMilliseconds(250));
        var monitoredAgain = crashed.Elapsed;
        await AwaitAssertAsync(async () =>
            Assert.Equal(targets.Count, (await second.Registry.Get<TargetRegistry>().Ask<TargetRegistryCommands.TargetList>(
                TargetRegistryCommands.GetTargets.Instance, Ask)).Total), Timeout, TimeSpan.FromMilliseconds(250));
        foreach (var id in lost)
            Assert.NotNull(await second.Registry.Get<TargetRegion>().Ask<MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(id), Ask));
        _output.WriteLine($"lost node's {lost.Count} targets probed again on the survivors {monitoredAgain.TotalSeconds:F1} s after the crash; " +
                         $"registry singleton answering after {crashed.Elapsed.TotalSeconds:F1} s");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
