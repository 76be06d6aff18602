
namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// Three node processes on a real PostgreSQL, started by <c>deploy/local/cluster.sh</c> with 30 targets on one reference
/// config service: one cluster, each target monitored by one node that every node names the same, reads answered on every
/// node, and a node killed with -9 and started again (node 1, the first seed) rejoins the running cluster instead of forming
/// a second one, and takes a share of the targets. Failover timing is not asserted here.
/// </summary>
public sealed class LocalClusterSpecs(LocalCluster cluster) : IClassFixture<LocalCluster>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private void Require()
    {
        RequiredServer.Require(LocalCluster.Available, LocalCluster.Requirement);
        cluster.EnsureStarted();
    }

    private async Task<bool> EveryNodeSeesEveryNodeUpAsync()
    {
        var expected = cluster.Nodes.Select(n => n.AkkaAddress).Order().ToList();
        foreach (var node in cluster.Nodes)
        {
            // A node that exited (downed by the others, crashed) will not come back by waiting: say so with its log.
            if (!node.Running) Assert.Fail($"node {node.Index} is not running; the end of its log:{Environment.NewLine}{cluster.LogTail(node.Index)}");
            var view = await cluster.ClusterAsync(node.Index);
            if (view.Self != node.AkkaAddress) Assert.Fail($"node {node.Index} says it is {view.Self}, but the script started it as {node.AkkaAddress}");
            var up = view.Members.Where(m => m.Status == "up" && m.Reachable).Select(m => m.Address).Order().ToList();
            if (!up.SequenceEqual(expected)) return false;
        }
        return true;
    }

    [SkippableFact]
    public async Task The_script_should_start_three_nodes_that_form_one_cluster_of_three_up_members()
    {
        Require();
        Assert.Equal(3, cluster.Nodes.Count);
        Assert.All(cluster.Nodes, n => Assert.True(n.Running, $"node {n.Index} (pid {n.Pid}) should run"));
        Assert.Contains("ready: 3 node(s) Up", cluster.StartOutput, StringComparison.Ordinal);
        // The script prints where each API is, and never the database password.
        Assert.All(cluster.Nodes, n => Assert.Contains(n.Api.ToString().TrimEnd('/'), cluster.StartOutput, StringComparison.Ordinal));
        var password = cluster.ConnectionString.Split(';').Single(p => p.StartsWith("Password=", StringComparison.Ordinal))["Password=".Length..];
        Assert.DoesNotContain(password, cluster.StartOutput, StringComparison.Ordinal);

        await Eventually.AssertAsync(EveryNodeSeesEveryNodeUpAsync, Wait, "GET /api/cluster on every node should list the same three Up members");
        var leaders = new HashSet<string?>();
        foreach (var node in cluster.Nodes) leaders.Add((await cluster.ClusterAsync(node.Index)).Leader);
        Assert.Single(leaders);
        foreach (var node in cluster.Nodes)
            Assert.True(await cluster.ReadyAsync(node.Index), $"node {node.Index} should answer 200 on /health/ready");
    }

    [SkippableFact]
    public async Task Every_target_should_be_monitored_by_exactly_one_node_and_every_node_should_answer_its_reads()
    {
        Require();
        await Eventually.AssertAsync(EveryNodeSeesEveryNodeUpAsync, Wait, "the three nodes should be one cluster");
        // Each target's monitor is one sharded entity: every node names the same, running node for it.
        IReadOnlyDictionary<string, int>? first = null;
        await Eventually.AssertAsync(async () =>
        {
            first = await cluster.PlacementAsync(1);
            if (first is null) return false;
            foreach (var node in cluster.Nodes.Skip(1))
                if (!(await cluster.PlacementAsync(node.Index) ?? new Dictionary<string, int>()).SequenceEqual(first)) return false;
            return true;
        }, Wait, "every node should name the same monitoring node for each of the 30 targets");
        Assert.Equal(cluster.TargetIds.Count, first!.Count);

        // Reads answer on every node, whichever node monitors the target: its latest metrics hold a successful config read.
        foreach (var node in cluster.Nodes)
        {
            foreach (var id in cluster.TargetIds)
            {
                await Eventually.AssertAsync(async () =>
                {
                    var (status, body) = await cluster.GetAsync(node.Index, $"/api/targets/{id}/metrics");
                    return status == 200 && body.Contains("\"config_access_ok\"", StringComparison.Ordinal);
                }, Wait, $"node {node.Index} should answer GET /api/targets/{id}/metrics with its samples (monitored by node {first[id]})");
            }
        }
    }

    [SkippableFact]
    public async Task The_first_seed_killed_and_started_again_should_rejoin_the_running_cluster_and_take_a_share_of_the_targets()
    {
        Require();
        await Eventually.AssertAsync(EveryNodeSeesEveryNodeUpAsync, Wait, "the three nodes should be one cluster before the kill");
        var oldPid = cluster.Node(1).Pid;

        await cluster.KillAsync(1);
        await Eventually.AssertAsync(() => Task.FromResult(!cluster.Node(1).Running), TimeSpan.FromSeconds(10), "node 1 should be gone after kill -9");
        await cluster.RestartAsync(1);
        Assert.NotEqual(oldPid, cluster.Node(1).Pid);

        // Node 1 is the first seed; restarted by start-node while nodes 2 and 3 run, it lists them first and must join theirs
        // (listed first, it formed a second cluster when their InitJoinAck was lost): every node sees the same three Up members.
        await Eventually.AssertAsync(EveryNodeSeesEveryNodeUpAsync, Wait,
            "the restarted first seed should join the running cluster (one cluster of three, not two clusters)");

        // It takes a share: at least one target moves to it, and each target is still monitored by exactly one node.
        try
        {
            await Eventually.AssertAsync(async () =>
            {
                var placement = await cluster.PlacementAsync(2, 1, 2, 3);
                return placement is not null && placement.Values.Contains(1);
            }, TimeSpan.FromSeconds(120), "the restarted node should monitor some of the 30 targets (shard rebalancing)");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}{Environment.NewLine}node 1 running: {cluster.Node(1).Running}; the end of its log:" +
                                               $"{Environment.NewLine}{cluster.LogTail(1, 60)}");
        }
    }
}
