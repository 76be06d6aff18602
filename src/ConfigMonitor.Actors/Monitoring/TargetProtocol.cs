using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Commands to a target's TargetMonitor entity.</summary>
public static class TargetMonitorCommands
{
    /// <summary>Monitor with this definition (idempotent; a changed definition restarts the loops).</summary>
    public sealed record MonitorTarget(TargetDefinition Definition) : IWithTargetId
    {
        /// <inheritdoc />
        public string TargetId => Definition.Id;
    }

    /// <summary>The maintenance singleton's event round trip of this target ended (Error null: the event arrived).</summary>
    public sealed record EventProbeReported(string TargetId, DateTimeOffset At, string? Error) : IWithTargetId;

    /// <summary>Stop every loop of the target and passivate the entity.</summary>
    public sealed record StopMonitoringTarget(string TargetId) : IWithTargetId;
}

/// <summary>Queries to a target's TargetMonitor entity.</summary>
public static class TargetMonitorQueries
{
    /// <summary>How the loops of a target are doing; answered with <see cref="TargetStatus"/>.</summary>
    public sealed record GetTargetStatus(string TargetId) : IWithTargetId;

    /// <summary>A target's loops as the node monitoring it sees them.</summary>
    public sealed record TargetStatus(string TargetId, bool Monitoring, string Node, IReadOnlyList<LoopStatus> Loops) : IConfigMonitorMessage
    {
        /// <summary>Each facet: its kind, its endpoint (redacted), its last success and failures in a row (empty from older nodes).</summary>
        public IReadOnlyList<FacetStatus> Facets { get; init; } = [];

        /// <summary>The latest successful probe of any loop.</summary>
        public DateTimeOffset? LastSuccessAt => Loops.Max(l => l.LastSuccessAt);

        /// <summary>The worst run of consecutive failures of any loop.</summary>
        public int ConsecutiveFailures => Loops.Count == 0 ? 0 : Loops.Max(l => l.ConsecutiveFailures);
    }

    /// <summary>
    /// The target's health from its loops' last results (<see cref="TargetHealth"/>): no probe is made to answer it. Answered with
    /// <see cref="TargetHealthReport"/>.
    /// </summary>
    public sealed record GetTargetHealth(string TargetId) : IWithTargetId;

    /// <summary>
    /// A target's health as its node last saw it: the state (the worst of the target's five checks; the node's memory_usage and
    /// disk_space are listed but judge the node, not the target), the node, when the latest result judged was taken (null while no
    /// probe has finished), and the seven checks.
    /// </summary>
    public sealed record TargetHealthReport(string TargetId, Health.HealthState State, string Node, DateTimeOffset? CheckedAt,
        IReadOnlyList<Health.HealthCheckResult> Checks) : IConfigMonitorMessage;

    /// <summary>One loop: when it last probed, last succeeded, and how many probes in a row failed.</summary>
    public sealed record LoopStatus(
        string Loop, long Probes, DateTimeOffset? LastProbeAt, DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, string? LastError)
        : IConfigMonitorMessage;
}

/// <summary>
/// One facet of a target as the monitor reaches it: kind, endpoint (credentials redacted), when it last answered, how many
/// probes in a row failed and why. config follows the performance loop, cache and database their loops, events the
/// maintenance singleton's round trips; a facet of kind none has no probes.
/// </summary>
public sealed record FacetStatus(
    string Facet, string Kind, string Endpoint, long Probes, DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, string? LastError)
    : IConfigMonitorMessage;

/// <summary>The names of the four loops.</summary>
public static class LoopNames
{
    /// <summary>Timed config reads.</summary>
    public const string Performance = "performance";
    /// <summary>Service, database, cache and memory together.</summary>
    public const string Health = "health";
    /// <summary>Cache hit rate and fill.</summary>
    public const string Cache = "cache";
    /// <summary>Database round trip.</summary>
    public const string Database = "database";
}
