using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// Akka's seed rule as the deployments use it (every node lists the same seeds, the first seed first): only a node that is the
/// first in its own seed list forms a new cluster, after no other seed answered within seed-node-timeout; a node that is not
/// first never forms one alone, it waits for a cluster to join. Two real node processes with the same seed list, the other
/// seed absent: the one listed second, started alone, stays not ready for 20 s; the one listed first then forms the cluster and
/// the second joins it.
/// </summary>
public sealed class SeedNodeRuleSpecs : IDisposable
{
    private readonly TempDirectory _folder = TempDirectory.ForNode();
    private readonly List<NodeProcess> _nodes = [];

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _folder.Dispose();
    }

    private (NodeProcess Node, Uri Api) StartNode(string name, int akkaPort, IReadOnlyList<int> seeds)
    {
        var api = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var environment = new Dictionary<string, string>
        {
            ["ConfigMonitor__Hostname"] = "127.0.0.1",
            ["ConfigMonitor__Port"] = akkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ConfigMonitor__Api__Url"] = api.ToString().TrimEnd('/'),
            ["ConfigMonitor__DataDirectory"] = Path.Combine(_folder.Path, name, "data"),
            ["ConfigMonitor__Demo__Enabled"] = "false",
        };
        for (var i = 0; i < seeds.Count; i++)
            environment[$"ConfigMonitor__SeedNodes__{i}"] = $"akka.tcp://configmonitor@127.0.0.1:{seeds[i]}";
        var node = NodeProcess.Start(Path.Combine(_folder.Path, name), environment);
        _nodes.Add(node);
        return (node, api);
    }

    private static async Task<bool> ReadyAsync(HttpClient http, Uri api)
    {
        try
        {
            return (await http.GetAsync(new Uri(api, "/health/ready"))).StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet, or too busy starting to answer within the client's timeout: not ready.
            return false;
        }
    }

    [Fact]
    public async Task Only_the_node_listed_first_among_the_seeds_should_form_a_new_cluster_the_others_should_wait_to_join()
    {
        // Three seeds as in deploy/local and the StatefulSet: A (first), B (second), C (never started).
        int a = LoopbackPorts.Free(), b = LoopbackPorts.Free(), c = LoopbackPorts.Free();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // B alone (A and C not started): it asks them to let it join and never forms a cluster of its own.
        var (secondNode, secondApi) = StartNode("second", b, [a, b, c]);
        var since = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(since) < TimeSpan.FromSeconds(20))
        {
            Assert.False(await ReadyAsync(http, secondApi),
                "a node that is not first among its seeds must never form a cluster alone (20 s, longer than the 12 s seed-node-timeout)");
            Assert.False(await secondNode.WaitForExitAsync(TimeSpan.FromMilliseconds(1)),
                $"the second seed should keep waiting, not exit:{Environment.NewLine}{secondNode.StandardError}");
            await Task.Delay(500);
        }

        // A, first in the list: no other seed has a cluster (B answers that it has none, C is absent), so A forms one, and B joins it.
        var (_, firstApi) = StartNode("first", a, [a, b, c]);
        await Eventually.AssertAsync(() => ReadyAsync(http, firstApi), TimeSpan.FromSeconds(90), "the first seed should form a cluster when no other seed has one");
        await Eventually.AssertAsync(() => ReadyAsync(http, secondApi), TimeSpan.FromSeconds(90), "the second seed should then join the first seed's cluster");
        // The cluster view asks the cluster's actors: a loaded machine may take longer than the readiness probes' 5 s to answer.
        using var reader = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.AssertAsync(async () =>
        {
            var view = await reader.GetStringAsync(new Uri(secondApi, "/api/cluster"));
            return view.Contains($"127.0.0.1:{a}", StringComparison.Ordinal) && view.Contains($"127.0.0.1:{b}", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), "the second seed's cluster view should list both seeds");

        // These nodes keep the default SQLite journal: each says at start that a cluster wants PostgreSQL.
        Assert.Contains("joins a cluster (ConfigMonitor:SeedNodes) but keeps its history in a SQLite file of its own", secondNode.StandardOutput);
    }
}
