using System.Text.RegularExpressions;
using System.Diagnostics;
using System.Text.Json;
using ConfigMonitor.Actors.Hosting;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// A cluster of its own for <see cref="GracefulLeaveSpecs"/>: probes every 1 s and a flush interval of 60 s, so every store holds
/// samples that are still pending (accepted, not yet in the journal) when its node leaves.
/// </summary>
public sealed class GracefulLeaveCluster() : LocalCluster(new LocalClusterOptions
{
    Interval = "1s",
    NodeEnvironment = new Dictionary<string, string> { ["ConfigMonitor__Metrics__FlushInterval"] = "60s" },
});

/// <summary>
/// Three node processes on a real PostgreSQL (deploy/local/cluster.sh, 30 targets at 1 s): a node that monitors targets is stopped
/// gracefully (SIGTERM: it leaves the cluster and hands its shards over). Its targets are monitored by the other two, no target's
/// sample count goes down (the pending samples were saved at the hand-off and recovered on the new node), its log has no dropped
/// buffered message and no timed-out region shutdown, and it exits 0.
/// </summary>
public sealed class GracefulLeaveSpecs(GracefulLeaveCluster cluster, ITestOutputHelper output) : IClassFixture<GracefulLeaveCluster>
{
    private const string Metric = "config_access_ok";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Lines that say a message or a sample was lost during the hand-off: Akka's two drops of a region's buffer ("Buffer is
    /// full, dropping message …", "Dropping [N] buffered messages for [shard] because …") and our own. A region that waits for
    /// a shard's new home logs "Requested shard homes … [N] total buffered messages" meanwhile: those are delivered once the home
    /// is known (a loaded CI machine saw 20 s of them, every sample still there), so they are no loss.
    /// </summary>
    private static readonly Regex[] LossLines =
    [
        new("Buffer is full, dropping message"),
        new(@"Dropping \[\d+\] buffered messages"),
        new("Graceful shutdown of shard region timed out"),
        new("stopped before it could save"),
        new("are lost"),
    ];

    private async Task<long?> SampleCountAsync(int via, string targetId)
    {
        var (status, body) = await cluster.GetAsync(via, $"/api/targets/{targetId}/metrics/{Metric}/summary?window=1h");
        if (status != 200) return null;
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("count").GetInt64();
    }

    // Shards balanced (each node a fair share), and samples everywhere: every target has been probed a few times, so a loss at the
    // leave shows as a count going down.
    private async Task<bool> BalancedAndSampledAsync(IReadOnlyDictionary<string, int> placement)
    {
        if (cluster.Nodes.Any(n => placement.Values.Count(v => v == n.Index) < cluster.TargetIds.Count / 6)) return false;
        foreach (var id in cluster.TargetIds)
            if (await SampleCountAsync(1, id) is not > 3) return false;
        return true;
    }

    [SkippableFact]
    public async Task A_node_that_leaves_gracefully_should_hand_every_target_over_with_every_sample_and_exit_0()
    {
        RequiredServer.Require(LocalCluster.Available, LocalCluster.Requirement);
        cluster.EnsureStarted();
        await cluster.WaitForPlacementAsync(Wait, "three Up nodes, every target monitored and probed", accept: BalancedAndSampledAsync);

        // The leaving node: one that monitors targets and is not the oldest (the oldest's leave also moves the singletons,
        // which FailoverSpecs covers for a crash); the reads go to a node that stays.
        var view = await cluster.ClusterAsync(1);
        var oldest = cluster.IndexOf(view.Singletons[ConfigMonitorHosting.TargetRegistrySingleton]);
        var placement = (await cluster.PlacementAsync(1))!;
        var leaving = placement.Values.Where(n => n != oldest).GroupBy(n => n).OrderByDescending(g => g.Count()).First().Key;
        var via = cluster.Nodes.Select(n => n.Index).First(i => i != leaving);
        var moved = placement.Where(p => p.Value == leaving).Select(p => p.Key).ToList();
        Assert.NotEmpty(moved);

        // Every target's count just before the stop (the leaving node's are mostly pending: the flush interval is 60 s).
        var before = new Dictionary<string, long>();
        foreach (var id in cluster.TargetIds) before[id] = await SampleCountAsync(via, id) ?? throw new InvalidOperationException($"no count for {id}");
        var logOffsets = cluster.Nodes.ToDictionary(n => n.Index, n => new FileInfo(n.LogFile).Length);
        var pid = cluster.Node(leaving).Pid;

        var since = Stopwatch.GetTimestamp();
        await cluster.StopNodeAsync(leaving);
        var stopped = Stopwatch.GetElapsedTime(since);
        output.WriteLine($"node {leaving} (pid {pid}, {moved.Count} of {cluster.TargetIds.Count} targets) left and exited after {stopped.TotalSeconds:F1} s");
        Assert.True(Exited(pid), $"node {leaving} should have exited");

        var leavingLog = LogSince(leaving, logOffsets[leaving]);
        Assert.True(leavingLog.Contains("exiting with 0", StringComparison.Ordinal),
            $"node {leaving} should exit 0 after a graceful leave; the end of its log:{Environment.NewLine}{cluster.LogTail(leaving, 60)}");
        Assert.True(stopped < TimeSpan.FromSeconds(50), $"the leave took {stopped.TotalSeconds:F1} s; the script kills a node after 60 s");

        // Every moved target is monitored by a node that stays, and its count is at least what it was: nothing pending was lost.
        var survivors = cluster.Nodes.Select(n => n.Index).Where(i => i != leaving).ToArray();
        var elapsed = await LocalCluster.TimeUntilAsync(since, async () =>
        {
            if (await cluster.PlacementAsync(via, survivors) is null) return false;
            foreach (var id in moved)
                if (await SampleCountAsync(via, id) is not { } count || count < before[id]) return false;
            return true;
        }, Wait, $"the {moved.Count} targets of node {leaving} should be monitored by nodes {string.Join(", ", survivors)} with every sample they had");
        output.WriteLine($"every moved target monitored elsewhere with its history after {elapsed.TotalSeconds:F1} s");

        foreach (var id in cluster.TargetIds)
        {
            var after = await SampleCountAsync(via, id);
            Assert.True(after >= before[id], $"target {id} had {before[id]} {Metric} samples before node {leaving} left and {after} after");
        }
        foreach (var node in cluster.Nodes)
        {
            var log = LogSince(node.Index, logOffsets[node.Index]);
            foreach (var loss in LossLines)
                Assert.False(loss.IsMatch(log),
                    $"node {node.Index}'s log should not say '{loss}' after node {leaving} left:{Environment.NewLine}" +
                    string.Join(Environment.NewLine, log.Split('\n').Where(l => loss.IsMatch(l)).Take(10)));
        }
    }

    // Gone, or a zombie: the node's parent (the script's shell) has exited, and who inherits it may not reap it at once.
    private static bool Exited(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private string LogSince(int index, long offset)
    {
        using var stream = new FileStream(cluster.Node(index).LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
