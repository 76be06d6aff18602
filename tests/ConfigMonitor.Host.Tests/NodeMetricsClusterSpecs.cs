using System.Net;
using System.Net.Http.Json;
using Akka.Cluster;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Builder;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// Two whole nodes in one process, one cluster on loopback, eleven targets spread over them: each node's <c>/metrics</c>
/// serves the targets it monitors and no other, the cluster-wide figures come from the leader alone, and a removed
/// target's series leave the output.
/// </summary>
public sealed class NodeMetricsClusterSpecs(NodeMetricsClusterSpecs.TwoNodes cluster) : IClassFixture<NodeMetricsClusterSpecs.TwoNodes>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public async Task Should_serve_on_each_node_its_own_targets_and_the_cluster_figures_once()
    {
        PrometheusTools.Require();
        IReadOnlyList<ExposedSample> first = [], second = [];
        string firstText = "", secondText = "";
        await Eventually.AssertAsync(async () =>
        {
            firstText = await cluster.First.Anonymous.GetStringAsync("/metrics");
            var firstLocal = await cluster.First.LocalTargetsAsync();
            secondText = await cluster.Second.Anonymous.GetStringAsync("/metrics");
            var secondLocal = await cluster.Second.LocalTargetsAsync();
            (first, second) = (Exposition.Parse(firstText), Exposition.Parse(secondText));
            // A shard may move between the reads (rebalance): then the sets differ for a moment and the check is tried again.
            return firstLocal.Count > 0 && secondLocal.Count > 0
                   && ServedTargets(first).SetEquals(firstLocal) && ServedTargets(second).SetEquals(secondLocal)
                   && firstLocal.Union(secondLocal).ToHashSet().SetEquals(cluster.TargetIds)
                   && Samples(first, "configmonitor_targets").Concat(Samples(second, "configmonitor_targets")).Sum(s => s.Value) == cluster.TargetIds.Count;
        }, WaitTimeout, "each node should serve exactly the targets of its own shards, every target on one node, and the registry's count once");

        // Each target's series are on the node that monitors it, and nowhere else.
        foreach (var (samples, other) in new[] { (first, second), (second, first) })
            foreach (var target in ServedTargets(samples))
            {
                Assert.Contains(samples, s => s.Name == "configmonitor_config_access_seconds_window_samples" && s.Label("target") == target);
                Assert.Contains(samples, s => s.Name == "configmonitor_config_access_seconds_window_percentile" && s.Label("target") == target && s.Label("percentile") == "99");
                Assert.DoesNotContain(other, s => s.Label("target") == target);
            }

        // Cluster-wide figures: the leader alone exposes them, so a sum over the nodes counts each once.
        var both = first.Concat(second).ToList();
        Assert.Equal(1, Samples(both, "configmonitor_cluster_leader").Sum(s => s.Value));
        Assert.Equal(2, both.Where(s => s.Name == "configmonitor_cluster_members" && s.Label("status") == "up").Sum(s => s.Value));
        Assert.Equal(0, Samples(both, "configmonitor_cluster_unreachable_members").Sum(s => s.Value));
        Assert.Single(Samples(both, "configmonitor_cluster_unreachable_members"));
        Assert.Single(both, s => s.Name == "configmonitor_alerts" && s.Label("severity") == "critical" && s.Label("state") == "firing");
        var leader = Samples(first, "configmonitor_cluster_leader").Single().Value == 1 ? first : second;
        Assert.Contains(leader, s => s.Name == "configmonitor_cluster_members");
        // Per-node figures: every node names itself, and the targets they monitor add up to every target.
        Assert.Equal(cluster.First.Address, Samples(first, "configmonitor_node_info").Single().Label("node"));
        Assert.Equal(cluster.Second.Address, Samples(second, "configmonitor_node_info").Single().Label("node"));
        Assert.Equal(cluster.TargetIds.Count, Samples(both, "configmonitor_node_targets").Sum(s => s.Value));
        Assert.Equal(2, Samples(both, "process_resident_memory_bytes").Count());

        foreach (var text in new[] { firstText, secondText })
        {
            var (exitCode, output) = await PrometheusTools.RunAsync(PrometheusTools.Find("promtool")!, ["check", "metrics"], text);
            Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}: {output}{Environment.NewLine}{text}");
        }
    }

    [Fact]
    public async Task Should_drop_the_series_of_a_removed_target_from_the_node_that_monitored_it()
    {
        const string id = "metrics-removed";
        var body = new { id, endpoint = "/user/" + MonitorNode.DemoServiceName, probeKey = "app.name", performance = new { interval = "1s" } };
        Assert.Equal(HttpStatusCode.Created, (await cluster.First.Operator.PostAsJsonAsync("/api/targets", body)).StatusCode);
        TestNodeOf? monitoring = null;
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in new[] { cluster.First, cluster.Second })
                if (Exposition.Parse(await node.Anonymous.GetStringAsync("/metrics"))
                    .Any(s => s.Name == "configmonitor_config_access_seconds" && s.Label("target") == id))
                    monitoring = node;
            return monitoring is not null;
        }, WaitTimeout, $"the new target {id} should appear on the node that monitors it");

        Assert.Equal(HttpStatusCode.NoContent, (await cluster.First.Operator.DeleteAsync($"/api/targets/{id}")).StatusCode);

        await Eventually.AssertAsync(async () =>
            !Exposition.Parse(await monitoring!.Anonymous.GetStringAsync("/metrics")).Any(s => s.Label("target") == id),
            WaitTimeout, $"every series of the removed target {id} should leave {monitoring!.Address}'s /metrics");
        foreach (var node in new[] { cluster.First, cluster.Second })
            Assert.DoesNotContain(Exposition.Parse(await node.Anonymous.GetStringAsync("/metrics")), s => s.Label("target") == id);
    }

    private static HashSet<string> ServedTargets(IEnumerable<ExposedSample> samples) =>
        samples.Where(s => s.Name == "configmonitor_config_access_seconds").Select(s => s.Label("target")!).ToHashSet();

    private static IEnumerable<ExposedSample> Samples(IEnumerable<ExposedSample> samples, string name) => samples.Where(s => s.Name == name);

    /// <summary>One node of the pair: the app, clients, its Akka address.</summary>
    public sealed class TestNodeOf(WebApplication app, TempDirectory data)
    {
        public WebApplication App { get; } = app;
        public TempDirectory Data { get; } = data;
        public HttpClient Anonymous { get; } = app.ApiClient();
        public HttpClient Operator { get; } = app.ApiClient(ApiNode.Token);
        public string Address => Cluster.Get(App.System()).SelfAddress.ToString();

        /// <summary>The targets whose TargetMonitor entities run on this node, read from its own shard region.</summary>
        public async Task<IReadOnlySet<string>> LocalTargetsAsync() =>
            (await LocalTargets.ReadAsync(App.Registry().Get<TargetRegion>(), TimeSpan.FromSeconds(5), CancellationToken.None)).Targets;
    }

    /// <summary>Two started nodes: the first forms the cluster, the second joins it; ten runtime targets besides the demo.</summary>
    public sealed class TwoNodes : IAsyncLifetime
    {
        public TestNodeOf First { get; private set; } = null!;
        public TestNodeOf Second { get; private set; } = null!;

        /// <summary>Every target the registry holds.</summary>
        public IReadOnlySet<string> TargetIds { get; } = Enumerable.Range(1, 10).Select(i => $"spread-{i:D2}").Append("demo").ToHashSet();

        public async Task InitializeAsync()
        {
            First = await StartAsync(seed: null);
            await Eventually.AssertAsync(() => Task.FromResult(Cluster.Get(First.App.System()).SelfMember.Status == MemberStatus.Up),
                WaitTimeout, "the first node should form its cluster");
            Second = await StartAsync(seed: First.Address);
            await Eventually.AssertAsync(() => Task.FromResult(
                    Cluster.Get(First.App.System()).State.Members.Count(m => m.Status == MemberStatus.Up) == 2
                    && Cluster.Get(Second.App.System()).State.Members.Count(m => m.Status == MemberStatus.Up) == 2),
                WaitTimeout, "both nodes should be Up in one cluster");
            // Each node has the demo config service actor: a target at its path is answered on whichever node monitors it.
            foreach (var id in TargetIds.Where(t => t != "demo"))
            {
                var body = new { id, endpoint = "/user/" + MonitorNode.DemoServiceName, probeKey = "app.name", performance = new { interval = "1s" } };
                var response = await First.Operator.PostAsJsonAsync("/api/targets", body);
                Assert.True(response.StatusCode == HttpStatusCode.Created, $"adding {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        private static async Task<TestNodeOf> StartAsync(string? seed)
        {
            var data = TempDirectory.ForNode();
            var settings = TestNode.FastSettings(data.Path);
            settings["ConfigMonitor:Api:Token"] = ApiNode.Token;
            if (seed is not null) settings["ConfigMonitor:SeedNodes:0"] = seed;
            var app = await TestNode.BuildAsync(settings);
            await app.StartAsync();
            return new TestNodeOf(app, data);
        }

        public async Task DisposeAsync()
        {
            foreach (var node in new[] { Second, First }.Where(n => n is not null))
            {
                node.Anonymous.Dispose();
                node.Operator.Dispose();
                await node.App.StopWithinAsync(TestNode.StopTimeout);
                await node.App.DisposeAsync();
                node.Data.Dispose();
            }
        }
    }
}
