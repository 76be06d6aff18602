using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>
/// What the target registry writes to Distributed Data: every key once at its first publication, then for each registration or
/// removal only the one key the id hashes to, with only that id's entry changed. On a real one-node cluster with the real
/// replicator (its writes counted on the way in) and an in-memory journal.
/// </summary>
public sealed class TargetDirectoryWriterSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
    akka.loglevel = INFO
    """, output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly UniqueAddress Node = new(new Address("akka.tcp", "writer", "127.0.0.1", 1), 1);
    private static readonly UniqueAddress OtherNode = new(new Address("akka.tcp", "writer", "127.0.0.1", 2), 2);
    private static readonly LWWDictionary<string, TargetDirectoryEntry> Empty = LWWDictionary<string, TargetDirectoryEntry>.Empty;

    private static TargetDirectoryEntry Entry(string id, bool configured = false, string endpoint = "/user/none") =>
        new(TargetDefinition.WithDefaults(id, endpoint), configured);

    /// <summary>Passes every message to the real replicator and tells the observer the key of each update on the way.</summary>
    private sealed class CountingRelay : ReceiveActor
    {
        public CountingRelay(IActorRef replicator, IActorRef observer) =>
            ReceiveAny(message =>
            {
                if (message is Update update) observer.Tell(update.Key.Id);
                replicator.Forward(message);
            });
    }

    [Fact]
    public void Setting_one_entry_should_change_only_that_entry_and_leave_the_key_as_it_is_when_it_already_says_so()
    {
        var key = Empty.SetItem(OtherNode, "a", Entry("a", configured: true)).SetItem(OtherNode, "b", Entry("b"));

        var added = TargetDirectoryWriter.WithOne(key, Node, "C", Entry("C"));
        Assert.Equal(["a", "b", "c"], added.Entries.Keys.Order());
        Assert.Equal(Entry("a", configured: true), added["a"]);
        Assert.Equal(Entry("b"), added["b"]);

        var redefined = TargetDirectoryWriter.WithOne(added, Node, "c", Entry("c", endpoint: "/user/elsewhere"));
        Assert.Equal("/user/elsewhere", redefined["c"].Definition.Endpoint);
        Assert.Equal(Sorted(key.Entries), Sorted(redefined.Entries.Where(e => e.Key != "c")));

        // Nothing to write: the same value comes back, so the replicator has no change to spread.
        Assert.Same(redefined, TargetDirectoryWriter.WithOne(redefined, Node, "c", Entry("c", endpoint: "/user/elsewhere")));
        Assert.Same(key, TargetDirectoryWriter.WithOne(key, Node, "absent", null));
    }

    [Fact]
    public void Removing_one_entry_should_remove_only_that_entry_whatever_the_case_of_its_id()
    {
        var key = Empty.SetItem(OtherNode, "a", Entry("a")).SetItem(OtherNode, "b", Entry("B"));

        var removed = TargetDirectoryWriter.WithOne(key, Node, "B", null);

        Assert.Equal(["a"], removed.Entries.Keys);
        Assert.Equal(Entry("a"), removed["a"]);
    }

    [Fact]
    public async Task After_the_first_publication_each_registration_or_removal_should_write_only_the_key_its_id_hashes_to()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var replicator = DistributedData.Get(Sys).Replicator;
        var written = CreateTestProbe();
        var relay = Sys.ActorOf(Props.Create(() => new CountingRelay(replicator, written.Ref)));
        var configured = Enumerable.Range(1, 40).Select(i => TargetDefinition.WithDefaults($"cfg-{i:D2}", "/user/none")).ToList();
        var registry = Sys.ActorOf(TargetRegistryActor.Props(configured, CreateTestProbe().Ref, replicator: relay));

        // The first publication: every key once, then the flag that says so.
        var first = new List<string>();
        for (var i = 0; i <= TargetDirectoryKeys.KeyCount; i++) first.Add(await written.ExpectMsgAsync<string>(Timeout));
        Assert.Equal(TargetDirectoryKeys.All.Select(k => k.Id).Append(TargetDirectoryKeys.Published.Id).Order(), first.Order());
        var before = await KeysAsync(replicator);

        // Runtime ids that share a key with a configured target (that entry must stay), and ids in keys of their own.
        var sharing = Enumerable.Range(1, 10_000).Select(i => $"runtime-{i}")
            .Where(id => configured.Any(c => TargetDirectoryKeys.IndexOf(c.Id) == TargetDirectoryKeys.IndexOf(id))).Take(3).ToList();
        var added = sharing.Concat(["runtime-a", "runtime-b"]).ToList();
        foreach (var id in added)
        {
            Assert.IsType<TargetRegistryCommands.TargetRegistered>(await registry.Ask<object>(
                new TargetRegistryCommands.RegisterTarget(TargetDefinition.WithDefaults(id, "/user/none")), Timeout));
            Assert.Equal(TargetDirectoryKeys.For(id).Id, await written.ExpectMsgAsync<string>(Timeout));
        }
        Assert.IsType<TargetRegistryCommands.TargetUnregistered>(await registry.Ask<object>(new TargetRegistryCommands.UnregisterTarget("RUNTIME-B"), Timeout));
        Assert.Equal(TargetDirectoryKeys.For("runtime-b").Id, await written.ExpectMsgAsync<string>(Timeout));
        await written.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        // Only the touched keys changed, and in them only the touched ids; every other key is as the first publication left it.
        var after = await KeysAsync(replicator);
        var touched = added.Select(TargetDirectoryKeys.IndexOf).ToHashSet();
        for (var index = 0; index < TargetDirectoryKeys.KeyCount; index++)
        {
            var was = before[index].Entries;
            var now = after[index].Entries;
            if (!touched.Contains(index))
            {
                Assert.Equal(Sorted(was), Sorted(now));
                continue;
            }
            var expected = new Dictionary<string, TargetDirectoryEntry>(was);
            foreach (var id in added.Where(id => TargetDirectoryKeys.IndexOf(id) == index && id != "runtime-b"))
                expected[id] = Entry(id);
            Assert.Equal(Sorted(expected), Sorted(now));
        }
        Assert.All(sharing, id => Assert.Contains(after[TargetDirectoryKeys.IndexOf(id)].Entries.Values, e => e.Configured));

        // And the node's directory, reading the same replicator, lists the configured and the remaining runtime targets.
        var directory = Sys.ActorOf(TargetDirectoryActor.Props(replicator, () => registry));
        var listed = await TargetPages.AllAsync(directory, Timeout);
        Assert.Equal(configured.Select(t => t.Id).Concat(added.Where(id => id != "runtime-b")).Order(StringComparer.OrdinalIgnoreCase),
            listed.Targets.Select(t => t.Id));
        Assert.Equal(configured.Select(t => t.Id), listed.ConfiguredIds);
    }

    private static List<KeyValuePair<string, TargetDirectoryEntry>> Sorted(IEnumerable<KeyValuePair<string, TargetDirectoryEntry>> entries) =>
        entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();

    private static async Task<IReadOnlyList<LWWDictionary<string, TargetDirectoryEntry>>> KeysAsync(IActorRef replicator) =>
        await Task.WhenAll(TargetDirectoryKeys.All.Select(async key =>
            await replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), Timeout) switch
            {
                GetSuccess found => found.Get(key),
                NotFound => Empty,
                var other => throw new InvalidOperationException($"key {key.Id}: {other}"),
            }));
}
