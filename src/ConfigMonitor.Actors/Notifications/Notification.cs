using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>Why a notification is sent.</summary>
public enum NotificationKind
{
    /// <summary>The alert fired (or became notifiable: its silence, window, inhibition or group ended).</summary>
    Firing,
    /// <summary>The alert is still firing and nobody acknowledged it.</summary>
    Reminder,
    /// <summary>A notified alert resolved.</summary>
    Resolved,
}

/// <summary>One message about one alert for every channel that routes it; delivered at least once.</summary>
public sealed record Notification(string Id, NotificationKind Kind, Alert Alert, DateTimeOffset At) : IConfigMonitorMessage;
