using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Monitoring;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// Inhibition follows the cause, so one outage pages once. Two rules are roots:
/// <c>health/service_health</c> (the config service does not answer its reads or cache statistics) and
/// <c>database/unreachable</c> (the service answers, its database does not). While a target's service root fires,
/// every other alert of that target is inhibited by it (but not the monitor's own <c>health/process_memory</c>);
/// while its database root fires, the target's cache, performance and event alerts are inhibited by it.
/// The alerts an outage produces are "does not answer" alerts (<see cref="IsAnswerFailure"/>); a new one waits until the
/// roots that cover it have judged its target again, after it was raised, before its first page (at most
/// <see cref="AlertPolicy.RootCauseWait"/>), so the root pages whichever loop saw the outage first. When a root resolves, an alert it inhibited pages only once it is seen
/// breaching after the root resolved (the breach it shared with the root is over or about to be).
/// </summary>
public static class Inhibition
{
    /// <summary>The root of "the config service does not answer".</summary>
    public static bool IsServiceRoot(AlertCategory category, string rule) =>
        category == AlertCategory.Health && rule == HealthLoopActor.ServiceHealthRule;

    /// <summary>The root of "the service's database does not answer".</summary>
    public static bool IsDatabaseRoot(AlertCategory category, string rule) =>
        category == AlertCategory.Database && rule == DatabaseLoopActor.UnreachableRule;

    /// <summary>True for alerts about the monitor itself, not its target (they are never inhibited by a target's outage).</summary>
    public static bool IsAboutTheMonitor(Alert alert) =>
        alert.Category == AlertCategory.Health && alert.Rule == HealthLoopActor.ProcessMemoryRule;

    /// <summary>What an unreachable service makes every loop report: a request that got no (good) answer, rather than a threshold breach.</summary>
    public static bool IsAnswerFailure(AlertCategory category, string rule) => (category, rule) switch
    {
        (AlertCategory.Database, DatabaseLoopActor.UnreachableRule) => true,
        (AlertCategory.Performance, PerformanceLoopActor.ReadFailedRule) => true,
        (AlertCategory.Cache, CacheLoopActor.StatsFailedRule) => true,
        (AlertCategory.EventSystem, MaintenanceActor.EventDeliveryRule) => true,
        _ => false,
    };

    /// <summary>True when a firing service root of the alert's target inhibits it.</summary>
    public static bool CoveredByServiceRoot(Alert alert) =>
        !IsServiceRoot(alert.Category, alert.Rule) && !IsAboutTheMonitor(alert) && !IsGroupAlert(alert);

    /// <summary>True when a firing database root of the alert's target inhibits it.</summary>
    public static bool CoveredByDatabaseRoot(Alert alert) => CoveredByDatabaseRoot(alert.Category) && !IsGroupAlert(alert);

    /// <summary>True for the categories a firing database root inhibits: cache, performance and event alerts.</summary>
    public static bool CoveredByDatabaseRoot(AlertCategory category) =>
        category is AlertCategory.Cache or AlertCategory.Performance or AlertCategory.EventSystem;

    /// <summary>The fingerprint of a target's service root.</summary>
    public static string ServiceRootOf(string targetId) =>
        AlertFingerprint.Of(targetId, AlertCategory.Health, HealthLoopActor.ServiceHealthRule);

    /// <summary>The fingerprint of a target's database root.</summary>
    public static string DatabaseRootOf(string targetId) =>
        AlertFingerprint.Of(targetId, AlertCategory.Database, DatabaseLoopActor.UnreachableRule);

    private static bool IsGroupAlert(Alert alert) => alert.Rule == AlertBook.GroupRule && alert.TargetId.StartsWith("group:", StringComparison.Ordinal);
}
