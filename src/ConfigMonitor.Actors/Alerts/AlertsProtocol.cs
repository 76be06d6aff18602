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

/// <summary>Where an alert is in its life: pending → firing → resolved.</summary>
public enum AlertState
{
    /// <summary>The breach goes on but has not yet met its rule's failure threshold (not notified).</summary>
    Pending,
    /// <summary>The breach met its threshold and goes on.</summary>
    Firing,
    /// <summary>Enough good probes in a row ended it.</summary>
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

/// <summary>An alert as people see it: stable id, what, since when, its state, acknowledgement and why it is not notified.</summary>
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
    string? AcknowledgedBy,
    AlertState State = AlertState.Firing,
    DateTimeOffset? FiredAt = null,
    string? AcknowledgeComment = null,
    string? Group = null,
    DateTimeOffset? LastNotifiedAt = null,
    string? SuppressedBy = null) : IConfigMonitorMessage
{
    /// <summary>target/category/rule.</summary>
    public string Fingerprint => AlertFingerprint.Of(TargetId, Category, Rule);

    /// <summary>Active alerts are those firing, or resolved but not yet acknowledged.</summary>
    public bool IsActive => State == AlertState.Firing || (State == AlertState.Resolved && !Acknowledged);

    /// <summary>Pending or firing: the breach is going on.</summary>
    public bool IsOpen => State != AlertState.Resolved;
}

/// <summary>Commands to the AlertManager.</summary>
public static class AlertCommands
{
    /// <summary>Acknowledge by id (stops reminders, keeps the alert listed); answered with <see cref="AlertAcknowledged"/> or <see cref="AlertNotFound"/>.</summary>
    public sealed record AcknowledgeAlert(string AlertId, string By, string? Comment = null) : IConfigMonitorMessage;

    /// <summary>The alert after acknowledgement (acknowledging twice keeps the first acknowledgement).</summary>
    public sealed record AlertAcknowledged(Alert Alert) : IConfigMonitorMessage;

    /// <summary>Take an acknowledgement back; answered with <see cref="AlertUnacknowledged"/> or <see cref="AlertNotFound"/>.</summary>
    public sealed record UnacknowledgeAlert(string AlertId, string By) : IConfigMonitorMessage;

    /// <summary>The alert after its acknowledgement was taken back.</summary>
    public sealed record AlertUnacknowledged(Alert Alert) : IConfigMonitorMessage;

    /// <summary>Mute the alerts matching every matcher from <paramref name="StartsAt"/> (now when null) to <paramref name="EndsAt"/>; answered with <see cref="SilenceCreated"/> or <see cref="SilenceRejected"/>.</summary>
    public sealed record CreateSilence(IReadOnlyList<Matcher> Matchers, DateTimeOffset? StartsAt, DateTimeOffset EndsAt, string CreatedBy, string Comment)
        : IConfigMonitorMessage;

    /// <summary>The silence as stored.</summary>
    public sealed record SilenceCreated(Silence Silence) : IConfigMonitorMessage;

    /// <summary>The silence was not created; nothing changed.</summary>
    public sealed record SilenceRejected(IReadOnlyList<string> Problems) : IConfigMonitorMessage;

    /// <summary>End a silence now; answered with <see cref="SilenceExpired"/> or <see cref="SilenceNotFound"/>.</summary>
    public sealed record ExpireSilence(string SilenceId, string By) : IConfigMonitorMessage;

    /// <summary>The silence after it ended.</summary>
    public sealed record SilenceExpired(Silence Silence) : IConfigMonitorMessage;

    /// <summary>No silence has this id.</summary>
    public sealed record SilenceNotFound(string SilenceId, string Reason) : IConfigMonitorMessage;

    /// <summary>Create a maintenance window; answered with <see cref="MaintenanceWindowCreated"/> or <see cref="MaintenanceWindowRejected"/>.</summary>
    public sealed record CreateMaintenanceWindow(
        string Name, IReadOnlyList<Matcher> Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, Recurrence? Recurrence, string CreatedBy)
        : IConfigMonitorMessage;

    /// <summary>The window as stored.</summary>
    public sealed record MaintenanceWindowCreated(MaintenanceWindow Window) : IConfigMonitorMessage;

    /// <summary>The window was not created; nothing changed.</summary>
    public sealed record MaintenanceWindowRejected(IReadOnlyList<string> Problems) : IConfigMonitorMessage;

    /// <summary>Delete a maintenance window; answered with <see cref="MaintenanceWindowDeleted"/> or <see cref="MaintenanceWindowNotFound"/>.</summary>
    public sealed record DeleteMaintenanceWindow(string WindowId, string By) : IConfigMonitorMessage;

    /// <summary>The window is gone.</summary>
    public sealed record MaintenanceWindowDeleted(string WindowId) : IConfigMonitorMessage;

    /// <summary>No window has this id.</summary>
    public sealed record MaintenanceWindowNotFound(string WindowId, string Reason) : IConfigMonitorMessage;

    /// <summary>Which targets form which group (from the target registry); group alerts count failing members.</summary>
    public sealed record UpdateTargetGroups(IReadOnlyDictionary<string, IReadOnlyList<string>> Groups) : IConfigMonitorMessage;

    /// <summary>
    /// The target registry removed this target: its pending alerts are cancelled, its firing ones resolved (notified as any
    /// resolution), and observations that still arrive for it are ignored until the registry lists it again. Not answered.
    /// </summary>
    public sealed record TargetRemoved(string TargetId) : IConfigMonitorMessage;

    /// <summary>No alert has this id.</summary>
    public sealed record AlertNotFound(string AlertId, string Reason) : IConfigMonitorMessage;

    /// <summary>Drop acknowledged, resolved alerts resolved before <paramref name="Cutoff"/> and silences/windows ended before it; answered with <see cref="AlertsPruned"/>.</summary>
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
    /// <summary>
    /// The most alerts in one <see cref="AlertList"/> (the reply crosses nodes: well under the 4 MiB frame and the serializer's
    /// 3 MiB MaxPayloadBytes). A maximal alert: target id 100, acknowledgement comment 2,000, acknowledged-by 100, group 100,
    /// suppressed-by 200, id and rule ≈ 300, message ≈ 2,000 (loop text with the endpoint and key in it) ≈ 4,800 characters,
    /// at most 6 bytes each in JSON (\uXXXX escapes) ≈ 28.8 KB, plus ≈ 0.5 KB of names, times and enums: under 30 KiB.
    /// 50 of them: under 1.5 MiB.
    /// </summary>
    public const int MaxAlertsPerPage = 50;

    /// <summary>
    /// The most silences in one <see cref="SilenceList"/>. A maximal silence: 32 matchers of 512 characters (16,384), comment
    /// 2,000, created-by and ended-by 200, id 100 ≈ 18,700 characters, at most 6 bytes each ≈ 112 KB, plus ≈ 2 KB of matcher
    /// names and times: under 115 KiB. 20 of them: under 2.3 MiB.
    /// </summary>
    public const int MaxSilencesPerPage = 20;

    /// <summary>A page of the alerts still firing or not yet acknowledged (newest raised first); answered with <see cref="AlertList"/>.</summary>
    public sealed record GetActiveAlerts(int Limit = MaxAlertsPerPage, int Offset = 0) : IConfigMonitorMessage
    {
        /// <summary>The first page.</summary>
        public static readonly GetActiveAlerts Instance = new();
    }

    /// <summary>A page of every retained alert (newest raised first); answered with <see cref="AlertList"/>.</summary>
    public sealed record GetAllAlerts(int Limit = MaxAlertsPerPage, int Offset = 0) : IConfigMonitorMessage
    {
        /// <summary>The first page.</summary>
        public static readonly GetAllAlerts Instance = new();
    }

    /// <summary>
    /// A page of one target's alerts (its active ones, or every retained one unless <paramref name="ActiveOnly"/>), newest raised
    /// first; answered with <see cref="AlertList"/>. The id is compared case-insensitively, as target ids are. A node of a build
    /// before this message does not read it: the asker's ask times out.
    /// </summary>
    public sealed record GetTargetAlerts(string TargetId, bool ActiveOnly = true, int Limit = MaxAlertsPerPage, int Offset = 0) : IConfigMonitorMessage;

    /// <summary>One alert; answered with <see cref="AlertFound"/> or <see cref="AlertCommands.AlertNotFound"/>.</summary>
    public sealed record GetAlert(string AlertId) : IConfigMonitorMessage;

    /// <summary>A page of alerts, newest raised first: how many there are in all, and the offset of the next page (null on the last).</summary>
    public sealed record AlertList(IReadOnlyList<Alert> Alerts, int Total = 0, int? NextOffset = null) : IConfigMonitorMessage;

    /// <summary>A page of the silences (expired ones too when <paramref name="IncludeExpired"/>); answered with <see cref="SilenceList"/>.</summary>
    public sealed record GetSilences(bool IncludeExpired = false, int Limit = MaxSilencesPerPage, int Offset = 0) : IConfigMonitorMessage;

    /// <summary>A page of silences, newest first: how many there are in all, and the offset of the next page (null on the last).</summary>
    public sealed record SilenceList(IReadOnlyList<Silence> Silences, int Total = 0, int? NextOffset = null) : IConfigMonitorMessage;

    /// <summary>Cuts the page at <paramref name="offset"/> of at most <paramref name="limit"/> (capped at <paramref name="max"/>) items.</summary>
    public static (IReadOnlyList<T> Items, int Total, int? NextOffset) Page<T>(IReadOnlyList<T> all, int limit, int offset, int max)
    {
        limit = Math.Clamp(limit, 1, max);
        offset = Math.Max(0, offset);
        var items = all.Skip(offset).Take(limit).ToList();
        return (items, all.Count, offset + items.Count < all.Count ? offset + items.Count : null);
    }

    /// <summary>Every alert (or every active one), read page by page from the AlertManager; the whole list stays local.</summary>
    public static async Task<AlertList> AllAlertsAsync(IActorRef alertManager, bool activeOnly, TimeSpan timeout, CancellationToken ct = default)
    {
        var alerts = new List<Alert>();
        int? offset = 0;
        while (offset is { } next)
        {
            object query = activeOnly ? new GetActiveAlerts(Offset: next) : new GetAllAlerts(Offset: next);
            var page = await alertManager.Ask<AlertList>(query, timeout, ct).ConfigureAwait(false);
            alerts.AddRange(page.Alerts);
            offset = page.NextOffset;
        }
        return new AlertList(alerts, alerts.Count);
    }

    /// <summary>Every maintenance window; answered with <see cref="MaintenanceWindowList"/>.</summary>
    public sealed record GetMaintenanceWindows : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetMaintenanceWindows Instance = new();
    }

    /// <summary>Maintenance windows, with whether each is open now.</summary>
    public sealed record MaintenanceWindowList(IReadOnlyList<MaintenanceWindow> Windows, IReadOnlyList<string> OpenIds) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="GetAlert"/>.</summary>
    public sealed record AlertFound(Alert Alert) : IConfigMonitorMessage;
}

/// <summary>What happened to an alert.</summary>
public enum AlertChangeKind
{
    /// <summary>A new breach, pending or already firing.</summary>
    Raised,
    /// <summary>A pending alert met its threshold.</summary>
    Fired,
    /// <summary>A pending alert's breach ended before it fired.</summary>
    Cancelled,
    /// <summary>The breach got worse (or better) while firing.</summary>
    SeverityChanged,
    /// <summary>A good probe ended it.</summary>
    Resolved,
    /// <summary>Someone acknowledged it.</summary>
    Acknowledged,
    /// <summary>Someone took the acknowledgement back.</summary>
    Unacknowledged,
    /// <summary>It was handed to the notifiers (first page or reminder).</summary>
    Notified,
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

    /// <summary>A new alert (pending, or firing at once when its rule fires on the first breach).</summary>
    public sealed record AlertRaised(Alert Alert) : IAlertEvent;

    /// <summary>A pending alert met its rule and fires.</summary>
    public sealed record AlertFired(string AlertId, DateTimeOffset At) : IAlertEvent;

    /// <summary>A pending alert's breach ended before it fired; it is forgotten.</summary>
    public sealed record AlertCancelled(string AlertId, DateTimeOffset At) : IAlertEvent;

    /// <summary>An open alert's severity or message changed.</summary>
    public sealed record AlertSeverityChanged(string AlertId, AlertSeverity Severity, string Message, DateTimeOffset At) : IAlertEvent;

    /// <summary>A firing alert ended.</summary>
    public sealed record AlertResolved(string AlertId, DateTimeOffset At, string Message) : IAlertEvent;

    /// <summary>An alert was acknowledged.</summary>
    public sealed record AlertWasAcknowledged(string AlertId, DateTimeOffset At, string By, string? Comment = null) : IAlertEvent;

    /// <summary>An acknowledgement was taken back.</summary>
    public sealed record AlertWasUnacknowledged(string AlertId, DateTimeOffset At, string By) : IAlertEvent;

    /// <summary>An alert was handed to the notifiers.</summary>
    public sealed record AlertNotified(string AlertId, DateTimeOffset At) : IAlertEvent;

    /// <summary>Retention dropped these alerts.</summary>
    public sealed record AlertsDropped(IReadOnlyList<string> AlertIds, DateTimeOffset At) : IAlertEvent;

    /// <summary>A silence was created.</summary>
    public sealed record SilenceAdded(Silence Silence) : IAlertEvent;

    /// <summary>A silence was ended by request.</summary>
    public sealed record SilenceEnded(string SilenceId, DateTimeOffset At, string By) : IAlertEvent;

    /// <summary>A maintenance window was created.</summary>
    public sealed record MaintenanceWindowAdded(MaintenanceWindow Window) : IAlertEvent;

    /// <summary>A maintenance window was deleted.</summary>
    public sealed record MaintenanceWindowRemoved(string WindowId, DateTimeOffset At, string By) : IAlertEvent;

    /// <summary>Retention dropped ended silences and deleted windows.</summary>
    public sealed record MutesDropped(IReadOnlyList<string> SilenceIds, IReadOnlyList<string> WindowIds) : IAlertEvent;

    /// <summary>
    /// A target left the registry: its open alerts were closed (by the events before this one) and observations for it are ignored
    /// until the registry lists it again.
    /// </summary>
    public sealed record TargetRetired(string TargetId, DateTimeOffset At) : IAlertEvent;

    /// <summary>Every retained alert, silence and window, the next id numbers, and the targets retired (null in snapshots written before retirement existed).</summary>
    public sealed record AlertBookSnapshot(
        IReadOnlyList<Alert> Alerts, long NextNumber, IReadOnlyList<Silence>? Silences = null, IReadOnlyList<MaintenanceWindow>? Windows = null,
        long NextMuteNumber = 1, IReadOnlyList<TargetRetired>? RetiredTargets = null) : IPersistedEvent;
}
