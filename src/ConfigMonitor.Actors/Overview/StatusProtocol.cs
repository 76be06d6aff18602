using Akka.Actor;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Overview;

/// <summary>One target's line on the overview: its state from the loops' last results, when it last probed, its group and its node.</summary>
public sealed record TargetSummary(string Id, HealthState State, DateTimeOffset? LastProbeAt, string? Group, string Node) : IConfigMonitorMessage;

/// <summary>How many targets are in each state.</summary>
public sealed record StateCounts(int Total, int Healthy, int Degraded, int Unhealthy, int NotApplicable, int Unknown) : IConfigMonitorMessage
{
    /// <summary>No target.</summary>
    public static readonly StateCounts None = new(0, 0, 0, 0, 0, 0);

    /// <summary>These counts with one more target in <paramref name="state"/>.</summary>
    public StateCounts Add(HealthState state) => state switch
    {
        HealthState.Healthy => this with { Total = Total + 1, Healthy = Healthy + 1 },
        HealthState.Degraded => this with { Total = Total + 1, Degraded = Degraded + 1 },
        HealthState.Unhealthy => this with { Total = Total + 1, Unhealthy = Unhealthy + 1 },
        HealthState.NotApplicable => this with { Total = Total + 1, NotApplicable = NotApplicable + 1 },
        _ => this with { Total = Total + 1, Unknown = Unknown + 1 },
    };

    /// <summary>The sum of two counts (two nodes' boards).</summary>
    public StateCounts Plus(StateCounts other) => new(Total + other.Total, Healthy + other.Healthy, Degraded + other.Degraded,
        Unhealthy + other.Unhealthy, NotApplicable + other.NotApplicable, Unknown + other.Unknown);
}

/// <summary>What a node's target entities tell its board (local only: never sent to another node).</summary>
public static class StatusBoardCommands
{
    /// <summary>A target's summary changed (or is new on this node).</summary>
    public sealed record TargetSummaryChanged(TargetSummary Summary) : INoSerializationVerificationNeeded;

    /// <summary>The target no longer runs on this node (removed, handed off, or the node stops).</summary>
    public sealed record TargetSummaryRemoved(string TargetId) : INoSerializationVerificationNeeded;
}

/// <summary>Queries to a node's status board (asked across nodes by <c>GET /api/status</c>).</summary>
public static class StatusBoardQueries
{
    /// <summary>
    /// One page of the node's targets: those in <paramref name="State"/> (any when null), of <paramref name="Group"/> (any when null;
    /// case-insensitive), whose id or group contains <paramref name="Text"/> (case-insensitive), with an id after <paramref name="After"/>
    /// (ordinal), sorted by id, at most <paramref name="Limit"/>. Answered with <see cref="StatusPage"/>.
    /// </summary>
    public sealed record GetStatusPage(HealthState? State, string? Group, string? Text, string? After, int Limit) : IConfigMonitorMessage;

    /// <summary>
    /// A page of a board: the counts by state over all its targets and over those the filter matches, its distinct groups, the
    /// page's rows, and whether more rows match after them.
    /// </summary>
    public sealed record StatusPage(StateCounts Counts, StateCounts Matching, IReadOnlyList<string> Groups, IReadOnlyList<TargetSummary> Targets, bool More)
        : IConfigMonitorMessage;

    /// <summary>
    /// Asked of the node's own board only (never sent to another node): the members this node saw downed or removed from the cluster
    /// in the last <see cref="StatusBoardActor.LostMemberMemory"/>, whose targets may not run anywhere yet. Answered with <see cref="LostMembers"/>.
    /// </summary>
    public sealed record GetLostMembers : INoSerializationVerificationNeeded
    {
        /// <summary>The query.</summary>
        public static readonly GetLostMembers Instance = new();
    }

    /// <summary>The addresses of the members downed or removed recently, in address order.</summary>
    public sealed record LostMembers(IReadOnlyList<string> Addresses) : INoSerializationVerificationNeeded;
}
