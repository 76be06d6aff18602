using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>Messages of the notification outbox.</summary>
public static class OutboxCommands
{
    /// <summary>The alerts firing now (and notifiable); channels that keep a receiver's state current (Alertmanager) re-send them.</summary>
    public sealed record RefreshFiring(IReadOnlyList<Alert> Firing) : IConfigMonitorMessage;

    /// <summary>What is waiting; answered with <see cref="OutboxStatus"/>.</summary>
    public sealed record GetOutboxStatus : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetOutboxStatus Instance = new();
    }

    /// <summary>Undelivered notifications per channel, and delivered ones since start.</summary>
    public sealed record OutboxStatus(IReadOnlyDictionary<string, int> PendingByChannel, long DeliveredSinceStart, long FailedAttemptsSinceStart)
        : IConfigMonitorMessage;
}

/// <summary>Events and snapshots of the outbox (the storage format).</summary>
public static class OutboxEvents
{
    /// <summary>Marker for outbox events.</summary>
    public interface IOutboxEvent : IPersistedEvent;

    /// <summary>A notification was accepted for these channels.</summary>
    public sealed record NotificationQueued(Notification Notification, IReadOnlyList<string> Channels) : IOutboxEvent;

    /// <summary>A channel delivered a notification.</summary>
    public sealed record NotificationDelivered(string NotificationId, string Channel, DateTimeOffset At) : IOutboxEvent;

    /// <summary>A channel gave a notification up after trying for too long.</summary>
    public sealed record NotificationAbandoned(string NotificationId, string Channel, DateTimeOffset At, string Reason) : IOutboxEvent;

    /// <summary>One undelivered notification and the channels it still waits for.</summary>
    public sealed record PendingNotification(Notification Notification, IReadOnlyList<string> Channels);

    /// <summary>Everything still undelivered.</summary>
    public sealed record OutboxSnapshot(IReadOnlyList<PendingNotification> Pending) : IPersistedEvent;
}
