using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using ConfigMonitor.Actors.Alerts;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>A receiver of notifications. Implementations throw when a delivery fails, so the outbox retries it.</summary>
public interface INotificationChannel
{
    /// <summary>The channel's settings.</summary>
    NotificationChannelSettings Settings { get; }

    /// <summary>Delivers one notification (quick retries included); throws when it could not.</summary>
    Task SendAsync(Notification notification, CancellationToken cancellationToken);

    /// <summary>Re-asserts the alerts still firing (Alertmanager forgets alerts not re-sent within its resolve timeout).</summary>
    Task RefreshAsync(IReadOnlyList<Alert> firing, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Builds the channels of the settings.</summary>
public static class NotificationChannels
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout in the resilience pipeline
    };

    /// <summary>One channel per settings entry.</summary>
    public static INotificationChannel Create(NotificationChannelSettings settings, DeliverySettings delivery, ActorSystem system) => settings.Kind switch
    {
        ChannelKind.Log => new LogChannel(settings, Logging.GetLogger(system, "ConfigMonitor.Notifications")),
        ChannelKind.Webhook => new WebhookChannel(settings, Http, Pipeline(settings, delivery)),
        ChannelKind.Alertmanager => new AlertmanagerChannel(settings, Http, Pipeline(settings, delivery)),
        _ => new PubSubChannel(settings, system),
    };

    /// <summary>Quick retries with exponential back-off and jitter on connection errors, 5xx, 429 and timeouts; a timeout per attempt.</summary>
    public static ResiliencePipeline Pipeline(NotificationChannelSettings settings, DeliverySettings delivery) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, delivery.QuickRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delivery.QuickRetryDelay,
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>()
                    .Handle<ReceiverRejectedException>(e => e.Transient),
            })
            .AddTimeout(settings.Timeout)
            .Build();

    internal static async Task PostJsonAsync(HttpClient http, ResiliencePipeline pipeline, Uri url, JsonNode body, CancellationToken cancellationToken)
    {
        var json = body.ToJsonString();
        await pipeline.ExecuteAsync(async ct =>
        {
            using var content = new StringContent(json, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(url, content, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new ReceiverRejectedException(url, status, text.Length > 200 ? text[..200] : text);
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The receiver answered with an error status; 5xx and 429 are worth retrying, other 4xx are not (but the outbox still retries later).</summary>
public sealed class ReceiverRejectedException(Uri url, int status, string body)
    : Exception($"{url} answered {status}{(string.IsNullOrWhiteSpace(body) ? "" : $": {body}")}")
{
    /// <summary>True for 5xx and 429.</summary>
    public bool Transient { get; } = status >= 500 || status == 429;
}

/// <summary>Writes each notification as one log line.</summary>
public sealed class LogChannel(NotificationChannelSettings settings, ILoggingAdapter log) : INotificationChannel
{
    /// <inheritdoc />
    public NotificationChannelSettings Settings { get; } = settings;

    /// <inheritdoc />
    public Task SendAsync(Notification n, CancellationToken cancellationToken)
    {
        var a = n.Alert;
        var line = $"NOTIFY [{Settings.Name}] {n.Kind.ToString().ToUpperInvariant()} {a.Id} [{AlertNames.Severity(a.Severity)}] target {a.TargetId} " +
                   $"{AlertNames.Category(a.Category)}/{a.Rule}: {a.Message}";
        if (n.Kind == NotificationKind.Resolved) log.Info(line); else log.Warning(line);
        return Task.CompletedTask;
    }
}

/// <summary>POSTs Alertmanager's webhook payload to a URL.</summary>
public sealed class WebhookChannel(NotificationChannelSettings settings, HttpClient http, ResiliencePipeline pipeline) : INotificationChannel
{
    /// <inheritdoc />
    public NotificationChannelSettings Settings { get; } = settings;

    /// <inheritdoc />
    public Task SendAsync(Notification n, CancellationToken cancellationToken) =>
        NotificationChannels.PostJsonAsync(http, pipeline, Settings.Url!, AlertmanagerPayloads.WebhookBody(n, Settings.Name), cancellationToken);
}

/// <summary>Posts alerts to Alertmanager's v2 API: firing ones without an end (re-sent by <see cref="RefreshAsync"/>), resolved ones with their end.</summary>
public sealed class AlertmanagerChannel(NotificationChannelSettings settings, HttpClient http, ResiliencePipeline pipeline) : INotificationChannel
{
    /// <inheritdoc />
    public NotificationChannelSettings Settings { get; } = settings;

    private Uri Endpoint => new(Settings.Url!, "api/v2/alerts");

    /// <inheritdoc />
    public Task SendAsync(Notification n, CancellationToken cancellationToken) =>
        NotificationChannels.PostJsonAsync(http, pipeline, Endpoint, AlertmanagerPayloads.PostableAlerts([n.Alert]), cancellationToken);

    /// <inheritdoc />
    public Task RefreshAsync(IReadOnlyList<Alert> firing, CancellationToken cancellationToken)
    {
        var routed = firing.Where(a => Settings.Routes(new Notification("", NotificationKind.Reminder, a, a.LastSeenAt))).ToList();
        return routed.Count == 0
            ? Task.CompletedTask
            : NotificationChannels.PostJsonAsync(http, pipeline, Endpoint, AlertmanagerPayloads.PostableAlerts(routed), cancellationToken);
    }
}

/// <summary>Publishes each notification on a DistributedPubSub topic, for message-driven integration by other actors.</summary>
public sealed class PubSubChannel(NotificationChannelSettings settings, ActorSystem system) : INotificationChannel
{
    /// <inheritdoc />
    public NotificationChannelSettings Settings { get; } = settings;

    /// <inheritdoc />
    public Task SendAsync(Notification n, CancellationToken cancellationToken)
    {
        DistributedPubSub.Get(system).Mediator.Tell(new Publish(Settings.Topic, n));
        return Task.CompletedTask;
    }
}
