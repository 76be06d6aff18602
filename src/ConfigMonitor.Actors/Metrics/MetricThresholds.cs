using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>Which side of a threshold is a breach.</summary>
public enum BreachSide
{
    /// <summary>A value above the threshold breaches it (a time, a size).</summary>
    Above,
    /// <summary>A value below the threshold breaches it (a hit rate).</summary>
    Below,
}

/// <summary>A value a rule compares one metric with: the rule's name, the value, the severity of its alert and the breaching side.</summary>
public sealed record MetricThreshold(string Rule, double Value, AlertSeverity Severity, BreachSide Breach);

/// <summary>
/// The thresholds the loops' rules apply to each metric, read from the target's definition (the same settings the loops
/// compare with), so a chart can draw them. A metric no rule compares with a value (counts, "ok" flags) has none.
/// </summary>
public static class MetricThresholds
{
    /// <summary>The thresholds of <paramref name="metric"/> for <paramref name="target"/>; empty when no rule compares it with a value.</summary>
    public static IReadOnlyList<MetricThreshold> For(TargetDefinition target, string metric) => metric switch
    {
        MetricNames.ConfigAccessMs =>
            [new(PerformanceLoopActor.AccessTimeRule, target.Performance.AccessTimeThresholdMs, AlertSeverity.Warning, BreachSide.Above)],
        MetricNames.DatabaseResponseMs =>
            [new(DatabaseLoopActor.ResponseTimeRule, target.Database.ResponseTimeThresholdMs, AlertSeverity.Warning, BreachSide.Above)],
        MetricNames.ProcessMemoryMb =>
            [new(HealthLoopActor.ProcessMemoryRule, target.Health.MaxProcessMemoryMb, AlertSeverity.Warning, BreachSide.Above)],
        MetricNames.CacheHitRate =>
            [new(CacheLoopActor.HitRateRule, target.Cache.MinHitRate, AlertSeverity.Warning, BreachSide.Below)],
        MetricNames.CacheUsage =>
            [new(CacheLoopActor.UsageRule, target.Cache.MaxUsage, AlertSeverity.Warning, BreachSide.Above)],
        // A change event later than the probe's timeout counts as lost (event_system/event_delivery, critical).
        MetricNames.EventRoundTripMs =>
            [new(EventDeliveryRule, target.EventProbe.Timeout.TotalMilliseconds, AlertSeverity.Critical, BreachSide.Above)],
        _ => [],
    };

    private const string EventDeliveryRule = Maintenance.MaintenanceActor.EventDeliveryRule;
}
