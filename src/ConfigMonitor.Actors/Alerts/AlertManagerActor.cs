using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Alerts.AlertCommands;
using static ConfigMonitor.Actors.Alerts.AlertEvents;
using static ConfigMonitor.Actors.Alerts.AlertQueries;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// The persistent AlertManager (a cluster singleton): turns observations into deduplicated alerts, keeps
/// acknowledgements, applies retention, and publishes every change to the event stream, its subscribers and the log.
/// </summary>
public sealed class AlertManagerActor : ReceivePersistentActor
{
    /// <summary>The persistence id of the one alert book of a cluster.</summary>
    public const string AlertManagerPersistenceId = "alert-manager";

    private const int SnapshotEveryEvents = 100;

    private readonly IClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AlertBook _book = new();
    private readonly HashSet<IActorRef> _subscribers = [];
    private int _eventsSinceSnapshot;

    /// <summary>Creates the manager.</summary>
    public AlertManagerActor(IClock clock)
    {
        _clock = clock;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is AlertBookSnapshot snapshot) _book.Restore(snapshot);
        });
        Recover<IAlertEvent>(e => _book.Apply(e));
        Recover<RecoveryCompleted>(_ =>
            _log.Info("Alert manager recovered {0} alerts ({1} active)", _book.All.Count, _book.Active.Count));

        Command<Observation>(o =>
        {
            _book.Touch(o);
            var events = _book.Decide(o);
            if (events.Count > 0) PersistAll(events, Applied);
        });
        Command<AcknowledgeAlert>(ack =>
        {
            var events = _book.DecideAcknowledge(ack.AlertId, ack.By, _clock.UtcNow);
            var replyTo = Sender;
            if (events is null)
            {
                replyTo.Tell(new AlertNotFound(ack.AlertId, $"no alert has id '{ack.AlertId}'"));
                return;
            }
            if (events.Count == 0)
            {
                replyTo.Tell(new AlertAcknowledged(_book.Find(ack.AlertId)!));
                return;
            }
            PersistAll(events, e =>
            {
                Applied(e);
                replyTo.Tell(new AlertAcknowledged(_book.Find(ack.AlertId)!));
            });
        });
        Command<PruneAlerts>(prune =>
        {
            var events = _book.DecidePrune(prune.Cutoff, _clock.UtcNow);
            var replyTo = Sender;
            if (events.Count == 0)
            {
                replyTo.Tell(new AlertsPruned(0, _book.All.Count));
                return;
            }
            PersistAll(events, e =>
            {
                Applied(e);
                replyTo.Tell(new AlertsPruned(((AlertsDropped)e).AlertIds.Count, _book.All.Count));
                TakeSnapshot();
            });
        });
        Command<GetActiveAlerts>(_ => Sender.Tell(new AlertList(_book.Active)));
        Command<GetAllAlerts>(_ => Sender.Tell(new AlertList(_book.All)));
        Command<GetAlert>(q => Sender.Tell(_book.Find(q.AlertId) is { } alert
            ? new AlertFound(alert)
            : new AlertNotFound(q.AlertId, $"no alert has id '{q.AlertId}'")));
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

    private void Applied(IAlertEvent e)
    {
        foreach (var change in _book.Apply(e)) Publish(change);
        if (++_eventsSinceSnapshot >= SnapshotEveryEvents) TakeSnapshot();
    }

    private void TakeSnapshot()
    {
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_book.ToSnapshot());
    }

    private void Publish(AlertChanged change)
    {
        var a = change.Alert;
        var category = AlertNames.Category(a.Category);
        var severity = AlertNames.Severity(a.Severity);
        switch (change.Kind)
        {
            case AlertChangeKind.Raised:
            case AlertChangeKind.SeverityChanged:
                var what = change.Kind == AlertChangeKind.Raised ? "raised" : "changed severity";
                _log.Warning("ALERT {0} {1} [{2}] target {3} {4}: {5}", a.Id, what, severity, a.TargetId, $"{category}/{a.Rule}", a.Message);
                break;
            case AlertChangeKind.Resolved:
                _log.Info("ALERT {0} resolved: target {1} {2}/{3} after {4:0}s: {5}", a.Id, a.TargetId, category, a.Rule,
                    (a.ResolvedAt!.Value - a.RaisedAt).TotalSeconds, a.Message);
                break;
            case AlertChangeKind.Acknowledged:
                _log.Info("ALERT {0} acknowledged by {1} (target {2} {3}/{4})", a.Id, a.AcknowledgedBy, a.TargetId, category, a.Rule);
                break;
            case AlertChangeKind.Dropped:
                _log.Info("ALERT {0} dropped by retention (acknowledged and resolved at {1:u})", a.Id, a.ResolvedAt);
                break;
        }
        Context.System.EventStream.Publish(change);
        foreach (var subscriber in _subscribers) subscriber.Tell(change);
    }

    /// <summary>Props for the manager.</summary>
    public static Props Props(IClock clock) => Akka.Actor.Props.Create(() => new AlertManagerActor(clock));
}
