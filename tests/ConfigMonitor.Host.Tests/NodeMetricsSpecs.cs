using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Time;
using ConfigMonitor.Host.Api;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// A node's <see cref="NodeMetrics"/> between scrapes, on a real actor system: its shard region and stores are played by
/// actors that answer what a test needs, because an entity that does not answer, or a target that leaves, cannot be
/// caused at will on a live node. A slow store costs at most the ask timeout and its target keeps its last values for a
/// while; a target that leaves the node's shards, or a metric an answer no longer has, leaves the output.
/// </summary>
public sealed class NodeMetricsSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.loglevel = WARNING
    """, output: output)
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Should_serve_the_last_values_of_a_store_that_does_not_answer_and_drop_them_after_two_minutes()
    {
        var (region, stores, metrics) = Node();
        stores.Tell(new Stand.Answer("a", Overview("a", 12)));
        stores.Tell(new Stand.Answer("b", Overview("b", 30)));
        region.Tell(new Stand.Local(["a", "b"]));
        var first = await ScrapeAsync(metrics);
        Assert.Equal(0.03, Value(first, "configmonitor_config_access_seconds", "b"));

        stores.Tell(new Stand.Silent("b"));
        stores.Tell(new Stand.Answer("a", Overview("a", 14)));
        var took = Stopwatch.StartNew();
        var second = await ScrapeAsync(metrics);
        // The store never answers: without the ask's timeout the scrape would never end, so a bound of several times it only
        // leaves a busy machine room.
        Assert.True(took.Elapsed < NodeMetrics.EntityAskTimeout * 5, $"a silent store held the scrape {took.Elapsed}");
        Assert.Equal(0.014, Value(second, "configmonitor_config_access_seconds", "a"));
        Assert.Equal(0.03, Value(second, "configmonitor_config_access_seconds", "b")); // the last answer, served again
        Assert.Equal(1, Value(second, "configmonitor_scrape_errors", null));
        Assert.Equal(1, Value(second, "configmonitor_scrape_kept_targets", null));

        _clock.Advance(NodeMetrics.KeepUnansweredFor + TimeSpan.FromSeconds(1));
        var third = await ScrapeAsync(metrics);
        Assert.DoesNotContain(third, s => s.Label("target") == "b");
        Assert.Contains(third, s => s.Label("target") == "a");
        Assert.Equal(2, Value(third, "configmonitor_node_targets", null)); // still this node's, only not answering
    }

    [Fact]
    public async Task Should_drop_every_series_of_a_target_that_left_the_node_and_each_metric_an_answer_no_longer_has()
    {
        var (region, stores, metrics) = Node();
        stores.Tell(new Stand.Answer("a", Overview("a", 12)));
        stores.Tell(new Stand.Answer("moved", Overview("moved", 20)));
        region.Tell(new Stand.Local(["a", "moved"]));
        var before = await ScrapeAsync(metrics);
        Assert.Contains(before, s => s.Name == "configmonitor_cache_hit_rate" && s.Label("target") == "a");
        Assert.Contains(before, s => s.Name == "configmonitor_config_access_seconds_window_percentile" && s.Label("target") == "moved");

        region.Tell(new Stand.Local(["a"]));
        stores.Tell(new Stand.Answer("a", Overview("a", 12) with
        {
            Latest = [new MetricSample(MetricNames.ConfigAccessMs, 12, _clock.UtcNow)], Summaries = [],
        }));
        var after = await ScrapeAsync(metrics);
        Assert.DoesNotContain(after, s => s.Label("target") == "moved");
        Assert.DoesNotContain(after, s => s.Name == "configmonitor_cache_hit_rate");
        Assert.DoesNotContain(after, s => s.Name.Contains("_window_", StringComparison.Ordinal));
        Assert.Equal(0.012, Value(after, "configmonitor_config_access_seconds", "a"));
        Assert.Equal(1, Value(after, "configmonitor_node_targets", null));
    }

    [Fact]
    public async Task Should_keep_the_last_targets_when_the_region_does_not_list_its_shards_and_say_so()
    {
        var (region, stores, metrics) = Node();
        stores.Tell(new Stand.Answer("a", Overview("a", 12)));
        region.Tell(new Stand.Local(["a"]));
        await ScrapeAsync(metrics);

        region.Tell(new Stand.Local(null)); // the region does not answer
        var took = Stopwatch.StartNew();
        var silent = await ScrapeAsync(metrics);
        Assert.True(took.Elapsed < NodeMetrics.RegionStateTimeout * 5, $"a silent region held the scrape {took.Elapsed}"); // as for a silent store
        Assert.Equal(0.012, Value(silent, "configmonitor_config_access_seconds", "a"));
        Assert.Equal(1, Value(silent, "configmonitor_scrape_errors", null));
    }

    private (IActorRef Region, IActorRef Stores, NodeMetrics Metrics) Node()
    {
        var registry = ActorRegistry.For(Sys);
        var region = Sys.ActorOf(Props.Create(() => new Stand()));
        registry.Register<TargetRegion>(region, overwrite: true);
        return (region, region, new NodeMetrics(Sys, registry, _clock));
    }

    private static async Task<IReadOnlyList<ExposedSample>> ScrapeAsync(NodeMetrics metrics) =>
        Exposition.Parse(Encoding.UTF8.GetString(await metrics.ScrapeAsync(CancellationToken.None)));

    private static double Value(IEnumerable<ExposedSample> samples, string name, string? target) =>
        Assert.Single(samples, s => s.Name == name && s.Label("target") == target).Value;

    private MetricsQueries.MetricsOverview Overview(string target, double accessMs) => new(target,
        [new MetricSample(MetricNames.ConfigAccessMs, accessMs, _clock.UtcNow), new MetricSample(MetricNames.CacheHitRate, 0.9, _clock.UtcNow)],
        [new MetricsQueries.MetricSummary(target, MetricNames.ConfigAccessMs, _clock.UtcNow.AddMinutes(-5), _clock.UtcNow, 3, accessMs, accessMs, accessMs, accessMs, accessMs, accessMs)]);

    /// <summary>Plays a shard region: lists the local entities it was told (none answered when told null), and answers overviews.</summary>
    private sealed class Stand : ReceiveActor
    {
        public sealed record Local(IReadOnlyList<string>? Targets);
        public sealed record Answer(string Target, MetricsQueries.MetricsOverview Overview);
        public sealed record Silent(string Target);

        private readonly Dictionary<string, MetricsQueries.MetricsOverview?> _answers = [];
        private IReadOnlyList<string>? _local = [];

        public Stand()
        {
            Receive<Local>(l => _local = l.Targets);
            Receive<Answer>(a => _answers[a.Target] = a.Overview);
            Receive<Silent>(s => _answers[s.Target] = null);
            Receive<GetShardRegionState>(_ =>
            {
                if (_local is { } targets)
                    Sender.Tell(new CurrentShardRegionState(targets.GroupBy(LocalTargets.ShardOf)
                        .Select(g => new ShardState(g.Key, g.ToImmutableHashSet())).ToImmutableHashSet(), ImmutableHashSet<string>.Empty));
            });
            Receive<MetricsQueries.GetMetricsOverview>(q =>
            {
                if (_answers.GetValueOrDefault(q.TargetId) is { } overview) Sender.Tell(overview);
            });
        }
    }
}
