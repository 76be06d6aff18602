using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host.Api;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Overview.StatusBoardQueries;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// The cluster-wide status page (<c>GET /api/status</c>'s <see cref="StatusEndpoints.AskBoardsAsync"/>) over three real nodes
/// on loopback: asked from one node it lists every target exactly once, on the node that really monitors it, with counts over
/// all of them; when a node crashes, the page names it as not answering until its targets run on the survivors, and then lists
/// every target once again, on a survivor.
/// </summary>
public sealed class StatusPageClusterSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private readonly ITestOutputHelper _output = output;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(3);
    private static readonly GetStatusPage AllTargets = new(null, null, null, null, StatusEndpoints.MaxLimit);
    private readonly TempDirectory _data = TempDirectory.ForNode();

    /// <summary>Where each target really runs: its entity's own answer, through the asking node's region.</summary>
    private static async Task<Dictionary<string, TargetMonitorQueries.TargetStatus>> Placement(ClusterNode via, IEnumerable<TargetDefinition> targets)
    {
        var region = via.Registry.Get<TargetRegion>();
        var statuses = await Task.WhenAll(targets.Select(t => region.Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(t.Id), Ask)));
        return statuses.ToDictionary(s => s.TargetId);
    }

    /// <summary>The page lists every target once, on the node its entity answers from, and its counts are over all of them.</summary>
    private static void AssertListsEachOnItsNode(StatusPage page, IReadOnlyList<string> unanswered, IReadOnlyList<TargetDefinition> targets,
        IReadOnlyDictionary<string, TargetMonitorQueries.TargetStatus> placement)
    {
        Assert.Empty(unanswered);
        Assert.Equal(targets.Select(t => t.Id).Order(StringComparer.Ordinal), page.Targets.Select(t => t.Id));
        Assert.All(page.Targets, row =>
        {
            var status = placement[row.Id];
            Assert.True(status.Monitoring, $"{row.Id} should be monitored on {status.Node}");
            Assert.True(row.Node == status.Node, $"the page lists {row.Id} on {row.Node}; its entity answers from {status.Node}");
        });
        Assert.False(page.More);
        foreach (var counts in new[] { page.Counts, page.Matching })
        {
            Assert.Equal(targets.Count, counts.Total);
            Assert.Equal(counts.Total, counts.Healthy + counts.Degraded + counts.Unhealthy + counts.NotApplicable + counts.Unknown);
        }
    }

    [Fact]
    public async Task The_status_page_asked_from_one_node_should_list_every_target_once_on_its_node_and_again_on_a_survivor_after_a_node_crashes()
    {
        var targets = ClusterNode.Targets(12);
        var first = await ClusterNode.StartAsync(_data.Path, seed: null, targets, ClusterNode.CrashableFailoverHocon);
        await using var second = await ClusterNode.StartAsync(_data.Path, seed: first, targets, ClusterNode.CrashableFailoverHocon);
        await using var third = await ClusterNode.StartAsync(_data.Path, seed: first, targets, ClusterNode.CrashableFailoverHocon);
        var nodes = new[] { first, second, third }.Select(n => n.Address.ToString()).ToHashSet();

        // Spread over the three nodes, and the page (asked from the second) agrees with every entity about where it runs.
        await AwaitAssertAsync(async () =>
        {
            var placement = await Placement(second, targets);
            Assert.Equal(nodes, placement.Values.Select(s => s.Node).ToHashSet());
            var (page, unanswered) = await StatusEndpoints.AskBoardsAsync(second.System, AllTargets, Ask, CancellationToken.None);
            AssertListsEachOnItsNode(page, unanswered, targets, placement);
        }, Timeout, TimeSpan.FromMilliseconds(500));
        var crashedAddress = first.Address.ToString();
        var lost = (await Placement(second, targets)).Values.Where(s => s.Node == crashedAddress).Select(s => s.TargetId).ToHashSet();
        Assert.NotEmpty(lost);

        var crashed = Stopwatch.StartNew();
        await first.Crash();

        // From the crash until every target is back, each page read is honest: no target twice, none on the crashed node, and a
        // target that is missing is one of the crashed node's while that node is named as not answering.
        var survivors = new HashSet<string> { second.Address.ToString(), third.Address.ToString() };
        var reads = new List<string>();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var (page, unanswered) = await StatusEndpoints.AskBoardsAsync(second.System, AllTargets, Ask, CancellationToken.None);
            var listed = page.Targets.Select(t => t.Id).ToList();
            var missing = targets.Select(t => t.Id).Except(listed).ToList();
            var named = unanswered.Contains(crashedAddress);
            reads.Add($"{crashed.Elapsed.TotalSeconds:F1} s: {listed.Count} listed, missing [{string.Join(", ", missing)}], unanswered [{string.Join(", ", unanswered)}]");
            Assert.True(listed.Count == listed.Distinct().Count(), $"a target is listed twice: {reads[^1]}");
            Assert.All(page.Targets, row => Assert.True(survivors.Contains(row.Node), $"{row.Id} is listed on {row.Node}, not a survivor: {reads[^1]}"));
            Assert.True(missing.Count == 0 || (named && missing.All(lost.Contains)),
                $"targets are missing while the crashed node is not named as not answering (or a survivor's target is missing):{Environment.NewLine}{string.Join(Environment.NewLine, reads)}");
            Assert.True(unanswered.All(a => a == crashedAddress), $"a survivor did not answer: {reads[^1]}");
            // The counts cover every target all the time: those no board lists are counted as unknown.
            Assert.True(page.Counts.Total == targets.Count && page.Counts.Unknown >= missing.Count,
                $"counts {page.Counts} while {missing.Count} are missing: {reads[^1]}");
            Assert.Equal(page.Counts, page.Matching);
            if (missing.Count == 0 && unanswered.Count == 0 && page.Counts.Total == targets.Count) break;
            Assert.True(deadline.Elapsed < Timeout, $"the page should list every target again within {Timeout}:{Environment.NewLine}{string.Join(Environment.NewLine, reads)}");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        var listedAgain = crashed.Elapsed;

        // Every target once again, each on the survivor whose entity answers for it.
        await AwaitAssertAsync(async () =>
        {
            var placement = await Placement(second, targets);
            Assert.All(placement.Values, s => Assert.Contains(s.Node, survivors));
            var (page, unanswered) = await StatusEndpoints.AskBoardsAsync(second.System, AllTargets, Ask, CancellationToken.None);
            AssertListsEachOnItsNode(page, unanswered, targets, placement);
        }, Timeout, TimeSpan.FromMilliseconds(500));
        _output.WriteLine($"the crashed node's {lost.Count} targets listed again on the survivors {listedAgain.TotalSeconds:F1} s after the crash; reads:");
        foreach (var read in reads.Where((_, i) => i == 0 || reads[i][reads[i].IndexOf(':')..] != reads[i - 1][reads[i - 1].IndexOf(':')..]))
            _output.WriteLine("  " + read);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
