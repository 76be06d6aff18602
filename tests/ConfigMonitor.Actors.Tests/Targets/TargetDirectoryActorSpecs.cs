using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>
/// Where a node's directory answers a read from: its own replica once that holds the registry's publication, the registry
/// before. On a real one-node cluster with the real replicator; its change notifications are held back (a 30 s interval) so
/// the replica can hold the publication before the directory was told of it, as on a busy node right after a publication.
/// </summary>
public sealed class TargetDirectoryActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.cluster.distributed-data.notify-subscribers-interval = 30s
    akka.loglevel = INFO
    """, output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private async Task<IActorRef> ReplicatorAsync()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        return DistributedData.Get(Sys).Replicator;
    }

    /// <summary>Writes every key as the registry's first publication does, then (unless told not to) the flag that says so.</summary>
    private async Task PublishAsync(IActorRef replicator, IReadOnlyCollection<TargetDefinition> targets, bool flag = true)
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        foreach (var update in TargetDirectoryWriter.Updates(cluster, targets.Select(t => new TargetDirectoryEntry(t, Configured: true)).ToList()))
            Assert.IsType<UpdateSuccess>(await replicator.Ask<IUpdateResponse>(update, Timeout));
        if (!flag) return;
        Assert.IsType<UpdateSuccess>(await replicator.Ask<IUpdateResponse>(
            Dsl.Update(TargetDirectoryKeys.Published, Flag.False, WriteLocal.Instance, flag => flag.SwitchOn()), Timeout));
    }

    [Fact]
    public async Task A_read_should_be_answered_from_the_replica_when_it_holds_the_publication_before_the_directory_was_notified_of_it()
    {
        var replicator = await ReplicatorAsync();
        var registry = CreateTestProbe();
        var directory = Sys.ActorOf(TargetDirectoryActor.Props(replicator, () => registry.Ref));
        var targets = Enumerable.Range(1, 25).Select(i => TargetDefinition.WithDefaults($"svc-{i:D2}", "/user/none")).ToList();
        await PublishAsync(replicator, targets);

        // The registry (a dead singleton, say) is never asked: the directory's flush brings the publication in first.
        var listed = await TargetPages.AllAsync(directory, Timeout);
        Assert.Equal(targets.Select(t => t.Id), listed.Targets.Select(t => t.Id));
        Assert.Equal(targets.Select(t => t.Id), listed.ConfiguredIds);
        var one = await directory.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTarget("SVC-07"), Timeout);
        Assert.Equal("svc-07", Assert.Single(one.Targets).Id);
        Assert.Equal(targets.Count, one.Total);
        await registry.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Before_the_publication_a_read_should_go_to_the_registry_and_its_answer_to_the_asker()
    {
        var replicator = await ReplicatorAsync();
        var registry = CreateTestProbe();
        var directory = Sys.ActorOf(TargetDirectoryActor.Props(replicator, () => registry.Ref));

        var asked = directory.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTargets(Limit: 10), Timeout);
        Assert.Equal(10, (await registry.ExpectMsgAsync<TargetRegistryCommands.GetTargets>(Timeout)).Limit);
        var answer = new TargetRegistryCommands.TargetList([TargetDefinition.WithDefaults("from-registry", "/user/none")], [], 1);
        registry.Reply(answer);
        Assert.Same(answer, await asked);

        // Every key written but no flag yet: still the registry's to answer (the replica may be part-way through the first publication).
        await PublishAsync(replicator, [TargetDefinition.WithDefaults("partial", "/user/none")], flag: false);
        _ = directory.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTarget("partial"), Timeout);
        Assert.Equal("partial", (await registry.ExpectMsgAsync<TargetRegistryCommands.GetTarget>(Timeout)).TargetId);
    }
}
