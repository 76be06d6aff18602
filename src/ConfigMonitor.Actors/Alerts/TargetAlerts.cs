using ConfigMonitor.Actors.Protocol;
using static ConfigMonitor.Actors.Alerts.TargetAlertEvents;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>Where one rule of one target is: quiet (no breach going on), pending (breaching, not yet met its rule) or firing.</summary>
public enum RulePhase
{
    /// <summary>No breach going on; the last episode, if any, has ended.</summary>
    Quiet,
    /// <summary>Breaching, but the rule's failure threshold (or its <c>for</c>) is not met yet.</summary>
    Pending,
    /// <summary>Breaching and past its rule: the alert fires.</summary>
    Firing,
}

/// <summary>
/// The stored state of one rule of one target (the storage format of <see cref="TargetAlerts"/>, not an API view): its phase,
/// its consecutive breaches (while pending) or good results (while firing), each saturating at its rule's threshold, and its
/// current or last episode: when it was raised, fired and ended, with the message it ended with.
/// </summary>
public sealed record RuleRecord(
    AlertCategory Category,
    string Rule,
    RulePhase Phase,
    int Breaches,
    int Goods,
    AlertSeverity Severity,
    string Message,
    DateTimeOffset? RaisedAt = null,
    DateTimeOffset? FiredAt = null,
    DateTimeOffset? LastSeenAt = null,
    DateTimeOffset? EndedAt = null,
    string? EndMessage = null)
{
    /// <summary>category/rule: the rule's key within its target.</summary>
    public string Key => TargetAlerts.KeyOf(Category, Rule);

    /// <summary>Pending or firing.</summary>
    public bool IsOpen => Phase != RulePhase.Quiet;
}

/// <summary>One rule as a target's evaluation reports it to the AlertManager, with whether its target's roots judged it since it was raised.</summary>
public sealed record RuleReport(RuleRecord Rule, bool ServiceRootJudged = false, bool DatabaseRootJudged = false);

/// <summary>
/// What changed in a target's alert evaluation (or, when <paramref name="Full"/>, every rule it holds: an open alert of the
/// target that is not listed is over). Sent by the target's entity to the AlertManager, again until it answers with
/// <see cref="TargetAlertReportReceived"/> for this <paramref name="Version"/> or a later one. Reports carry state, not steps,
/// so a repeated or merged report changes nothing twice. <paramref name="Fresh"/>: a full report of an evaluation that has
/// nothing stored, which adopts the target's open alerts it does not list instead of closing them.
/// </summary>
public sealed record TargetAlertReport(string TargetId, long Version, bool Full, IReadOnlyList<RuleReport> Rules, bool Fresh = false)
    : IConfigMonitorMessage, IWithTargetId;

/// <summary>
/// The AlertManager has applied the reports of this target up to <paramref name="Version"/>; to a fresh report it adds the
/// target's open alerts as rules to adopt (<paramref name="Adopt"/>).
/// </summary>
public sealed record TargetAlertReportReceived(string TargetId, long Version, IReadOnlyList<RuleRecord>? Adopt = null) : IConfigMonitorMessage;

/// <summary>The target was removed: its entity forgets its rules (a target registered again under its id starts quiet).</summary>
public sealed record ForgetTargetAlerts(string TargetId) : IConfigMonitorMessage, IWithTargetId;

/// <summary>Events and snapshots of a target's alert evaluation (the storage format).</summary>
public static class TargetAlertEvents
{
    /// <summary>Marker for a target's alert-evaluation events.</summary>
    public interface ITargetAlertEvent : IPersistedEvent;

    /// <summary>A rule's state changed (a breach began, fired, changed severity or ended, or a counter moved towards its threshold).</summary>
    public sealed record RuleRecorded(RuleRecord Rule) : ITargetAlertEvent;

    /// <summary>The target was removed: every rule is forgotten.</summary>
    public sealed record RulesCleared(DateTimeOffset At) : ITargetAlertEvent;

    /// <summary>Every rule of the target.</summary>
    public sealed record TargetAlertsSnapshot(IReadOnlyList<RuleRecord> Rules) : IPersistedEvent;
}

/// <summary>
/// One target's alert evaluation, without an actor system: <see cref="Process"/> turns an observation into events,
/// <see cref="Apply"/> changes the state. Per rule a breach goes pending → firing under its <see cref="AlertRule"/> and ends
/// (cancelled while pending, resolved once firing) after enough good results. Counters saturate at their thresholds, so a
/// healthy target (or one that keeps failing the same way) records nothing; only a change of phase, severity or counter is an event.
/// Besides the stored state it keeps, in memory, what the AlertManager needs but need not be stored: when each open rule was
/// last seen breaching, and whether the target's root rules judged it since it was raised (for inhibition); and which rules
/// the AlertManager has not yet confirmed, so they are reported again until it does.
/// </summary>
public sealed class TargetAlerts(string targetId, AlertPolicy policy)
{
    /// <summary>How stale an open rule's last-seen time may get at the AlertManager before a breach reports it again.</summary>
    public static readonly TimeSpan SeenRefresh = TimeSpan.FromSeconds(20);

    private readonly Dictionary<string, RuleRecord> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _seenReported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (bool Service, bool Database)> _judged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _unconfirmed = new(StringComparer.Ordinal);
    private DateTimeOffset _rootEndedAt = DateTimeOffset.MinValue;
    private long _fullVersion = -1;
    private bool _fresh;

    /// <summary>The target.</summary>
    public string TargetId { get; } = targetId;

    /// <summary>The number the last report carried.</summary>
    public long Version { get; private set; }

    /// <summary>Every rule held, in key order.</summary>
    public IReadOnlyList<RuleRecord> Rules => _rules.Values.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();

    /// <summary>The rule of a key, if held.</summary>
    public RuleRecord? RuleOf(string key) => _rules.GetValueOrDefault(key);

    /// <summary>Whether a report is waiting for the AlertManager's confirmation.</summary>
    public bool HasUnconfirmed => _unconfirmed.Count > 0 || _fullVersion >= 0;

    /// <summary>The key of a rule within its target.</summary>
    public static string KeyOf(AlertCategory category, string rule) => $"{AlertNames.Category(category)}/{rule}";

    // ---------------------------------------------------------------- decisions

    /// <summary>
    /// What an observation of this target changes: the events to store, and the rules to report once they are stored (those
    /// events' rules, plus rules whose in-memory facts changed: a root judged them, or their last-seen time went stale).
    /// </summary>
    public (IReadOnlyList<ITargetAlertEvent> Events, IReadOnlyList<string> Report) Process(Observation o)
    {
        // Its message rides in every report, list, notification and log line.
        if (o.Message.Length > TextLimits.AlertMessage) o = o with { Message = TextLimits.Bounded(o.Message, TextLimits.AlertMessage) };
        var key = KeyOf(o.Category, o.Rule);
        var report = new List<string>();
        JudgeFromRoot(o, report);
        var rule = policy.RuleFor(o.Category, o.Rule, o.Severity);
        var at = o.ObservedAt;
        var current = _rules.GetValueOrDefault(key);
        RuleRecord? next = null;
        if (o.Breached)
        {
            switch (current?.Phase ?? RulePhase.Quiet)
            {
                case RulePhase.Quiet:
                    var firesAtOnce = rule.Fires(1, at, at);
                    next = new RuleRecord(o.Category, o.Rule, firesAtOnce ? RulePhase.Firing : RulePhase.Pending, 1, 0, o.Severity, o.Message,
                        at, firesAtOnce ? at : null, at);
                    break;
                case RulePhase.Pending:
                    var breaches = Math.Min(current!.Breaches + 1, Math.Max(1, rule.FailureThreshold));
                    if (rule.Fires(current.Breaches + 1, current.RaisedAt ?? at, at))
                        next = WithSeverity(current, o) with { Phase = RulePhase.Firing, Breaches = breaches, FiredAt = at, LastSeenAt = at };
                    else if (breaches != current.Breaches || current.Severity != o.Severity)
                        next = WithSeverity(current, o) with { Breaches = breaches, LastSeenAt = at };
                    break;
                case RulePhase.Firing:
                    if (current!.Goods != 0 || current.Severity != o.Severity)
                        next = WithSeverity(current, o) with { Goods = 0, LastSeenAt = at };
                    break;
            }
            if (!_seen.TryGetValue(key, out var seen) || seen < at) _seen[key] = at;
            if (next is null && current is { IsOpen: true } && SeenIsStale(key, at)) report.Add(key);
        }
        else if (current is { Phase: RulePhase.Pending })
            next = current with { Phase = RulePhase.Quiet, Breaches = 0, Goods = 0, EndedAt = at, EndMessage = o.Message };
        else if (current is { Phase: RulePhase.Firing })
        {
            var goods = current.Goods + 1;
            next = goods >= Math.Max(1, rule.SuccessThreshold)
                ? current with { Phase = RulePhase.Quiet, Breaches = 0, Goods = 0, EndedAt = at, EndMessage = o.Message }
                : current with { Goods = goods };
        }
        if (next is null) return ([], report);
        if (!report.Contains(key)) report.Add(key);
        return ([new RuleRecorded(next)], report);
    }

    /// <summary>
    /// Rules to adopt from the AlertManager's open alerts (answer to a fresh report): those this evaluation holds nothing open for.
    /// </summary>
    public IReadOnlyList<ITargetAlertEvent> DecideAdopt(IReadOnlyList<RuleRecord> rules) =>
        rules.Where(r => r.IsOpen && _rules.GetValueOrDefault(r.Key) is not { IsOpen: true })
            .Select(r => (ITargetAlertEvent)new RuleRecorded(r)).ToList();

    /// <summary>Forgetting every rule (the target was removed): an event, or none when nothing is held.</summary>
    public IReadOnlyList<ITargetAlertEvent> DecideForget(DateTimeOffset now) => _rules.Count == 0 ? [] : [new RulesCleared(now)];

    // A root rule's observation judges the target: every open "does not answer" rule it covers, raised less than the root-cause wait
    // ago and not yet judged since, learns it (the AlertManager holds its first page until then).
    private void JudgeFromRoot(Observation o, List<string> report)
    {
        var service = Inhibition.IsServiceRoot(o.Category, o.Rule);
        var database = Inhibition.IsDatabaseRoot(o.Category, o.Rule);
        if (!service && !database) return;
        foreach (var (key, judged) in _judged.ToList())
        {
            if (_rules.GetValueOrDefault(key) is not { IsOpen: true } open || o.ObservedAt - open.RaisedAt >= policy.RootCauseWait) continue;
            var next = (Service: judged.Service || service, Database: judged.Database || (database && Inhibition.CoveredByDatabaseRoot(open.Category)));
            if (next == judged) continue;
            _judged[key] = next;
            report.Add(key);
        }
    }

    private bool SeenIsStale(string key, DateTimeOffset at) =>
        !_seenReported.TryGetValue(key, out var reported) || at - reported >= SeenRefresh || (reported <= _rootEndedAt && at > _rootEndedAt);

    private static RuleRecord WithSeverity(RuleRecord r, Observation o) =>
        r.Severity == o.Severity ? r : r with { Severity = o.Severity, Message = o.Message };

    // ---------------------------------------------------------------- state

    /// <summary>Applies a stored event.</summary>
    public void Apply(ITargetAlertEvent e)
    {
        switch (e)
        {
            case RuleRecorded { Rule: var rule }:
                var key = rule.Key;
                var before = _rules.GetValueOrDefault(key);
                _rules[key] = rule;
                if (rule.IsOpen && before?.RaisedAt != rule.RaisedAt)
                {
                    _seen.Remove(key);
                    _seenReported.Remove(key);
                    if (Inhibition.IsAnswerFailure(rule.Category, rule.Rule)) _judged[key] = (false, false);
                }
                if (!rule.IsOpen)
                {
                    _judged.Remove(key);
                    _seen.Remove(key);
                    if (before is { IsOpen: true } && rule.EndedAt is { } ended
                        && (Inhibition.IsServiceRoot(rule.Category, rule.Rule) || Inhibition.IsDatabaseRoot(rule.Category, rule.Rule))
                        && ended > _rootEndedAt)
                        _rootEndedAt = ended;
                }
                break;
            case RulesCleared:
                _rules.Clear();
                _seen.Clear();
                _seenReported.Clear();
                _judged.Clear();
                break;
        }
    }

    /// <summary>The state as a snapshot.</summary>
    public TargetAlertsSnapshot ToSnapshot() => new(Rules);

    /// <summary>Restores the state from a snapshot.</summary>
    public void Restore(TargetAlertsSnapshot snapshot)
    {
        _rules.Clear();
        foreach (var rule in snapshot.Rules) _rules[rule.Key] = rule;
    }

    // ---------------------------------------------------------------- reports

    /// <summary>
    /// A report of these rules under a new version (null when none is held), remembered until confirmed. It carries every rule
    /// still unconfirmed too (and is full while a full report is unconfirmed), so confirming a version confirms exactly what was sent.
    /// </summary>
    public TargetAlertReport? Report(IReadOnlyCollection<string> keys)
    {
        var rules = keys.Distinct(StringComparer.Ordinal).Where(_rules.ContainsKey).ToList();
        if (rules.Count == 0) return null;
        Version++;
        foreach (var key in rules) _unconfirmed[key] = Version;
        if (_fullVersion < 0) return Build(_unconfirmed.Keys.ToList(), full: false);
        _fullVersion = Version;
        return Build(_rules.Keys.ToList(), full: true);
    }

    /// <summary>
    /// A full report (every rule held; an open alert of the target not listed is over, unless <paramref name="fresh"/>: nothing was
    /// stored, and the AlertManager answers with the open alerts to adopt) under a new version, remembered until confirmed.
    /// </summary>
    public TargetAlertReport FullReport(bool fresh)
    {
        Version++;
        _fullVersion = Version;
        _fresh = fresh;
        _unconfirmed.Clear();
        return Build(_rules.Keys.ToList(), full: true);
    }

    /// <summary>What is still unconfirmed, reported again under the current version; null when everything is confirmed.</summary>
    public TargetAlertReport? Unconfirmed()
    {
        if (_fullVersion >= 0) return Build(_rules.Keys.ToList(), full: true);
        return _unconfirmed.Count == 0 ? null : Build(_unconfirmed.Keys.ToList(), full: false);
    }

    /// <summary>The AlertManager applied the reports up to <paramref name="version"/>.</summary>
    public void Confirm(long version)
    {
        if (_fullVersion >= 0 && _fullVersion <= version)
        {
            _fullVersion = -1;
            _fresh = false;
        }
        foreach (var (key, v) in _unconfirmed.ToList())
            if (v <= version) _unconfirmed.Remove(key);
    }

    private TargetAlertReport Build(IReadOnlyList<string> keys, bool full)
    {
        var rules = new List<RuleReport>(keys.Count);
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            var rule = _rules[key];
            if (rule.IsOpen && _seen.TryGetValue(key, out var seen) && (rule.LastSeenAt is null || seen > rule.LastSeenAt))
                rule = rule with { LastSeenAt = seen };
            if (rule.IsOpen && rule.LastSeenAt is { } reported) _seenReported[key] = reported;
            var judged = _judged.GetValueOrDefault(key);
            rules.Add(new RuleReport(rule, judged.Service, judged.Database));
        }
        return new TargetAlertReport(TargetId, Version, full, rules, full && _fresh);
    }
}
