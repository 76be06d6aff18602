using Akka.Actor;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>What part of a config service an alert is about.</summary>
public enum AlertCategory
{
    /// <summary>Config read latency.</summary>
    Performance,
    /// <summary>The service as a whole answering.</summary>
    Health,
    /// <summary>Cache hit rate and fill.</summary>
    Cache,
    /// <summary>The service's database.</summary>
    Database,
    /// <summary>Change events reaching subscribers.</summary>
    EventSystem,
}

/// <summary>How urgent an alert is.</summary>
public enum AlertSeverity
{
    /// <summary>Worth knowing.</summary>
    Info,
    /// <summary>Degraded: someone should look soon.</summary>
    Warning,
    /// <summary>Broken: users notice.</summary>
    Critical,
}

/// <summary>Whether an alert is still happening.</summary>
public enum AlertState
{
    /// <summary>The breach goes on.</summary>
    Firing,
    /// <summary>A good probe ended the breach.</summary>
    Resolved,
}

/// <summary>
/// One evaluation of one rule of one target, as a loop saw it. The AlertManager decides what it means:
/// a breach raises (or continues) the alert with this fingerprint, a good result resolves it.
/// </summary>
public sealed record Observation(
    string TargetId,
    AlertCategory Category,
    string Rule,
    bool Breached,
    AlertSeverity Severity,
    string Message,
    DateTimeOffset ObservedAt,
    double? Value = null,
    double? Threshold = null) : IWithTargetId
{
    /// <summary>target/category/rule: the identity of "the same problem".</summary>
    public string Fingerprint => AlertFingerprint.Of(TargetId, Category, Rule);
}

/// <summary>Builds the fingerprint that deduplicates alerts.</summary>
public static class AlertFingerprint
{
    /// <summary>The fingerprint of a rule of a target.</summary>
    public static string Of(string targetId, AlertCategory category, string rule) =>
        $"{targetId}/{AlertNames.Category(category)}/{rule}";
}

/// <summary>The lower-case names used in logs, APIs and storage.</summary>
public static class AlertNames
{
    /// <summary>performance, health, cache, database, event_system.</summary>
    public static string Category(AlertCategory c) => c switch
    {
        AlertCategory.EventSystem => "event_system",
        _ => c.ToString().ToLowerInvariant(),
    };

    /// <summary>info, warning, critical.</summary>
    public static string Severity(AlertSeverity s) => s.ToString().ToLowerInvariant();
}

/// <summary>An alert as people see it: stable id, what, since when, whether resolved and acknowledged.</summary>
public sealed record Alert(
    string Id,
    string TargetId,
    AlertCategory Category,
    string Rule,
    AlertSeverity Severity,
    string Message,
    DateTimeOffset RaisedAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset? ResolvedAt,
    bool Acknowledged,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy) : IConfigMonitorMessage
{
    /// <summary>target/category/rule.</summary>
    public string Fingerprint => AlertFingerprint.Of(TargetId, Category, Rule);

    /// <summary>Firing until resolved.</summary>
    public AlertState State => ResolvedAt is null ? AlertState.Firing : AlertState.Resolved;

    /// <summary>Active alerts are those still firing or not yet acknowledged.</summary>
    public bool IsActive => State == AlertState.Firing || !Acknowledged;
}

/// <summary>Commands to the AlertManager.</summary>
public static class AlertCommands
{
    /// <summary>Acknowledge by id; answered with <see cref="AlertAcknowledged"/> or <see cref="AlertNotFound"/>.</summary>
    public sealed record AcknowledgeAlert(string AlertId, string By) : IConfigMonitorMessage;

    /// <summary>The alert after acknowledgement (acknowledging twice keeps the first acknowledgement).</summary>
    public sealed record AlertAcknowledged(Alert Alert) : IConfigMonitorMessage;

    /// <summary>No alert has this id.</summary>
    public sealed record AlertNotFound(string AlertId, string Reason) : IConfigMonitorMessage;

    /// <summary>Drop acknowledged, resolved alerts that were resolved before <paramref name="Cutoff"/>; answered with <see cref="AlertsPruned"/>.</summary>
    public sealed record PruneAlerts(DateTimeOffset Cutoff) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="PruneAlerts"/>.</summary>
    public sealed record AlertsPruned(int Removed, int Retained) : IConfigMonitorMessage;

    /// <summary>Send every <see cref="AlertChanged"/> to <paramref name="Subscriber"/> until it stops or unsubscribes; answered with <see cref="SubscribedToAlerts"/>.</summary>
    public sealed record SubscribeToAlerts(IActorRef Subscriber) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="SubscribeToAlerts"/>.</summary>
    public sealed record SubscribedToAlerts(IActorRef Subscriber) : IConfigMonitorMessage;

    /// <summary>Stop sending alert changes to <paramref name="Subscriber"/>.</summary>
    public sealed record UnsubscribeFromAlerts(IActorRef Subscriber) : IConfigMonitorMessage;
}

/// <summary>Queries to the AlertManager.</summary>
public static class AlertQueries
{
    /// <summary>Alerts still firing or not yet acknowledged; answered with <see cref="AlertList"/>.</summary>
    public sealed record GetActiveAlerts : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetActiveAlerts Instance = new();
    }

    /// <summary>Every retained alert; answered with <see cref="AlertList"/>.</summary>
    public sealed record GetAllAlerts : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetAllAlerts Instance = new();
    }

    /// <summary>One alert; answered with <see cref="AlertFound"/> or <see cref="AlertCommands.AlertNotFound"/>.</summary>
    public sealed record GetAlert(string AlertId) : IConfigMonitorMessage;

    /// <summary>Alerts, newest raised first.</summary>
    public sealed record AlertList(IReadOnlyList<Alert> Alerts) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="GetAlert"/>.</summary>
    public sealed record AlertFound(Alert Alert) : IConfigMonitorMessage;
}

/// <summary>What happened to an alert.</summary>
public enum AlertChangeKind
{
    /// <summary>A new breach.</summary>
    Raised,
    /// <summary>The breach got worse (or better) while firing.</summary>
    SeverityChanged,
    /// <summary>A good probe ended it.</summary>
    Resolved,
    /// <summary>Someone acknowledged it.</summary>
    Acknowledged,
    /// <summary>Retention dropped it.</summary>
    Dropped,
}

/// <summary>Published to the event stream and to subscribers on every change.</summary>
public sealed record AlertChanged(AlertChangeKind Kind, Alert Alert) : IConfigMonitorMessage;

/// <summary>Events and snapshots of the AlertManager (the storage format).</summary>
public static class AlertEvents
{
    /// <summary>Marker for alert events.</summary>
    public interface IAlertEvent : IPersistedEvent;

    /// <summary>A new alert.</summary>
    public sealed record AlertRaised(Alert Alert) : IAlertEvent;

    /// <summary>A firing alert's severity and message changed.</summary>
    public sealed record AlertSeverityChanged(string AlertId, AlertSeverity Severity, string Message, DateTimeOffset At) : IAlertEvent;

    /// <summary>A firing alert ended.</summary>
    public sealed record AlertResolved(string AlertId, DateTimeOffset At, string Message) : IAlertEvent;

    /// <summary>An alert was acknowledged.</summary>
    public sealed record AlertWasAcknowledged(string AlertId, DateTimeOffset At, string By) : IAlertEvent;

    /// <summary>Retention dropped these alerts.</summary>
    public sealed record AlertsDropped(IReadOnlyList<string> AlertIds, DateTimeOffset At) : IAlertEvent;

    /// <summary>Every retained alert and the next id number.</summary>
    public sealed record AlertBookSnapshot(IReadOnlyList<Alert> Alerts, long NextNumber) : IPersistedEvent;
}
