using Akka.Actor;
using Akka.Cluster.Sharding;
using ConfigMonitor.Actors.Hosting;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// The targets this node monitors, read from its own TargetMonitor shard region (its local shards and their entities):
/// no other node and no singleton is asked.
/// </summary>
/// <param name="Targets">The target ids of the entities running in this node's shards.</param>
/// <param name="FailedShards">Local shards that did not answer the region in time (their entities are unknown this time).</param>
public sealed record LocalTargets(IReadOnlySet<string> Targets, IReadOnlySet<string> FailedShards)
{
    private static readonly TargetMessageExtractor Extractor = new();

    /// <summary>The shard a target's entities live in (the same for the monitor and the metrics store: one extractor).</summary>
    public static string ShardOf(string targetId) => Extractor.ShardId(targetId, null);

    /// <summary>
    /// Asks <paramref name="region"/> (the node's TargetMonitor region) for its local shards and entity ids; the region
    /// asks each of its shards and lists those that did not answer within its own query timeout as failed.
    /// </summary>
    public static async Task<LocalTargets> ReadAsync(IActorRef region, TimeSpan timeout, CancellationToken ct)
    {
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout, ct).ConfigureAwait(false);
        var targets = state.Shards.SelectMany(s => s.EntityIds).ToHashSet(StringComparer.Ordinal);
        return new LocalTargets(targets, (state.Failed ?? []).ToHashSet(StringComparer.Ordinal));
    }
}
