using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Health;

/// <summary>Thresholds of the seven health checks (seed defaults).</summary>
public sealed record HealthCheckSettings
{
    /// <summary>cache_performance: the lowest healthy hit rate (seed: 0.7).</summary>
    public double MinCacheHitRate { get; init; } = 0.7;

    /// <summary>cache_performance: the hit rate is judged only once the cache has served this many requests (a fresh cache is not failing).</summary>
    public long MinCacheRequests { get; init; } = 20;

    /// <summary>cache_performance: usage must stay below this (seed: 0.95).</summary>
    public double MaxCacheUsage { get; init; } = 0.95;

    /// <summary>memory_usage: the process must stay below this many MB (seed: 500).</summary>
    public double MaxProcessMemoryMb { get; init; } = 500;

    /// <summary>disk_space: more than this percent must be free (seed: 10).</summary>
    public double MinDiskFreePercent { get; init; } = 10;

    /// <summary>service_adapters: this many failed probes in a row make a target's adapter unhealthy.</summary>
    public int MaxConsecutiveFailures { get; init; } = 3;

    /// <summary>How long one check may take before it counts as failed.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The folder whose disk disk_space checks (the node's data folder).</summary>
    public string DiskPath { get; init; } = AppContext.BaseDirectory;
}

/// <summary>Names of the seven checks.</summary>
public static class HealthCheckNames
{
    /// <summary>Timed read, read with metadata, cache stats.</summary>
    public const string ConfigurationService = "configuration_service";
    /// <summary>SELECT 1 and the row count of system_configurations.</summary>
    public const string DatabaseConnectivity = "database_connectivity";
    /// <summary>Hit rate and usage.</summary>
    public const string CachePerformance = "cache_performance";
    /// <summary>A real subscribe/notify/unsubscribe round trip.</summary>
    public const string EventSystem = "event_system";
    /// <summary>The monitor's own view of each target: last success, consecutive failures.</summary>
    public const string ServiceAdapters = "service_adapters";
    /// <summary>Process and system memory.</summary>
    public const string MemoryUsage = "memory_usage";
    /// <summary>Free disk of the data folder.</summary>
    public const string DiskSpace = "disk_space";

    /// <summary>The seven, in report order.</summary>
    public static readonly IReadOnlyList<string> All =
        [ConfigurationService, DatabaseConnectivity, CachePerformance, EventSystem, ServiceAdapters, MemoryUsage, DiskSpace];
}

/// <summary>Queries to the HealthChecker.</summary>
public static class HealthQueries
{
    /// <summary>Run the seven checks (for one target, or every target when null); answered with <see cref="HealthReport"/>.</summary>
    public sealed record GetHealthReport(string? TargetId = null) : IConfigMonitorMessage;
}

/// <summary>
/// The health states used everywhere: healthy; degraded (working, but a warning-level threshold is breached —
/// a slow read, a low hit rate, high memory, some failed probes); unhealthy (something does not answer or is lost); and
/// not applicable (the target has no such facet, e.g. etcd has no cache: nothing is judged, and it never makes a report worse).
/// </summary>
public enum HealthState
{
    /// <summary>
    /// Not judged yet: the loop whose last result feeds the check has not finished a probe (a target that has just started). Only the
    /// last-results view (<see cref="Monitoring.TargetHealth"/>) gives it; the live checks always judge.
    /// </summary>
    Unknown = -2,

    /// <summary>The check does not apply: the target lacks the facet it judges (kind <c>none</c>); the message says why.</summary>
    NotApplicable = -1,

    /// <summary>Everything within its thresholds.</summary>
    Healthy,
    /// <summary>Working, but a warning-level threshold is breached.</summary>
    Degraded,
    /// <summary>Not answering, failing or losing events.</summary>
    Unhealthy,
}

/// <summary>One check's verdict: its state, its figures, and the error when it failed.</summary>
public sealed record HealthCheckResult(
    string Name, string? TargetId, HealthState Status, string Message, IReadOnlyDictionary<string, double> Figures, string? Error, double DurationMs)
    : IConfigMonitorMessage
{
    /// <summary>True when nothing is wrong: the check is healthy, or does not apply.</summary>
    public bool Healthy => Status is HealthState.Healthy or HealthState.NotApplicable;
}

/// <summary>The one health answer: the overall state (the worst of the checks) and every check.</summary>
public sealed record HealthReport(HealthState Status, DateTimeOffset CheckedAt, double DurationMs, IReadOnlyList<HealthCheckResult> Checks)
    : IConfigMonitorMessage
{
    /// <summary>True only when every check is healthy.</summary>
    public bool Healthy => Status == HealthState.Healthy;

    /// <summary>Builds a report whose overall state is the worst of its checks (unhealthy when there is none).</summary>
    public static HealthReport Of(DateTimeOffset checkedAt, double durationMs, IReadOnlyList<HealthCheckResult> checks) =>
        new(checks.Count == 0 ? HealthState.Unhealthy : (HealthState)Math.Max((int)HealthState.Healthy, checks.Max(c => (int)c.Status)),
            checkedAt, durationMs, checks);
}
