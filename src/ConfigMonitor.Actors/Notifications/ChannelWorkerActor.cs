using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Time;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>
/// Delivers one channel's notifications in order, one at a time, off the actor thread. A failed attempt (after the
/// channel's quick retries) waits a growing back-off and tries again, so a receiver that stays down holds up only its own queue.
/// </summary>
public sealed class ChannelWorkerActor : ReceiveActor, IWithTimers
{
    /// <summary>Deliver this notification (idempotent per id).</summary>
    public sealed record Deliver(Notification Notification) : INoSerializationVerificationNeeded;

    /// <summary>Sent to the parent when a notification reached the receiver.</summary>
    public sealed record Delivered(string NotificationId, string Channel) : INoSerializationVerificationNeeded;

    /// <summary>Sent to the parent when the channel gave a notification up.</summary>
    public sealed record GaveUp(string NotificationId, string Channel, string Reason) : INoSerializationVerificationNeeded;

    /// <summary>Sent to the parent after each failed attempt.</summary>
    public sealed record AttemptFailed(string NotificationId, string Channel, string Reason) : INoSerializationVerificationNeeded;

    /// <summary>Re-send these firing alerts (Alertmanager).</summary>
    public sealed record Refresh(IReadOnlyList<Alert> Firing) : INoSerializationVerificationNeeded;

    private sealed record AttemptDone(string NotificationId, Exception? Failure) : INoSerializationVerificationNeeded;

    private sealed class RetryNow : INoSerializationVerificationNeeded
    {
        public static readonly RetryNow Instance = new();
    }

    private readonly INotificationChannel _channel;
    private readonly DeliverySettings _delivery;
    private readonly IClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkedList<Notification> _queue = new();
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private bool _inFlight;
    private int _failures;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the worker of <paramref name="channel"/>.</summary>
    public ChannelWorkerActor(INotificationChannel channel, DeliverySettings delivery, IClock clock)
    {
        _channel = channel;
        _delivery = delivery;
        _clock = clock;

        Receive<Deliver>(d =>
        {
            if (!_known.Add(d.Notification.Id)) return;
            _queue.AddLast(d.Notification);
            TryNext();
        });
        Receive<RetryNow>(_ => TryNext());
        Receive<AttemptDone>(done =>
        {
            _inFlight = false;
            var head = _queue.First!.Value;
            if (done.Failure is null)
            {
                _failures = 0;
                Dequeue(head);
                Context.Parent.Tell(new Delivered(head.Id, _channel.Settings.Name));
                TryNext();
                return;
            }
            var reason = Describe(done.Failure);
            Context.Parent.Tell(new AttemptFailed(head.Id, _channel.Settings.Name, reason));
            if (_clock.UtcNow - head.At >= _delivery.GiveUpAfter)
            {
                _log.Error("Channel {0} gave up notification {1} about {2} after {3}: {4}", _channel.Settings.Name, head.Id, head.Alert.Id,
                    _delivery.GiveUpAfter, reason);
                _failures = 0;
                Dequeue(head);
                Context.Parent.Tell(new GaveUp(head.Id, _channel.Settings.Name, reason));
                TryNext();
                return;
            }
            _failures++;
            var backoff = TimeSpan.FromTicks(Math.Min(_delivery.MaxBackoff.Ticks, _delivery.FirstBackoff.Ticks * (1L << Math.Min(_failures - 1, 20))));
            _log.Warning("Channel {0} could not deliver {1} ({2} queued); retrying in {3}: {4}", _channel.Settings.Name, head.Alert.Id,
                _queue.Count, backoff, reason);
            Timers.StartSingleTimer("retry", RetryNow.Instance, backoff);
        });
        Receive<Refresh>(refresh =>
        {
            var channel = _channel;
            var name = channel.Settings.Name;
            var log = _log;
            // Refreshes are state, not history: a lost one is repeated by the next, so it is not queued.
            channel.RefreshAsync(refresh.Firing, CancellationToken.None).ContinueWith(t =>
            {
                if (t.IsFaulted) log.Warning("Channel {0} could not re-send {1} firing alerts: {2}", name, refresh.Firing.Count, Describe(t.Exception!));
            }, TaskScheduler.Default);
        });
    }

    private void Dequeue(Notification head)
    {
        _queue.RemoveFirst();
        _known.Remove(head.Id);
    }

    private void TryNext()
    {
        if (_inFlight || _queue.Count == 0 || Timers.IsTimerActive("retry")) return;
        _inFlight = true;
        var head = _queue.First!.Value;
        _channel.SendAsync(head, CancellationToken.None)
            .PipeTo(Self, success: () => new AttemptDone(head.Id, null), failure: e => new AttemptDone(head.Id, e));
    }

    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0]),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    /// <summary>Props for the worker of one channel.</summary>
    public static Props Props(INotificationChannel channel, DeliverySettings delivery, IClock clock) =>
        ActorProps.Of(() => new ChannelWorkerActor(channel, delivery, clock));
}
