using System.Text.Json.Nodes;
using ConfigMonitor.Actors.Alerts;

namespace ConfigMonitor.Actors.Notifications;

/// <summary>Alerts in Alertmanager's shapes: labels and annotations, the v2 API's postable alerts, and the webhook (version "4") body.</summary>
public static class AlertmanagerPayloads
{
    /// <summary>The labels that identify an alert to Alertmanager (its fingerprint is computed from them).</summary>
    public static JsonObject Labels(Alert alert)
    {
        var labels = new JsonObject
        {
            ["alertname"] = $"configmonitor_{AlertNames.Category(alert.Category)}_{alert.Rule}",
            ["target"] = alert.TargetId,
            ["category"] = AlertNames.Category(alert.Category),
            ["rule"] = alert.Rule,
            ["severity"] = AlertNames.Severity(alert.Severity),
            ["source"] = "configmonitor",
        };
        if (alert.Group is { } group) labels["group"] = group;
        return labels;
    }

    /// <summary>Human text and our alert id.</summary>
    public static JsonObject Annotations(Alert alert) => new()
    {
        ["summary"] = $"{alert.TargetId}: {AlertNames.Category(alert.Category)}/{alert.Rule} ({AlertNames.Severity(alert.Severity)})",
        ["description"] = alert.Message,
        ["alert_id"] = alert.Id,
    };

    /// <summary>One alert for <c>POST /api/v2/alerts</c>: firing ones carry no end (Alertmanager's resolve timeout applies), resolved ones their end.</summary>
    public static JsonObject PostableAlert(Alert alert)
    {
        var posted = new JsonObject
        {
            ["labels"] = Labels(alert),
            ["annotations"] = Annotations(alert),
            ["startsAt"] = (alert.FiredAt ?? alert.RaisedAt).ToString("o"),
            ["generatorURL"] = "",
        };
        if (alert.State == AlertState.Resolved && alert.ResolvedAt is { } ended) posted["endsAt"] = ended.ToString("o");
        return posted;
    }

    /// <summary>The body of <c>POST /api/v2/alerts</c>.</summary>
    public static JsonArray PostableAlerts(IEnumerable<Alert> alerts) => new(alerts.Select(a => (JsonNode)PostableAlert(a)).ToArray());

    /// <summary>Alertmanager's webhook body (version "4") for one notification.</summary>
    public static JsonObject WebhookBody(Notification notification, string receiver)
    {
        var alert = notification.Alert;
        var status = alert.State == AlertState.Resolved ? "resolved" : "firing";
        var labels = Labels(alert);
        return new JsonObject
        {
            ["version"] = "4",
            ["groupKey"] = $"{{}}:{{alert_id=\"{alert.Id}\"}}",
            ["truncatedAlerts"] = 0,
            ["status"] = status,
            ["receiver"] = receiver,
            ["groupLabels"] = new JsonObject { ["alertname"] = labels["alertname"]!.GetValue<string>() },
            ["commonLabels"] = labels.DeepClone(),
            ["commonAnnotations"] = Annotations(alert),
            ["externalURL"] = "",
            ["alerts"] = new JsonArray(new JsonObject
            {
                ["status"] = status,
                ["labels"] = labels,
                ["annotations"] = Annotations(alert),
                ["startsAt"] = (alert.FiredAt ?? alert.RaisedAt).ToString("o"),
                ["endsAt"] = (alert.ResolvedAt ?? DateTimeOffset.MinValue).ToString("o"),
                ["generatorURL"] = "",
                ["fingerprint"] = alert.Fingerprint,
            }),
            ["configmonitor"] = new JsonObject { ["notification_id"] = notification.Id, ["kind"] = notification.Kind.ToString().ToLowerInvariant() },
        };
    }
}
