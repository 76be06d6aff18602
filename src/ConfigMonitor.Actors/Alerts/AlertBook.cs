using ConfigMonitor.Actors.Protocol;
using static ConfigMonitor.Actors.Alerts.AlertCommands;
using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// The AlertManager's state and rules, without an actor system. <c>Decide…</c> turn commands into events, <c>Apply</c> changes
/// the state. Whether a rule of a target is pending, firing or over is decided by that target's evaluation (<see cref="TargetAlerts"/>,
/// in its sharded entity, on the node that monitors it); the book follows its reports (<see cref="DecideReport"/>): it gives each
/// episode its alert id and keeps acknowledgements, silences, maintenance windows, inhibition (see <see cref="Inhibition"/>) and
/// groups, which decide whether an alert is notified, never whether it is listed. Observations sent here directly (a node of an
/// earlier build) are evaluated by an in-memory <see cref="TargetAlerts"/> per target (<see cref="Observe"/>).
/// </summary>
public sealed class AlertBook(AlertPolicy policy)
{
    /// <summary>The category/rule of the one alert a failing group raises.</summary>
    public const string GroupRule = "group_failing";

    private readonly Dictionary<string, Alert> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _openByFingerprint = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Silence> _silences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MaintenanceWindow> _windows = new(StringComparer.Ordinal);
    private Dictionary<string, string> _groupOfTarget = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, IReadOnlyList<string>> _groups = new(StringComparer.OrdinalIgnoreCase);
    // The latest episode (raised time) each fingerprint has had an alert for, so a report of an episode already recorded adds nothing.
    private readonly Dictionary<string, DateTimeOffset> _episodes = new(StringComparer.Ordinal);
    // Inhibition by cause: for an open answer-failure episode, whether its target's roots have judged it since it was raised (as its
    // target's evaluation reports), and the last resolution of each root.
    private readonly Dictionary<string, (DateTimeOffset RaisedAt, bool Service, bool Database)> _rootJudged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Id, DateTimeOffset At)> _rootResolved = new(StringComparer.Ordinal);
    // Evaluations of targets whose observations come here rather than to their entity (a node of an earlier build, or a test).
    private readonly Dictionary<string, TargetAlerts> _evaluations = new(StringComparer.OrdinalIgnoreCase);
    // Targets the registry removed (persisted as TargetRetired): observations for them are ignored, so a loop that stops late cannot
    // open an alert again. Each remembers the retirement count at which it was retired (see DecideRegistryRead).
    private readonly Dictionary<string, (DateTimeOffset At, long Sequence)> _retired = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy in force.</summary>
    public AlertPolicy Policy { get; } = policy;

    /// <summary>The number the next alert id gets.</summary>
    public long NextNumber { get; private set; } = 1;

    /// <summary>The number the next silence or maintenance window id gets.</summary>
    public long NextMuteNumber { get; private set; } = 1;

    /// <summary>How many retirements this book has applied (in memory; only compared within one incarnation).</summary>
    public long Retirements { get; private set; }

    /// <summary>Whether observations of this target are ignored because the registry removed it.</summary>
    public bool IsRetired(string targetId) => _retired.ContainsKey(targetId);

    // ---------------------------------------------------------------- queries

    /// <summary>Every retained alert with why it is not notified (if so), newest raised first.</summary>
    public IReadOnlyList<Alert> All(DateTimeOffset now) =>
        _byId.Values.OrderByDescending(a => a.RaisedAt).ThenByDescending(a => Number(a.Id)).Select(a => a with { SuppressedBy = SuppressionOf(a, now) }).ToList();

    /// <summary>Firing alerts and resolved ones not yet acknowledged, newest raised first.</summary>
    public IReadOnlyList<Alert> Active(DateTimeOffset now) => All(now).Where(a => a.IsActive).ToList();

    /// <summary>The alert with this id, if retained.</summary>
    public Alert? Find(string id, DateTimeOffset now) => _byId.TryGetValue(id, out var a) ? a with { SuppressedBy = SuppressionOf(a, now) } : null;

    /// <summary>The pending or firing alert of a fingerprint, if any.</summary>
    public Alert? OpenFor(string fingerprint) => _openByFingerprint.TryGetValue(fingerprint, out var id) ? _byId[id] : null;

    /// <summary>Silences, newest first; ended ones only when asked.</summary>
    public IReadOnlyList<Silence> Silences(bool includeExpired, DateTimeOffset now) =>
        _silences.Values.Where(s => includeExpired || !s.IsExpiredAt(now)).OrderByDescending(s => Number(s.Id)).ToList();

    /// <summary>Maintenance windows that are not deleted.</summary>
    public IReadOnlyList<MaintenanceWindow> Windows => _windows.Values.Where(w => w.DeletedAt is null).OrderBy(w => Number(w.Id)).ToList();

    /// <summary>Why an alert is not notified now: an open maintenance window, an active silence, an inhibiting alert, or its group alert.</summary>
    public string? SuppressionOf(Alert alert, DateTimeOffset now)
    {
        foreach (var window in _windows.Values)
            if (Matcher.All(window.Matchers, alert) && window.IsOpenAt(now)) return $"maintenance:{window.Id}";
        foreach (var silence in _silences.Values)
            if (silence.IsActiveAt(now) && Matcher.All(silence.Matchers, alert)) return $"silence:{silence.Id}";
        if (InhibitionOf(alert, now) is { } inhibited) return inhibited;
        if (alert.Group is { } group && !IsGroupAlert(alert) && OpenFor(GroupFingerprint(group)) is { State: AlertState.Firing } groupAlert)
            return $"grouped:{groupAlert.Id}";
        return null;
    }

    /// <summary>
    /// Why the cause of an alert holds it back: its target's firing root (<c>inhibited:alert-n</c>); a root that resolved while the
    /// alert has not been seen breaching since (<c>inhibited:alert-n</c>); or, for a new answer failure, a health judgement of its
    /// target still to come (<c>awaiting:health/service_health</c>, at most <see cref="AlertPolicy.RootCauseWait"/>).
    /// </summary>
    private string? InhibitionOf(Alert alert, DateTimeOffset now)
    {
        var byService = Inhibition.CoveredByServiceRoot(alert);
        var byDatabase = Inhibition.CoveredByDatabaseRoot(alert);
        if (!byService && !byDatabase) return null;
        var serviceRoot = Inhibition.ServiceRootOf(alert.TargetId);
        var databaseRoot = Inhibition.DatabaseRootOf(alert.TargetId);
        if (byService && OpenFor(serviceRoot) is { State: AlertState.Firing } service) return $"inhibited:{service.Id}";
        if (byDatabase && OpenFor(databaseRoot) is { State: AlertState.Firing } database) return $"inhibited:{database.Id}";
        if (alert.State != AlertState.Firing) return null;
        foreach (var root in byDatabase ? new[] { serviceRoot, databaseRoot } : new[] { serviceRoot })
            if (_rootResolved.TryGetValue(root, out var resolved) && alert.RaisedAt <= resolved.At && alert.LastSeenAt <= resolved.At)
                return $"inhibited:{resolved.Id}";
        if (!Inhibition.IsAnswerFailure(alert.Category, alert.Rule) || now - alert.RaisedAt >= Policy.RootCauseWait) return null;
        var judged = _rootJudged.TryGetValue(alert.Fingerprint, out var j) && j.RaisedAt == alert.RaisedAt ? (j.Service, j.Database) : (false, false);
        if (AwaitsJudgement(serviceRoot, judged.Item1)) return $"awaiting:{RuleOf(serviceRoot, alert.TargetId)}";
        if (byDatabase && AwaitsJudgement(databaseRoot, judged.Item2)) return $"awaiting:{RuleOf(databaseRoot, alert.TargetId)}";
        return null;
    }

    /// <summary>
    /// True while a root rule has not judged the alert's target since the alert was raised (a judgement received before may
    /// come from a probe that answered before the outage began), or while the root's alert is still pending. This holds too
    /// for a target whose roots have not reported yet (a node that just started or took over): its loops report within one interval.
    /// </summary>
    private bool AwaitsJudgement(string root, bool judgedSinceRaise) => OpenFor(root) is { State: AlertState.Pending } || !judgedSinceRaise;

    private static string RuleOf(string fingerprint, string targetId) => fingerprint[(targetId.Length + 1)..];

    /// <summary>Firing alerts to notify now: never notified (or newly unmuted), or due for a reminder; acknowledged ones are not reminded.</summary>
    public IReadOnlyList<Alert> DueNotifications(DateTimeOffset now) =>
        _byId.Values.Where(a => a.State == AlertState.Firing && SuppressionOf(a, now) is null
                && (a.LastNotifiedAt is null
                    || (!a.Acknowledged && Policy.RepeatInterval > TimeSpan.Zero && now - a.LastNotifiedAt.Value >= Policy.RepeatInterval)))
            .OrderBy(a => Number(a.Id)).ToList();

    /// <summary>Firing alerts that are not muted: what a receiver keeping state (Alertmanager) should see as firing.</summary>
    public IReadOnlyList<Alert> NotifiableFiring(DateTimeOffset now) =>
        _byId.Values.Where(a => a.State == AlertState.Firing && SuppressionOf(a, now) is null).OrderBy(a => Number(a.Id)).ToList();

    // ---------------------------------------------------------------- decisions

    /// <summary>
    /// What an observation sent here directly changes (a node of an earlier build sends its loops' observations to the AlertManager):
    /// the target's evaluation is kept here, in memory (its counters start again after a restart), and its report decided at once.
    /// </summary>
    public IReadOnlyList<IAlertEvent> Observe(Observation o)
    {
        // A loop of a removed target that stops late must not open an alert for a target that no longer exists.
        if (_retired.ContainsKey(o.TargetId)) return [];
        if (!_evaluations.TryGetValue(o.TargetId, out var evaluation))
        {
            // It carries on from the alerts already open (after a restart of the AlertManager, say), not from a quiet start.
            _evaluations[o.TargetId] = evaluation = new TargetAlerts(o.TargetId, Policy);
            foreach (var rule in OpenRulesOf(o.TargetId)) evaluation.Apply(new TargetAlertEvents.RuleRecorded(rule));
        }
        var (events, keys) = evaluation.Process(o);
        foreach (var e in events) evaluation.Apply(e);
        return evaluation.Report(keys) is { } report ? DecideReport(report, o.ObservedAt) : [];
    }

    /// <summary>
    /// What a target's report of its rules changes. An open episode the book has no alert for is raised (firing at once when it
    /// already fires); one it has moves on (fired, severity changed) and keeps its last-seen time and root judgements current
    /// (in memory); an episode that ended closes its alert (cancelled when it never fired, resolved otherwise), and one that fired
    /// and ended unheard is recorded as raised and resolved. An alert of an earlier episode of the same rule is closed first; in a
    /// full report, an open alert of the target whose rule is not listed is closed. Nothing for a retired target.
    /// </summary>
    public IReadOnlyList<IAlertEvent> DecideReport(TargetAlertReport report, DateTimeOffset now)
    {
        if (_retired.ContainsKey(report.TargetId) || IsGroupTarget(report.TargetId)) return [];
        var events = new List<IAlertEvent>();
        var number = NextNumber;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (rule, serviceJudged, databaseJudged) in report.Rules)
        {
            var fingerprint = AlertFingerprint.Of(report.TargetId, rule.Category, rule.Rule);
            listed.Add(fingerprint);
            var message = TextLimits.Bounded(rule.Message, TextLimits.AlertMessage);
            var open = OpenFor(fingerprint);
            if (open is not null && rule.RaisedAt is { } raised && open.RaisedAt != raised)
            {
                if (raised < open.RaisedAt) continue; // a report older than the alert it would change
                // An earlier episode whose end was not heard: a later one began (or ended) since.
                events.Add(Close(open, raised, "a later breach of the same rule replaced it"));
                open = null;
            }
            if (rule.IsOpen && rule.RaisedAt is { } raisedAt)
            {
                var lastSeen = rule.LastSeenAt ?? raisedAt;
                _rootJudged[fingerprint] = (raisedAt, serviceJudged, databaseJudged);
                if (open is null)
                {
                    var firing = rule.Phase == RulePhase.Firing;
                    events.Add(new AlertRaised(new Alert(FormatAlertId(number++), report.TargetId, rule.Category, rule.Rule, rule.Severity, message,
                        raisedAt, lastSeen, null, false, null, null, firing ? AlertState.Firing : AlertState.Pending,
                        firing ? rule.FiredAt ?? lastSeen : null, Group: GroupOf(report.TargetId))));
                    continue;
                }
                if (lastSeen > open.LastSeenAt) _byId[open.Id] = open = open with { LastSeenAt = lastSeen };
                if (open.Severity != rule.Severity) events.Add(new AlertSeverityChanged(open.Id, rule.Severity, message, lastSeen));
                if (open.State == AlertState.Pending && rule.Phase == RulePhase.Firing) events.Add(new AlertFired(open.Id, rule.FiredAt ?? lastSeen));
                continue;
            }
            var endedAt = rule.EndedAt ?? now;
            var endMessage = TextLimits.Bounded(rule.EndMessage ?? "", TextLimits.AlertMessage);
            if (open is not null)
            {
                if (rule.FiredAt is { } firedAt && open.State == AlertState.Pending) events.Add(new AlertFired(open.Id, firedAt));
                events.Add(rule.FiredAt is null && open.State == AlertState.Pending
                    ? new AlertCancelled(open.Id, endedAt)
                    : new AlertResolved(open.Id, endedAt, endMessage));
            }
            else if (rule is { FiredAt: { } fired, RaisedAt: { } episode } && !(_episodes.TryGetValue(fingerprint, out var known) && known >= episode))
            {
                // It fired and ended while this book did not hear (the AlertManager was moving): kept, resolved, as history.
                var id = FormatAlertId(number++);
                events.Add(new AlertRaised(new Alert(id, report.TargetId, rule.Category, rule.Rule, rule.Severity, message, episode,
                    rule.LastSeenAt ?? fired, null, false, null, null, AlertState.Firing, fired, Group: GroupOf(report.TargetId))));
                events.Add(new AlertResolved(id, endedAt, endMessage));
            }
        }
        // A target's first report (its evaluation has nothing stored: a new target, or one evaluated here by an earlier build)
        // leaves its other open alerts to be adopted (see OpenRulesOf); a later full report closes them.
        if (report is { Full: true, Fresh: false })
            foreach (var alert in OpenAlertsOf(report.TargetId).Where(a => !listed.Contains(a.Fingerprint)))
                events.Add(Close(alert, now, "its target's evaluation no longer holds it"));
        return events;
    }

    /// <summary>
    /// The open alerts of a target as its evaluation's rules (pending or firing, from when they were raised), except the rules
    /// listed in <paramref name="except"/>: what a target's evaluation that has nothing stored adopts, so alerts open before
    /// evaluation moved to the target's entity carry on instead of resolving and paging again.
    /// </summary>
    public IReadOnlyList<RuleRecord> OpenRulesOf(string targetId, TargetAlertReport? except = null)
    {
        var listed = except?.Rules.Select(r => r.Rule.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        return OpenAlertsOf(targetId).Where(a => !listed.Contains(TargetAlerts.KeyOf(a.Category, a.Rule)))
            .Select(a => new RuleRecord(a.Category, a.Rule, a.State == AlertState.Firing ? RulePhase.Firing : RulePhase.Pending, 1, 0,
                a.Severity, a.Message, a.RaisedAt, a.FiredAt, a.LastSeenAt))
            .ToList();
    }

    private static IAlertEvent Close(Alert alert, DateTimeOffset at, string why) =>
        alert.State == AlertState.Pending ? new AlertCancelled(alert.Id, at) : new AlertResolved(alert.Id, at, why);

    /// <summary>Group alerts: one alert when at least <see cref="AlertPolicy.GroupMinFailing"/> members of a group are firing.</summary>
    public IReadOnlyList<IAlertEvent> DecideGroup(string group, DateTimeOffset now)
    {
        if (!_groups.TryGetValue(group, out var members) || members.Count < 2) return [];
        var firing = _byId.Values.Where(a => a.State == AlertState.Firing && !IsGroupAlert(a)
                && members.Contains(a.TargetId, StringComparer.OrdinalIgnoreCase)).ToList();
        var failingTargets = firing.Select(a => a.TargetId).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var open = OpenFor(GroupFingerprint(group));
        if (failingTargets.Count >= Math.Max(2, Policy.GroupMinFailing))
        {
            var severity = firing.Max(a => a.Severity);
            var message = TextLimits.Bounded(
                $"{failingTargets.Count} of {members.Count} targets in group '{group}' are failing: {string.Join(", ", failingTargets)}", TextLimits.AlertMessage);
            if (open is null)
                return [new AlertRaised(new Alert(FormatAlertId(NextNumber), GroupTarget(group), AlertCategory.Health, GroupRule, severity, message,
                    now, now, null, false, null, null, AlertState.Firing, now, Group: group))];
            return open.Message != message || open.Severity != severity ? [new AlertSeverityChanged(open.Id, severity, message, now)] : [];
        }
        return open is null ? [] : [new AlertResolved(open.Id, now, $"{failingTargets.Count} of {members.Count} targets in group '{group}' failing")];
    }

    /// <summary>
    /// The registry removed <paramref name="targetId"/>: its pending alerts are cancelled, its firing ones resolved saying so, and it
    /// is retired (observations for it are ignored). Nothing when it is already retired with nothing open; group alerts are never touched.
    /// </summary>
    public IReadOnlyList<IAlertEvent> DecideTargetRemoved(string targetId, DateTimeOffset now)
    {
        var events = new List<IAlertEvent>();
        foreach (var alert in OpenAlertsOf(targetId))
            events.Add(alert.State == AlertState.Pending
                ? new AlertCancelled(alert.Id, now)
                : new AlertResolved(alert.Id, now, $"target '{alert.TargetId}' was removed from the registry; its monitoring stopped"));
        if (!_retired.ContainsKey(targetId) && !IsGroupTarget(targetId)) events.Add(new TargetRetired(targetId, now));
        return events;
    }

    /// <summary>
    /// What a completed read of the registry means (a removal the registry's own message did not deliver): open alerts of targets
    /// not listed are closed as in <see cref="DecideTargetRemoved"/>, but only alerts numbered below <paramref name="nextNumberAtStart"/>
    /// (raised before the read began, so a target registered during the read keeps its new alerts), and only when none of the
    /// target's open alerts was seen breaching for <paramref name="quietFor"/> (the loops of a removed target have stopped; a target
    /// still reporting is left alone).
    /// As a side effect, targets listed again are no longer retired, unless retired after the read began (the read may have seen
    /// them before their removal). Group alerts' pseudo-targets are never closed.
    /// </summary>
    public IReadOnlyList<IAlertEvent> DecideRegistryRead(IReadOnlyCollection<string> registeredIds, long nextNumberAtStart, long retirementsAtStart,
        TimeSpan quietFor, DateTimeOffset now)
    {
        var registered = new HashSet<string>(registeredIds, StringComparer.OrdinalIgnoreCase);
        foreach (var (targetId, retired) in _retired.ToList())
            if (registered.Contains(targetId) && retired.Sequence <= retirementsAtStart) _retired.Remove(targetId);
        var gone = _openByFingerprint.Values.Select(id => _byId[id])
            .Where(a => !IsGroupAlert(a) && !registered.Contains(a.TargetId))
            .GroupBy(a => a.TargetId, StringComparer.OrdinalIgnoreCase)
            .Where(target => target.All(a => Number(a.Id) < nextNumberAtStart && now - a.LastSeenAt >= quietFor))
            .Select(target => target.Key).Order(StringComparer.Ordinal).ToList();
        return gone.SelectMany(t => DecideTargetRemoved(t, now)).ToList();
    }

    private IEnumerable<Alert> OpenAlertsOf(string targetId) =>
        _openByFingerprint.Values.Select(id => _byId[id])
            .Where(a => !IsGroupAlert(a) && string.Equals(a.TargetId, targetId, StringComparison.OrdinalIgnoreCase))
            .OrderBy(a => Number(a.Id)).ToList();

    /// <summary>Acknowledgement: an event, nothing when already acknowledged, or null when the id is unknown.</summary>
    public IReadOnlyList<IAlertEvent>? DecideAcknowledge(string alertId, string by, string? comment, DateTimeOffset now)
    {
        if (!_byId.TryGetValue(alertId, out var alert)) return null;
        return alert.Acknowledged ? [] : [new AlertWasAcknowledged(alertId, now, by, comment)];
    }

    /// <summary>Taking an acknowledgement back: an event, nothing when not acknowledged, or null when the id is unknown.</summary>
    public IReadOnlyList<IAlertEvent>? DecideUnacknowledge(string alertId, string by, DateTimeOffset now)
    {
        if (!_byId.TryGetValue(alertId, out var alert)) return null;
        return alert.Acknowledged ? [new AlertWasUnacknowledged(alertId, now, by)] : [];
    }

    /// <summary>A new silence, or the problems that stop it.</summary>
    public (IAlertEvent? Event, IReadOnlyList<string> Problems) DecideSilence(CreateSilence cmd, DateTimeOffset now)
    {
        var silence = new Silence(FormatMuteId("silence", NextMuteNumber), cmd.Matchers, cmd.StartsAt ?? now, cmd.EndsAt, cmd.CreatedBy, cmd.Comment);
        var problems = silence.Problems().ToList();
        if (cmd.EndsAt <= now) problems.Add($"a silence must end in the future (ends {cmd.EndsAt:u})");
        return problems.Count > 0 ? (null, problems) : (new SilenceAdded(silence), []);
    }

    /// <summary>Ending a silence: an event, nothing when it already ended, or null when the id is unknown.</summary>
    public IReadOnlyList<IAlertEvent>? DecideExpireSilence(string silenceId, string by, DateTimeOffset now)
    {
        if (!_silences.TryGetValue(silenceId, out var silence)) return null;
        return silence.IsExpiredAt(now) ? [] : [new SilenceEnded(silenceId, now, by)];
    }

    /// <summary>A new maintenance window, or the problems that stop it.</summary>
    public (IAlertEvent? Event, IReadOnlyList<string> Problems) DecideMaintenanceWindow(CreateMaintenanceWindow cmd)
    {
        var window = new MaintenanceWindow(FormatMuteId("maintenance", NextMuteNumber), cmd.Name, cmd.Matchers, cmd.StartsAt, cmd.EndsAt,
            cmd.Recurrence, cmd.CreatedBy);
        var problems = window.Problems();
        return problems.Count > 0 ? (null, problems) : (new MaintenanceWindowAdded(window), []);
    }

    /// <summary>Deleting a window: an event, or null when the id is unknown (or already deleted).</summary>
    public IReadOnlyList<IAlertEvent>? DecideDeleteWindow(string windowId, string by, DateTimeOffset now) =>
        _windows.TryGetValue(windowId, out var w) && w.DeletedAt is null ? [new MaintenanceWindowRemoved(windowId, now, by)] : null;

    /// <summary>Retention: acknowledged alerts resolved before the cutoff go (unacknowledged or open ones stay); so do silences and windows that ended before it.</summary>
    public IReadOnlyList<IAlertEvent> DecidePrune(DateTimeOffset cutoff, DateTimeOffset now)
    {
        var events = new List<IAlertEvent>();
        var ids = _byId.Values.Where(a => a.Acknowledged && a.State == AlertState.Resolved && a.ResolvedAt < cutoff)
            .Select(a => a.Id).OrderBy(Number).ToList();
        if (ids.Count > 0) events.Add(new AlertsDropped(ids, now));
        var silences = _silences.Values.Where(s => (s.ExpiredAt ?? s.EndsAt) < cutoff).Select(s => s.Id).ToList();
        var windows = _windows.Values.Where(w => (w.DeletedAt ?? (w.Recurrence is null ? w.EndsAt : w.EndsAt ?? DateTimeOffset.MaxValue)) < cutoff)
            .Select(w => w.Id).ToList();
        if (silences.Count + windows.Count > 0) events.Add(new MutesDropped(silences, windows));
        return events;
    }

    // ---------------------------------------------------------------- state

    /// <summary>Replaces the group membership (derived from the target registry, not persisted here).</summary>
    public void SetGroups(IReadOnlyDictionary<string, IReadOnlyList<string>> groups)
    {
        _groups = new Dictionary<string, IReadOnlyList<string>>(groups, StringComparer.OrdinalIgnoreCase);
        _groupOfTarget = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (group, members) in groups)
            foreach (var member in members) _groupOfTarget[member] = group;
        // Only alerts whose target moved to another group change (the registry is read every 30 s, mostly unchanged).
        foreach (var (id, alert) in _byId.ToList())
            if (!IsGroupAlert(alert) && !string.Equals(alert.Group, GroupOf(alert.TargetId), StringComparison.Ordinal))
                _byId[id] = alert with { Group = GroupOf(alert.TargetId) };
    }

    /// <summary>The names of the known groups.</summary>
    public IReadOnlyList<string> GroupNames() => _groups.Keys.ToList();

    /// <summary>The group of a target, if any.</summary>
    public string? GroupOf(string targetId) => _groupOfTarget.GetValueOrDefault(targetId);

    /// <summary>Applies an event; returns the changes to publish.</summary>
    public IReadOnlyList<AlertChanged> Apply(IAlertEvent e)
    {
        switch (e)
        {
            case AlertRaised raised:
                _byId[raised.Alert.Id] = raised.Alert;
                _openByFingerprint[raised.Alert.Fingerprint] = raised.Alert.Id;
                NoteEpisode(raised.Alert);
                NextNumber = Math.Max(NextNumber, Number(raised.Alert.Id) + 1);
                return [new AlertChanged(AlertChangeKind.Raised, raised.Alert)];
            case AlertFired fired when _byId.TryGetValue(fired.AlertId, out var a):
                return [Put(AlertChangeKind.Fired, a with { State = AlertState.Firing, FiredAt = fired.At, LastSeenAt = Later(a.LastSeenAt, fired.At) })];
            case AlertCancelled cancelled when _byId.Remove(cancelled.AlertId, out var a):
                _openByFingerprint.Remove(a.Fingerprint);
                _rootJudged.Remove(a.Fingerprint);
                return [new AlertChanged(AlertChangeKind.Cancelled, a with { LastSeenAt = Later(a.LastSeenAt, cancelled.At) })];
            case AlertSeverityChanged changed when _byId.TryGetValue(changed.AlertId, out var a):
                return [Put(AlertChangeKind.SeverityChanged, a with { Severity = changed.Severity, Message = changed.Message, LastSeenAt = Later(a.LastSeenAt, changed.At) })];
            case AlertResolved resolved when _byId.TryGetValue(resolved.AlertId, out var a):
                _openByFingerprint.Remove(a.Fingerprint);
                _rootJudged.Remove(a.Fingerprint);
                NoteRootResolved(a.Id, a.Fingerprint, a.Category, a.Rule, resolved.At);
                return [Put(AlertChangeKind.Resolved, a with { State = AlertState.Resolved, ResolvedAt = resolved.At, Message = TextLimits.Bounded($"{a.Message} — resolved: {resolved.Message}", 2 * TextLimits.AlertMessage) })];
            case AlertWasAcknowledged ack when _byId.TryGetValue(ack.AlertId, out var a):
                return [Put(AlertChangeKind.Acknowledged, a with { Acknowledged = true, AcknowledgedAt = ack.At, AcknowledgedBy = ack.By, AcknowledgeComment = ack.Comment })];
            case AlertWasUnacknowledged unack when _byId.TryGetValue(unack.AlertId, out var a):
                return [Put(AlertChangeKind.Unacknowledged, a with { Acknowledged = false, AcknowledgedAt = null, AcknowledgedBy = null, AcknowledgeComment = null })];
            case AlertNotified notified when _byId.TryGetValue(notified.AlertId, out var a):
                return [Put(AlertChangeKind.Notified, a with { LastNotifiedAt = notified.At })];
            case AlertsDropped dropped:
                var changes = new List<AlertChanged>();
                foreach (var id in dropped.AlertIds)
                    if (_byId.Remove(id, out var gone))
                    {
                        if (_openByFingerprint.TryGetValue(gone.Fingerprint, out var openId) && openId == id) _openByFingerprint.Remove(gone.Fingerprint);
                        changes.Add(new AlertChanged(AlertChangeKind.Dropped, gone));
                    }
                return changes;
            case SilenceAdded added:
                _silences[added.Silence.Id] = added.Silence;
                NextMuteNumber = Math.Max(NextMuteNumber, Number(added.Silence.Id) + 1);
                return [];
            case SilenceEnded ended when _silences.TryGetValue(ended.SilenceId, out var s):
                _silences[s.Id] = s with { ExpiredAt = ended.At };
                return [];
            case MaintenanceWindowAdded added:
                _windows[added.Window.Id] = added.Window;
                NextMuteNumber = Math.Max(NextMuteNumber, Number(added.Window.Id) + 1);
                return [];
            case MaintenanceWindowRemoved removed when _windows.TryGetValue(removed.WindowId, out var w):
                _windows[w.Id] = w with { DeletedAt = removed.At };
                return [];
            case TargetRetired retired:
                _retired[retired.TargetId] = (retired.At, ++Retirements);
                _evaluations.Remove(retired.TargetId);
                return [];
            case MutesDropped mutes:
                foreach (var id in mutes.SilenceIds) _silences.Remove(id);
                foreach (var id in mutes.WindowIds) _windows.Remove(id);
                return [];
            default:
                return [];
        }
    }

    /// <summary>The state as a snapshot.</summary>
    public AlertBookSnapshot ToSnapshot() => new(
        _byId.Values.OrderBy(a => Number(a.Id)).Select(a => a with { SuppressedBy = null }).ToList(), NextNumber,
        _silences.Values.OrderBy(s => Number(s.Id)).ToList(), _windows.Values.OrderBy(w => Number(w.Id)).ToList(), NextMuteNumber,
        _retired.OrderBy(r => r.Value.Sequence).Select(r => new TargetRetired(r.Key, r.Value.At)).ToList());

    /// <summary>Restores the state from a snapshot.</summary>
    public void Restore(AlertBookSnapshot snapshot)
    {
        _byId.Clear();
        _openByFingerprint.Clear();
        _silences.Clear();
        _windows.Clear();
        _episodes.Clear();
        _rootJudged.Clear();
        _rootResolved.Clear();
        _retired.Clear();
        foreach (var retired in snapshot.RetiredTargets ?? []) _retired[retired.TargetId] = (retired.At, ++Retirements);
        foreach (var alert in snapshot.Alerts)
        {
            _byId[alert.Id] = alert;
            NoteEpisode(alert);
            if (alert.IsOpen) _openByFingerprint[alert.Fingerprint] = alert.Id;
            else if (alert.ResolvedAt is { } at) NoteRootResolved(alert.Id, alert.Fingerprint, alert.Category, alert.Rule, at);
        }
        foreach (var silence in snapshot.Silences ?? []) _silences[silence.Id] = silence;
        foreach (var window in snapshot.Windows ?? []) _windows[window.Id] = window;
        NextNumber = snapshot.NextNumber;
        NextMuteNumber = snapshot.NextMuteNumber;
    }

    /// <summary>The target id a group alert carries.</summary>
    public static string GroupTarget(string group) => $"group:{group}";

    /// <summary>The fingerprint of a group's alert.</summary>
    public static string GroupFingerprint(string group) => AlertFingerprint.Of(GroupTarget(group), AlertCategory.Health, GroupRule);

    private void NoteEpisode(Alert alert)
    {
        if (!_episodes.TryGetValue(alert.Fingerprint, out var known) || known < alert.RaisedAt) _episodes[alert.Fingerprint] = alert.RaisedAt;
    }

    private void NoteRootResolved(string id, string fingerprint, AlertCategory category, string rule, DateTimeOffset at)
    {
        if (!Inhibition.IsServiceRoot(category, rule) && !Inhibition.IsDatabaseRoot(category, rule)) return;
        if (!_rootResolved.TryGetValue(fingerprint, out var known) || known.At <= at) _rootResolved[fingerprint] = (id, at);
    }

    private static bool IsGroupAlert(Alert a) => a.Rule == GroupRule && IsGroupTarget(a.TargetId);

    private static bool IsGroupTarget(string targetId) => targetId.StartsWith("group:", StringComparison.Ordinal);

    private AlertChanged Put(AlertChangeKind kind, Alert alert)
    {
        _byId[alert.Id] = alert;
        return new AlertChanged(kind, alert);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string FormatAlertId(long number) => $"alert-{number}";

    private static string FormatMuteId(string kind, long number) => $"{kind}-{number}";

    private static long Number(string id) => long.TryParse(id.AsSpan(id.LastIndexOf('-') + 1), out var n) ? n : 0;
}
