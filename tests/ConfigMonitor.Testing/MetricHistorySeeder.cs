using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Testing;

/// <summary>
/// Seeds metric history into a target's store on a running node, for specs that need a chart's worth of data (a day of
/// samples) without waiting a day. A test helper, not a product path: it sends the samples to the target's store through the
/// node's shard region (the same <see cref="MetricsCommands.RecordSamples"/> the loops send, so the store rolls them up
/// and persists them as it does its own), then flushes them to the journal and returns once they are durable.
/// <para>
/// Usage, on a started in-process node (<see cref="TestNode.BuildAsync"/>, <see cref="ApiNode"/>):
/// <code>var samples = await MetricHistorySeeder.SeedDayAsync(node.App, "demo", "config_access_ms");</code>
/// then <c>GET /api/targets/demo/metrics/config_access_ms/series?window=24h</c> answers at least 80 points, and its
/// <c>overall.p99</c> is the summary route's p99 for <c>window=24h</c>. Seeding a metric the loops do not record (e.g.
/// <c>seeded_access_ms</c>) keeps the figures fixed while the node runs; seeding one they record mixes the day with live samples.
/// </para>
/// </summary>
public static class MetricHistorySeeder
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Seeds a day of <paramref name="metric"/> (a sample every 30 s, <see cref="SeededHistory.Day"/>) ending now; returns the samples.</summary>
    public static async Task<IReadOnlyList<MetricSample>> SeedDayAsync(IHost node, string targetId, string metric)
    {
        var samples = SeededHistory.Day(metric, DateTimeOffset.UtcNow);
        await SeedAsync(node, targetId, samples);
        return samples;
    }

    /// <summary>Sends <paramref name="samples"/> to <paramref name="targetId"/>'s store and waits until they are in its journal.</summary>
    public static async Task SeedAsync(IHost node, string targetId, IReadOnlyList<MetricSample> samples)
    {
        var stores = await node.Registry().GetAsync<TargetRegion>();
        // Chunks of a size a loop's batch could have; the store takes them in order.
        foreach (var chunk in samples.Chunk(500)) stores.Tell(new MetricsCommands.RecordSamples(targetId, chunk));
        var flushed = await stores.Ask(new MetricsCommands.FlushMetrics(targetId), FlushTimeout);
        if (flushed is not MetricsCommands.MetricsFlushed)
            throw new InvalidOperationException($"seeding target '{targetId}': its store answered the flush with {flushed}");
    }
}
