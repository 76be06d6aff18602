using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ConfigMonitor.Actors.Hosting;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>A cluster whose node 1 runs the baseline build (<see cref="BaselineBuild"/>) and node 2 this build.</summary>
public sealed class MixedBuildCluster(string baselineHostAssembly) : LocalCluster(new LocalClusterOptions
{
    Nodes = 2,
    Targets = 12,
    // Slow enough that a target's 12 raw samples per metric still hold the old node's last ones when the new node takes over.
    Interval = "3s",
    NodeHostAssemblies = new Dictionary<int, string> { [1] = baselineHostAssembly },
});

/// <summary>
/// The rolling upgrade, for real: node 1 of an earlier commit (<see cref="BaselineBuild.Commit"/>, built from this
/// repository's history) and node 2 of this build in one cluster on one PostgreSQL journal (deploy/local/cluster.sh). Both
/// Up, the targets spread over both, every read answering on both; then node 1 (the oldest: it holds the singletons) leaves
/// gracefully and node 2 reads what node 1 wrote: the metrics of node 1's targets and the target registry's journal.
/// About 2½ minutes with the baseline build cached (/tmp/configmonitor-baseline-builds), plus 3–5 minutes for the first build
/// of a commit on a machine.
/// </summary>
public sealed class RollingUpgradeSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private const string RuntimeTarget = "rolling-upgrade-runtime";

    [SkippableFact]
    public async Task A_node_of_the_baseline_commit_and_a_node_of_this_build_should_share_a_cluster_and_a_journal_and_hand_over_every_target()
    {
        RequiredServer.Require(LocalCluster.Available, LocalCluster.Requirement);
        RequiredServer.Require(BaselineBuild.GitAvailable, "the rolling-upgrade test builds an earlier commit with git (Debian: apt-get install git)");
        var commit = await BaselineBuild.ResolveAsync(BaselineBuild.Commit);
        RequiredServer.Require(commit is not null, BaselineBuild.MissingCommitReason(BaselineBuild.Commit));
        var total = Stopwatch.StartNew();
        var baseline = await BaselineBuild.HostAssemblyAsync(commit!, output);
        output.WriteLine($"baseline {BaselineBuild.Commit}: {baseline} (ready after {total.Elapsed.TotalSeconds:0} s)");

        var cluster = new MixedBuildCluster(baseline);
        await cluster.InitializeAsync();
        try
        {
            cluster.EnsureStarted();
            // Each node runs the build it should: the baseline's folder on node 1, the tests' copy on node 2.
            Assert.Contains(baseline, CommandLine(cluster.Node(1).Pid), StringComparison.Ordinal);
            Assert.Contains(NodeProcess.HostAssembly, CommandLine(cluster.Node(2).Pid), StringComparison.Ordinal);
            await RunAsync(cluster);
            output.WriteLine($"the rolling-upgrade test took {total.Elapsed.TotalSeconds:0} s in all");
        }
        catch
        {
            output.WriteLine($"node 1 (baseline) log:{Environment.NewLine}{cluster.LogTail(1, 60)}");
            output.WriteLine($"node 2 (this build) log:{Environment.NewLine}{cluster.LogTail(2, 60)}");
            throw;
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private async Task RunAsync(MixedBuildCluster cluster)
    {
        var phase = Stopwatch.StartNew();
        // Both Up on both; every target monitored, some by each build.
        var placement = await cluster.WaitForPlacementAsync(Wait, "both nodes Up on both, every target monitored, targets on each node", viaIndex: 2,
            accept: p => Task.FromResult(p.Values.Distinct().Count() == 2));
        var view = await cluster.ClusterAsync(2);
        Assert.Equal(1, cluster.IndexOf(view.Singletons[ConfigMonitorHosting.TargetRegistrySingleton]));
        output.WriteLine($"mixed cluster Up after {phase.Elapsed.TotalSeconds:0} s: {await cluster.DescribePlacementAsync(2)}; the singletons on node 1 (baseline)");

        // Every read answers on both nodes, whichever build holds the target or the singleton.
        foreach (var node in cluster.Nodes) await Eventually.AssertAsync(() => EveryReadAnswersAsync(cluster, node.Index), Wait, $"every read on node {node.Index}");

        // A runtime target, added through this build's node, persisted by the baseline's registry singleton.
        using (var client = cluster.Client(2))
        {
            using var created = await client.PostAsJsonAsync("/api/targets",
                new { id = RuntimeTarget, adapter = "http", endpoint = cluster.ConfigServiceUrl!.ToString(), probeKey = "app.name" });
            Assert.True((int)created.StatusCode == 201, $"POST /api/targets via node 2 answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }

        // The baseline's targets have samples; note the newest one of a metric of each (read through node 2).
        var baselineTargets = placement.Where(p => p.Value == 1).Select(p => p.Key).ToList();
        var lastSeen = new Dictionary<string, (string Metric, DateTimeOffset At)>();
        await Eventually.AssertAsync(async () =>
        {
            foreach (var id in baselineTargets)
            {
                var (status, body) = await cluster.GetAsync(2, $"/api/targets/{id}/metrics");
                if (status != 200) return false;
                var latest = JsonSerializer.Deserialize<List<Sample>>(body, Json)!;
                if (latest.Count == 0) return false;
                var metric = latest.Select(s => s.Metric).Order(StringComparer.Ordinal).First();
                var recent = await RecentAsync(cluster, 2, id, metric);
                if (recent is not { Count: >= 3 }) return false;
                lastSeen[id] = (metric, recent.Max(s => s.Timestamp));
            }
            return true;
        }, Wait, "three samples of a metric of each target of node 1 (baseline), read through node 2");

        // Node 1 leaves gracefully: node 2 takes over its targets and the singletons, and reads what node 1 wrote.
        phase.Restart();
        await cluster.StopNodeAsync(1);
        output.WriteLine($"node 1 (baseline) stopped gracefully in {phase.Elapsed.TotalSeconds:0} s");
        var missing = new HashSet<string>(baselineTargets);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var id in missing.ToList())
            {
                var (metric, at) = lastSeen[id];
                var recent = await RecentAsync(cluster, 2, id, metric);
                if (recent is not null && recent.Any(s => s.Timestamp == at)) missing.Remove(id);
            }
            return missing.Count == 0;
        }, Wait, "node 2 (this build) reads the samples node 1 (baseline) stored for its targets; still without their last sample: " + string.Join(", ", missing));
        output.WriteLine($"node 2 read the metrics of node 1's {baselineTargets.Count} targets {phase.Elapsed.TotalSeconds:0} s after the stop began");

        await Eventually.AssertAsync(async () => await cluster.PlacementAsync(2, 2) is not null && await EveryReadAnswersAsync(cluster, 2), Wait,
            "every target monitored by node 2 and every read answering there");
        // The registry singleton, now on node 2, recovered the baseline's journal: it knows the runtime target and removes it.
        using (var client = cluster.Client(2))
        {
            using var removed = await client.DeleteAsync($"/api/targets/{RuntimeTarget}");
            Assert.True((int)removed.StatusCode == 204,
                $"DELETE /api/targets/{RuntimeTarget} via node 2 after the hand-over answered {(int)removed.StatusCode}: {await removed.Content.ReadAsStringAsync()}");
        }
        output.WriteLine($"hand-over complete {phase.Elapsed.TotalSeconds:0} s after the stop began");
    }

    /// <summary>On node <paramref name="via"/>: the target list, every target with a status, and the alert list answer 200.</summary>
    private static async Task<bool> EveryReadAnswersAsync(LocalCluster cluster, int via)
    {
        if ((await cluster.GetAsync(via, "/api/alerts")).Status != 200) return false;
        if ((await cluster.GetAsync(via, "/api/targets")).Status != 200) return false;
        foreach (var id in cluster.TargetIds)
        {
            var (status, body) = await cluster.GetAsync(via, $"/api/targets/{id}");
            if (status != 200) return false;
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Object || !s.GetProperty("monitoring").GetBoolean()) return false;
        }
        return true;
    }

    private static async Task<List<Sample>?> RecentAsync(LocalCluster cluster, int via, string id, string metric)
    {
        var (status, body) = await cluster.GetAsync(via, $"/api/targets/{id}/metrics/{Uri.EscapeDataString(metric)}/recent");
        return status == 200 ? JsonSerializer.Deserialize<List<Sample>>(body, Json) : null;
    }

    private static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private sealed record Sample(string Metric, double Value, DateTimeOffset Timestamp);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
