using Akka.Cluster.Sharding;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>Routes every <see cref="IWithTargetId"/> message to the entity of its target.</summary>
public sealed class TargetMessageExtractor() : HashCodeMessageExtractor(ShardCount)
{
    /// <summary>About ten shards per node of the largest cluster we plan for.</summary>
    public const int ShardCount = 100;

    /// <inheritdoc />
    public override string? EntityId(object message) => message is IWithTargetId m ? m.TargetId : null;
}
