using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// The AlertManager's state and rules, without an actor system: <c>Decide</c> turns a command into events,
/// <c>Apply</c> changes the state. One firing alert per fingerprint; a good observation resolves it.
/// </summary>
public sealed class AlertBook
{
    private readonly Dictionary<string, Alert> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _firingByFingerprint = new(StringComparer.Ordinal);

    /// <summary>The number the next alert id gets.</summary>
    public long NextNumber { get; private set; } = 1;

    /// <summary>Every retained alert, newest raised first.</summary>
    public IReadOnlyList<Alert> All => _byId.Values.OrderByDescending(a => a.RaisedAt).ThenByDescending(a => a.Id, StringComparer.Ordinal).ToList();

    /// <summary>Firing or unacknowledged alerts, newest raised first.</summary>
    public IReadOnlyList<Alert> Active => All.Where(a => a.IsActive).ToList();

    /// <summary>The alert with this id, if retained.</summary>
    public Alert? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The firing alert of a fingerprint, if any.</summary>
    public Alert? FiringFor(string fingerprint) =>
        _firingByFingerprint.TryGetValue(fingerprint, out var id) ? _byId[id] : null;

    /// <summary>What an observation changes: a new alert, a severity change, a resolution, or nothing.</summary>
    public IReadOnlyList<IAlertEvent> Decide(Observation o)
    {
        var firing = FiringFor(o.Fingerprint);
        if (o.Breached)
        {
            if (firing is null)
            {
                var alert = new Alert(FormatId(NextNumber), o.TargetId, o.Category, o.Rule, o.Severity, o.Message,
                    o.ObservedAt, o.ObservedAt, null, false, null, null);
                return [new AlertRaised(alert)];
            }
            return firing.Severity != o.Severity
                ? [new AlertSeverityChanged(firing.Id, o.Severity, o.Message, o.ObservedAt)]
                : [];
        }
        return firing is null ? [] : [new AlertResolved(firing.Id, o.ObservedAt, o.Message)];
    }

    /// <summary>Acknowledgement by id: an event, nothing when already acknowledged, or null when the id is unknown.</summary>
    public IReadOnlyList<IAlertEvent>? DecideAcknowledge(string alertId, string by, DateTimeOffset now)
    {
        var alert = Find(alertId);
        if (alert is null) return null;
        return alert.Acknowledged ? [] : [new AlertWasAcknowledged(alertId, now, by)];
    }

    /// <summary>Retention: acknowledged alerts resolved before the cutoff go; unacknowledged or firing ones stay.</summary>
    public IReadOnlyList<IAlertEvent> DecidePrune(DateTimeOffset cutoff, DateTimeOffset now)
    {
        var ids = _byId.Values.Where(a => a.Acknowledged && a.ResolvedAt is { } resolved && resolved < cutoff)
            .Select(a => a.Id).OrderBy(id => id, StringComparer.Ordinal).ToList();
        return ids.Count == 0 ? [] : [new AlertsDropped(ids, now)];
    }

    /// <summary>Keeps a firing alert's last-seen time current without an event (it is not worth a journal write per tick).</summary>
    public void Touch(Observation o)
    {
        if (o.Breached && FiringFor(o.Fingerprint) is { } firing && o.ObservedAt > firing.LastSeenAt)
            _byId[firing.Id] = firing with { LastSeenAt = o.ObservedAt };
    }

    /// <summary>Applies an event; returns the changes to publish.</summary>
    public IReadOnlyList<AlertChanged> Apply(IAlertEvent e)
    {
        switch (e)
        {
            case AlertRaised raised:
                _byId[raised.Alert.Id] = raised.Alert;
                _firingByFingerprint[raised.Alert.Fingerprint] = raised.Alert.Id;
                NextNumber = Math.Max(NextNumber, ParseNumber(raised.Alert.Id) + 1);
                return [new AlertChanged(AlertChangeKind.Raised, raised.Alert)];
            case AlertSeverityChanged changed when _byId.TryGetValue(changed.AlertId, out var a):
                return [Put(AlertChangeKind.SeverityChanged, a with { Severity = changed.Severity, Message = changed.Message, LastSeenAt = changed.At })];
            case AlertResolved resolved when _byId.TryGetValue(resolved.AlertId, out var a):
                _firingByFingerprint.Remove(a.Fingerprint);
                return [Put(AlertChangeKind.Resolved, a with { ResolvedAt = resolved.At, Message = $"{a.Message} — resolved: {resolved.Message}" })];
            case AlertWasAcknowledged ack when _byId.TryGetValue(ack.AlertId, out var a):
                return [Put(AlertChangeKind.Acknowledged, a with { Acknowledged = true, AcknowledgedAt = ack.At, AcknowledgedBy = ack.By })];
            case AlertsDropped dropped:
                var changes = new List<AlertChanged>();
                foreach (var id in dropped.AlertIds)
                    if (_byId.Remove(id, out var gone))
                    {
                        if (_firingByFingerprint.TryGetValue(gone.Fingerprint, out var firingId) && firingId == id)
                            _firingByFingerprint.Remove(gone.Fingerprint);
                        changes.Add(new AlertChanged(AlertChangeKind.Dropped, gone));
                    }
                return changes;
            default:
                return [];
        }
    }

    /// <summary>The state as a snapshot.</summary>
    public AlertBookSnapshot ToSnapshot() => new(_byId.Values.OrderBy(a => a.Id, StringComparer.Ordinal).ToList(), NextNumber);

    /// <summary>Restores the state from a snapshot.</summary>
    public void Restore(AlertBookSnapshot snapshot)
    {
        _byId.Clear();
        _firingByFingerprint.Clear();
        foreach (var alert in snapshot.Alerts)
        {
            _byId[alert.Id] = alert;
            if (alert.State == AlertState.Firing) _firingByFingerprint[alert.Fingerprint] = alert.Id;
        }
        NextNumber = snapshot.NextNumber;
    }

    private AlertChanged Put(AlertChangeKind kind, Alert alert)
    {
        _byId[alert.Id] = alert;
        return new AlertChanged(kind, alert);
    }

    private static string FormatId(long number) => $"alert-{number}";

    private static long ParseNumber(string id) => long.TryParse(id.AsSpan(id.LastIndexOf('-') + 1), out var n) ? n : 0;
}
