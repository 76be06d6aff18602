using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Notifications.OutboxCommands;
using static ConfigMonitor.Actors.Notifications.OutboxEvents;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>
/// The persisted outbox between the AlertManager and the receivers: a notification is persisted before any channel sees it,
/// every channel's delivery is persisted once it succeeded, and whatever is undelivered at a restart is sent again.
/// At least once: a duplicate after a crash is preferred to a missed page.
/// </summary>
public sealed class NotificationOutboxActor : ReceivePersistentActor
{
    /// <summary>The persistence id of the one outbox of a cluster.</summary>
    public const string OutboxPersistenceId = "notification-outbox";

    private const int SnapshotEveryEvents = 200;

    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, (Notification Notification, HashSet<string> Channels)> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _workers = new(StringComparer.Ordinal);
    private readonly IClock _clock;
    private readonly DeliverySettings _delivery;
    private int _eventsSinceSnapshot;
    private long _delivered;
    private long _failedAttempts;

    /// <summary>Creates the outbox over <paramref name="channels"/>.</summary>
    public NotificationOutboxActor(IReadOnlyList<INotificationChannel> channels, DeliverySettings delivery, IClock clock)
    {
        _channels = channels;
        _delivery = delivery;
        _clock = clock;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not OutboxSnapshot snapshot) return;
            foreach (var p in snapshot.Pending) _pending[p.Notification.Id] = (p.Notification, p.Channels.ToHashSet(StringComparer.Ordinal));
        });
        Recover<IOutboxEvent>(Apply);
        Recover<RecoveryCompleted>(_ =>
        {
            foreach (var channel in _channels)
                _workers[channel.Settings.Name] = Context.ActorOf(ChannelWorkerActor.Props(channel, _delivery, _clock), Uri.EscapeDataString(channel.Settings.Name));
            var resend = 0;
            foreach (var (notification, waiting) in _pending.Values.OrderBy(p => p.Notification.At))
                foreach (var channel in waiting)
                {
                    if (!_workers.TryGetValue(channel, out var worker)) continue; // a channel removed from the configuration
                    worker.Tell(new ChannelWorkerActor.Deliver(notification));
                    resend++;
                }
            _log.Info("Notification outbox ready: {0} channel(s) [{1}], {2} undelivered notification(s) sent again",
                _channels.Count, string.Join(", ", _channels.Select(c => $"{c.Settings.Name}:{c.Settings.Kind.ToString().ToLowerInvariant()}")), resend);
        });

        Command<Notification>(n =>
        {
            if (_pending.ContainsKey(n.Id)) return;
            var channels = _channels.Where(c => c.Settings.Routes(n)).Select(c => c.Settings.Name).ToList();
            if (channels.Count == 0)
            {
                _log.Debug("Notification {0} about {1} matches no channel", n.Id, n.Alert.Id);
                return;
            }
            Persist(new NotificationQueued(n, channels), queued =>
            {
                Apply(queued);
                foreach (var channel in queued.Channels) _workers[channel].Tell(new ChannelWorkerActor.Deliver(n));
            });
        });
        Command<ChannelWorkerActor.Delivered>(d =>
        {
            _delivered++;
            Persist(new NotificationDelivered(d.NotificationId, d.Channel, _clock.UtcNow), Applied);
        });
        Command<ChannelWorkerActor.GaveUp>(g => Persist(new NotificationAbandoned(g.NotificationId, g.Channel, _clock.UtcNow, g.Reason), Applied));
        Command<ChannelWorkerActor.AttemptFailed>(_ => _failedAttempts++);
        Command<RefreshFiring>(refresh =>
        {
            foreach (var worker in _workers.Values) worker.Tell(new ChannelWorkerActor.Refresh(refresh.Firing));
        });
        Command<GetOutboxStatus>(_ =>
        {
            var byChannel = _channels.ToDictionary(c => c.Settings.Name, c => _pending.Values.Count(p => p.Channels.Contains(c.Settings.Name)));
            Sender.Tell(new OutboxStatus(byChannel, _delivered, _failedAttempts));
        });
        Command<SaveSnapshotSuccess>(ok =>
        {
            DeleteMessages(ok.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Error(failed.Cause, "Snapshot of the notification outbox failed; the journal is kept"));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning("Could not delete old outbox events: {0}", failed.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning("Could not delete old outbox snapshots: {0}", failed.Cause.Message));
    }

    /// <inheritdoc />
    public override string PersistenceId => OutboxPersistenceId;

    private void Applied(IOutboxEvent e)
    {
        Apply(e);
        if (++_eventsSinceSnapshot < SnapshotEveryEvents) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(new OutboxSnapshot(_pending.Values.Select(p => new PendingNotification(p.Notification, p.Channels.Order().ToList())).ToList()));
    }

    private void Apply(IOutboxEvent e)
    {
        switch (e)
        {
            case NotificationQueued queued:
                _pending[queued.Notification.Id] = (queued.Notification, queued.Channels.ToHashSet(StringComparer.Ordinal));
                break;
            case NotificationDelivered delivered:
                Done(delivered.NotificationId, delivered.Channel);
                break;
            case NotificationAbandoned abandoned:
                Done(abandoned.NotificationId, abandoned.Channel);
                break;
        }
    }

    private void Done(string notificationId, string channel)
    {
        if (!_pending.TryGetValue(notificationId, out var entry)) return;
        entry.Channels.Remove(channel);
        if (entry.Channels.Count == 0) _pending.Remove(notificationId);
    }

    /// <summary>Props for the outbox.</summary>
    public static Props Props(IReadOnlyList<INotificationChannel> channels, DeliverySettings delivery, IClock clock) =>
        ActorProps.Of(() => new NotificationOutboxActor(channels, delivery, clock));
}
