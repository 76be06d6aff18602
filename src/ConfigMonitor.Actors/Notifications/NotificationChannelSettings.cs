using ConfigMonitor.Actors.Alerts;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>Where a channel delivers.</summary>
public enum ChannelKind
{
    /// <summary>A line in the node's log.</summary>
    Log,
    /// <summary>An HTTP POST of Alertmanager's webhook payload (version "4"), so existing receivers accept it.</summary>
    Webhook,
    /// <summary>Alertmanager's v2 API (<c>POST /api/v2/alerts</c>); firing alerts are re-sent before its resolve timeout.</summary>
    Alertmanager,
    /// <summary>A DistributedPubSub topic other actors subscribe to.</summary>
    PubSub,
}

/// <summary>One notification channel and what it routes: notifications at or above a severity, of some categories (all when empty).</summary>
public sealed record NotificationChannelSettings
{
    /// <summary>The channel's name (also the webhook's receiver name).</summary>
    public required string Name { get; init; }

    /// <summary>How it delivers.</summary>
    public required ChannelKind Kind { get; init; }

    /// <summary>The webhook or Alertmanager base URL.</summary>
    public Uri? Url { get; init; }

    /// <summary>The lowest severity routed here.</summary>
    public AlertSeverity MinSeverity { get; init; } = AlertSeverity.Info;

    /// <summary>The categories routed here; empty routes every category.</summary>
    public IReadOnlyList<AlertCategory> Categories { get; init; } = [];

    /// <summary>How long one delivery attempt may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The DistributedPubSub topic of a pub-sub channel.</summary>
    public string Topic { get; init; } = "configmonitor.alerts";

    /// <summary>True when this channel takes the notification.</summary>
    public bool Routes(Notification notification) =>
        notification.Alert.Severity >= MinSeverity && (Categories.Count == 0 || Categories.Contains(notification.Alert.Category));

    /// <summary>The problems of this channel's settings.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("a channel needs a name");
        if (Kind is ChannelKind.Webhook or ChannelKind.Alertmanager && (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https")))
            problems.Add($"channel '{Name}': field 'Url' must be an absolute http(s) URL for a {Kind.ToString().ToLowerInvariant()} channel");
        if (Timeout <= TimeSpan.Zero) problems.Add($"channel '{Name}': field 'Timeout' must be positive");
        return problems;
    }
}

/// <summary>How the notifier retries: quick retries inside one attempt, then an outbox retry with growing back-off until delivered.</summary>
public sealed record DeliverySettings
{
    /// <summary>Quick retries inside one delivery attempt (Polly).</summary>
    public int QuickRetries { get; init; } = 2;

    /// <summary>The first quick-retry delay (exponential, with jitter).</summary>
    public TimeSpan QuickRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The first outbox back-off after a failed attempt; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between outbox attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A notification still undelivered after this long is given up (logged as an error).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often firing alerts are re-sent to Alertmanager (below its resolve_timeout, 5 m by default).</summary>
    public TimeSpan AlertmanagerRefreshInterval { get; init; } = TimeSpan.FromMinutes(1);
}
