using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Alerts.AlertCommands;
using static ConfigMonitor.Actors.Alerts.AlertEvents;
using static ConfigMonitor.Actors.Alerts.AlertQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>The AlertManager's policy and timing.</summary>
public sealed record AlertManagerSettings
{
    /// <summary>Rule thresholds, reminders and groups.</summary>
    public AlertPolicy Policy { get; init; } = new();

    /// <summary>How often due notifications (reminders, newly unmuted alerts) are looked for.</summary>
    public TimeSpan NotifyCheckInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often firing alerts are re-sent to receivers that keep state (below Alertmanager's 5 m resolve timeout).</summary>
    public TimeSpan ReceiverRefreshInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the target registry is read: target groups, and alerts of targets no longer in it (closed once not seen for this long).</summary>
    public TimeSpan GroupsRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The persistent AlertManager (a cluster singleton): follows the targets' evaluations (<see cref="TargetAlertReport"/> from each
/// target's entity, which decides pending → firing → resolved on the node that monitors it) and gives each episode its alert; keeps
/// acknowledgements, silences and maintenance windows, raises group alerts, decides what to notify (first page, reminders,
/// resolution) and hands it to the notifier; publishes every change to the event stream, its subscribers and the log.
/// </summary>
public sealed class AlertManagerActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>The persistence id of the one alert book of a cluster.</summary>
    public const string AlertManagerPersistenceId = "alert-manager";

    private const int SnapshotEveryEvents = 100;

    private sealed class NotifyTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly NotifyTick Instance = new();
    }

    private sealed class AfterChange : INoSerializationVerificationNeeded
    {
        public static readonly AfterChange Instance = new();
    }

    private sealed class RefreshTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly RefreshTick Instance = new();
    }

    private sealed class GroupsTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly GroupsTick Instance = new();
    }

    /// <summary>A completed read of the registry, with the book's counters from when it began (see <see cref="AlertBook.DecideRegistryRead"/>).</summary>
    private sealed record RegistryRead(Targets.TargetRegistryCommands.TargetList List, long NextNumberAtStart, long RetirementsAtStart)
        : INoSerializationVerificationNeeded;

    private static AlertList AlertPage(IReadOnlyList<Alert> all, int limit, int offset)
    {
        var (alerts, total, next) = Page(all, limit, offset, MaxAlertsPerPage);
        return new AlertList(alerts, total, next);
    }

    private readonly IClock _clock;
    private readonly IActorRef _notifier;
    private readonly AlertManagerSettings _settings;
    private readonly Func<IActorRef?> _targetRegistry;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AlertBook _book;
    private readonly HashSet<IActorRef> _subscribers = [];
    private int _eventsSinceSnapshot;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the manager; notifications go to <paramref name="notifier"/> (Nobody: none); groups come from the target registry.</summary>
    public AlertManagerActor(IClock clock, AlertManagerSettings settings, IActorRef notifier, Func<IActorRef?> targetRegistry)
    {
        _clock = clock;
        _notifier = notifier;
        _settings = settings;
        _targetRegistry = targetRegistry;
        _book = new AlertBook(settings.Policy);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is AlertBookSnapshot snapshot) _book.Restore(snapshot);
        });
        Recover<IAlertEvent>(e => _book.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            var now = _clock.UtcNow;
            _log.Info("Alert manager recovered {0} alerts ({1} active), {2} silences, {3} maintenance windows",
                _book.All(now).Count, _book.Active(now).Count, _book.Silences(false, now).Count, _book.Windows.Count);
        });

        Command<TargetAlertReport>(report =>
        {
            var replyTo = Sender;
            var adopt = report.Fresh ? _book.OpenRulesOf(report.TargetId, report) : null;
            Persist(_book.DecideReport(report, _clock.UtcNow),
                () => replyTo.Tell(new TargetAlertReportReceived(report.TargetId, report.Version, adopt)));
        });
        // Observations straight from the loops: a node of an earlier build (today's loops report to their target's entity).
        Command<Observation>(o => Persist(_book.Observe(o), null));
        Command<AcknowledgeAlert>(ack => Reply(_book.DecideAcknowledge(ack.AlertId, ack.By, ack.Comment, _clock.UtcNow), ack.AlertId,
            alert => new AlertAcknowledged(alert)));
        Command<UnacknowledgeAlert>(unack => Reply(_book.DecideUnacknowledge(unack.AlertId, unack.By, _clock.UtcNow), unack.AlertId,
            alert => new AlertUnacknowledged(alert)));
        Command<CreateSilence>(cmd =>
        {
            var (e, problems) = _book.DecideSilence(cmd, _clock.UtcNow);
            if (e is null)
            {
                Sender.Tell(new SilenceRejected(problems));
                return;
            }
            var replyTo = Sender;
            Persist([e], () => replyTo.Tell(new SilenceCreated(((SilenceAdded)e).Silence)));
        });
        Command<ExpireSilence>(cmd =>
        {
            var now = _clock.UtcNow;
            var events = _book.DecideExpireSilence(cmd.SilenceId, cmd.By, now);
            var replyTo = Sender;
            if (events is null)
            {
                replyTo.Tell(new SilenceNotFound(cmd.SilenceId, $"no silence has id '{cmd.SilenceId}'"));
                return;
            }
            Persist(events, () => replyTo.Tell(new SilenceExpired(_book.Silences(true, _clock.UtcNow).Single(s => s.Id == cmd.SilenceId))));
        });
        Command<CreateMaintenanceWindow>(cmd =>
        {
            var (e, problems) = _book.DecideMaintenanceWindow(cmd);
            if (e is null)
            {
                Sender.Tell(new MaintenanceWindowRejected(problems));
                return;
            }
            var replyTo = Sender;
            Persist([e], () => replyTo.Tell(new MaintenanceWindowCreated(((MaintenanceWindowAdded)e).Window)));
        });
        Command<DeleteMaintenanceWindow>(cmd =>
        {
            var events = _book.DecideDeleteWindow(cmd.WindowId, cmd.By, _clock.UtcNow);
            var replyTo = Sender;
            if (events is null)
            {
                replyTo.Tell(new MaintenanceWindowNotFound(cmd.WindowId, $"no maintenance window has id '{cmd.WindowId}'"));
                return;
            }
            Persist(events, () => replyTo.Tell(new MaintenanceWindowDeleted(cmd.WindowId)));
        });
        Command<UpdateTargetGroups>(cmd =>
        {
            _book.SetGroups(cmd.Groups);
            Self.Tell(AfterChange.Instance);
        });
        Command<TargetRemoved>(cmd =>
        {
            var events = _book.DecideTargetRemoved(cmd.TargetId, _clock.UtcNow);
            LogRetirement(cmd.TargetId, events, "the registry removed it");
            Persist(events, null);
        });
        Command<RegistryRead>(read =>
        {
            var list = read.List;
            _book.SetGroups(list.Targets.Where(t => t.Group is not null)
                .GroupBy(t => t.Group!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(t => t.Id).ToList(), StringComparer.OrdinalIgnoreCase));
            var events = _book.DecideRegistryRead(list.Targets.Select(t => t.Id).ToList(), read.NextNumberAtStart, read.RetirementsAtStart,
                _settings.GroupsRefreshInterval, _clock.UtcNow);
            foreach (var retired in events.OfType<TargetRetired>())
                LogRetirement(retired.TargetId, events, "it is no longer in the registry");
            if (events.Count == 0) Self.Tell(AfterChange.Instance);
            else Persist(events, null);
        });
        Command<PruneAlerts>(prune =>
        {
            var events = _book.DecidePrune(prune.Cutoff, _clock.UtcNow);
            var replyTo = Sender;
            var removed = events.OfType<AlertsDropped>().Sum(d => d.AlertIds.Count);
            Persist(events, () =>
            {
                replyTo.Tell(new AlertsPruned(removed, _book.All(_clock.UtcNow).Count));
                if (events.Count > 0) TakeSnapshot();
            });
        });
        Command<NotifyTick>(_ => Self.Tell(AfterChange.Instance));
        Command<RefreshTick>(_ => _notifier.Tell(new OutboxCommands.RefreshFiring(_book.NotifiableFiring(_clock.UtcNow))));
        Command<GroupsTick>(_ =>
        {
            if (_targetRegistry() is not { } registry) return;
            // Counters taken now: the answer may list targets as they were before a removal or registration handled meanwhile.
            var nextNumber = _book.NextNumber;
            var retirements = _book.Retirements;
            Targets.TargetPages.AllAsync(registry, _settings.NotifyCheckInterval)
                .PipeTo(Self, success: list => new RegistryRead(list, nextNumber, retirements), failure: e => new Status.Failure(e));
        });
        Command<Status.Failure>(f => _log.Warning("Alert manager could not read the target registry; groups and alerts of removed targets wait for the next read: {0}", f.Cause.Message));
        Command<AfterChange>(_ => FollowUp());
        Command<GetActiveAlerts>(q => Sender.Tell(AlertPage(_book.Active(_clock.UtcNow), q.Limit, q.Offset)));
        Command<GetAllAlerts>(q => Sender.Tell(AlertPage(_book.All(_clock.UtcNow), q.Limit, q.Offset)));
        Command<GetTargetAlerts>(q => Sender.Tell(AlertPage(
            (q.ActiveOnly ? _book.Active(_clock.UtcNow) : _book.All(_clock.UtcNow))
            .Where(a => string.Equals(a.TargetId, q.TargetId, StringComparison.OrdinalIgnoreCase)).ToList(), q.Limit, q.Offset)));
        Command<GetAlert>(q => Sender.Tell(_book.Find(q.AlertId, _clock.UtcNow) is { } alert
            ? new AlertFound(alert)
            : new AlertNotFound(q.AlertId, $"no alert has id '{q.AlertId}'")));
        Command<GetSilences>(q =>
        {
            var (silences, total, next) = Page(_book.Silences(q.IncludeExpired, _clock.UtcNow), q.Limit, q.Offset, MaxSilencesPerPage);
            Sender.Tell(new SilenceList(silences, total, next));
        });
        Command<GetMaintenanceWindows>(_ =>
        {
            var now = _clock.UtcNow;
            var windows = _book.Windows;
            Sender.Tell(new MaintenanceWindowList(windows, windows.Where(w => w.IsOpenAt(now)).Select(w => w.Id).ToList()));
        });
        Command<SubscribeToAlerts>(s =>
        {
            if (_subscribers.Add(s.Subscriber)) Context.Watch(s.Subscriber);
            Sender.Tell(new SubscribedToAlerts(s.Subscriber));
        });
        Command<UnsubscribeFromAlerts>(s =>
        {
            if (_subscribers.Remove(s.Subscriber)) Context.Unwatch(s.Subscriber);
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Command<SaveSnapshotSuccess>(ok =>
        {
            DeleteMessages(ok.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Error(failed.Cause, "Snapshot of the alert book failed; the journal is kept"));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("Could not delete old alert events: {0}", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Could not delete old alert snapshots: {0}", failed.Cause.Message));
    }

    /// <inheritdoc />
    public override string PersistenceId => AlertManagerPersistenceId;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("notify", NotifyTick.Instance, _settings.NotifyCheckInterval);
        Timers.StartPeriodicTimer("refresh", RefreshTick.Instance, _settings.ReceiverRefreshInterval);
        Timers.StartPeriodicTimer("groups", GroupsTick.Instance, TimeSpan.Zero, _settings.GroupsRefreshInterval);
        base.PreStart();
    }

    /// <summary>Persists events, applies and publishes them, then (after the whole batch) lets groups and notifications catch up.</summary>
    private void Persist(IReadOnlyList<IAlertEvent> events, Action? afterAll)
    {
        if (events.Count == 0)
        {
            afterAll?.Invoke();
            return;
        }
        PersistAll(events, Applied);
        DeferAsync(events, _ =>
        {
            afterAll?.Invoke();
            // Groups and notifications catch up in a message of their own, after this batch is fully applied.
            Self.Tell(AfterChange.Instance);
        });
    }

    private void Reply(IReadOnlyList<IAlertEvent>? events, string alertId, Func<Alert, object> answer)
    {
        var replyTo = Sender;
        if (events is null)
        {
            replyTo.Tell(new AlertNotFound(alertId, $"no alert has id '{alertId}'"));
            return;
        }
        Persist(events, () => replyTo.Tell(answer(_book.Find(alertId, _clock.UtcNow)!)));
    }

    /// <summary>Group alerts that follow from the current state, then notifications that are due; loops until nothing changes.</summary>
    private void FollowUp()
    {
        var now = _clock.UtcNow;
        var groupEvents = _book.GroupNames().SelectMany(g => _book.DecideGroup(g, now)).ToList();
        if (groupEvents.Count > 0)
        {
            Persist(groupEvents, null);
            return;
        }
        var due = _book.DueNotifications(now);
        if (due.Count == 0) return;
        foreach (var alert in due)
            _notifier.Tell(new Notification(Guid.NewGuid().ToString("N"),
                alert.LastNotifiedAt is null ? NotificationKind.Firing : NotificationKind.Reminder, alert, now));
        Persist(due.Select(a => (IAlertEvent)new AlertNotified(a.Id, now)).ToList(), null);
    }

    private void Applied(IAlertEvent e)
    {
        foreach (var change in _book.Apply(e))
        {
            Publish(change);
            if (change is { Kind: AlertChangeKind.Resolved, Alert.LastNotifiedAt: not null })
                _notifier.Tell(new Notification(Guid.NewGuid().ToString("N"), NotificationKind.Resolved, change.Alert, _clock.UtcNow));
        }
        if (++_eventsSinceSnapshot >= SnapshotEveryEvents) TakeSnapshot();
    }

    private void LogRetirement(string targetId, IReadOnlyList<IAlertEvent> events, string why)
    {
        if (!events.Any(e => e is TargetRetired r && string.Equals(r.TargetId, targetId, StringComparison.OrdinalIgnoreCase))) return;
        var ids = events.Select(e => e switch { AlertCancelled c => c.AlertId, AlertResolved r => r.AlertId, _ => null }).OfType<string>()
            .Where(id => _book.Find(id, _clock.UtcNow) is { } a && string.Equals(a.TargetId, targetId, StringComparison.OrdinalIgnoreCase)).ToList();
        _log.Info("Target {0} retired from alerting ({1}): {2}; later observations of it are ignored until it is registered again", targetId, why,
            ids.Count == 0 ? "no open alerts" : $"closing {string.Join(", ", ids)}");
    }

    private void TakeSnapshot()
    {
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_book.ToSnapshot());
    }

    private void Publish(AlertChanged change)
    {
        var a = change.Alert;
        var what = $"{AlertNames.Category(a.Category)}/{a.Rule}";
        var severity = AlertNames.Severity(a.Severity);
        switch (change.Kind)
        {
            // A pending alert is not yet an alert anyone is told of; most end cancelled (one slow tick): Debug, so 10,000 targets
            // on a busy machine do not fill the log with them (the scale benchmark counted ~11 lines a minute of these alone).
            case AlertChangeKind.Raised when a.State == AlertState.Pending:
                _log.Debug("ALERT {0} pending [{1}] target {2} {3}: {4}", a.Id, severity, a.TargetId, what, a.Message);
                break;
            case AlertChangeKind.Raised:
            case AlertChangeKind.Fired:
            case AlertChangeKind.SeverityChanged:
                var verb = change.Kind == AlertChangeKind.SeverityChanged ? "changed" : "firing";
                _log.Warning("ALERT {0} {1} [{2}] target {3} {4}: {5}", a.Id, verb, severity, a.TargetId, what, a.Message);
                break;
            case AlertChangeKind.Cancelled:
                _log.Debug("ALERT {0} cancelled before it fired: target {1} {2} recovered", a.Id, a.TargetId, what);
                break;
            case AlertChangeKind.Resolved:
                _log.Info("ALERT {0} resolved: target {1} {2} after {3:0}s: {4}", a.Id, a.TargetId, what,
                    (a.ResolvedAt!.Value - a.RaisedAt).TotalSeconds, a.Message);
                break;
            case AlertChangeKind.Acknowledged:
                _log.Info("ALERT {0} acknowledged by {1} (target {2} {3}){4}", a.Id, a.AcknowledgedBy, a.TargetId, what,
                    a.AcknowledgeComment is null ? "" : $": {a.AcknowledgeComment}");
                break;
            case AlertChangeKind.Unacknowledged:
                _log.Info("ALERT {0} acknowledgement taken back (target {1} {2})", a.Id, a.TargetId, what);
                break;
            case AlertChangeKind.Notified:
                _log.Info("ALERT {0} handed to the notifiers (target {1} {2})", a.Id, a.TargetId, what);
                break;
            case AlertChangeKind.Dropped:
                _log.Info("ALERT {0} dropped by retention (acknowledged and resolved at {1:u})", a.Id, a.ResolvedAt);
                break;
        }
        Context.System.EventStream.Publish(change);
        foreach (var subscriber in _subscribers) subscriber.Tell(change);
    }

    /// <summary>Props for the manager.</summary>
    public static Props Props(IClock clock, AlertPolicy? policy = null, IActorRef? notifier = null, AlertManagerSettings? settings = null,
        Func<IActorRef?>? targetRegistry = null)
    {
        var effective = (settings ?? new AlertManagerSettings()) with { Policy = policy ?? settings?.Policy ?? new AlertPolicy() };
        return ActorProps.Of(() => new AlertManagerActor(clock, effective, notifier ?? ActorRefs.Nobody, targetRegistry ?? (() => null)));
    }
}
