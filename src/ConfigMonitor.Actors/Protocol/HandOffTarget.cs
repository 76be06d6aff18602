namespace ConfigMonitor.Actors.Protocol;

/// <summary>
/// The shard's hand-off (and passivation) message to a whole target entity: its loops stop first, then its MetricsStore
/// flushes pending samples and its alert evaluation saves its state, each stops, and then so does the entity, so a move or a
/// shutdown never loses a batch. Its wire name ("mst") is the one it had as HandOffTarget, so nodes of either version agree.
/// </summary>
public sealed record HandOffTarget : IConfigMonitorMessage
{
    /// <summary>The single instance.</summary>
    public static readonly HandOffTarget Instance = new();
}
