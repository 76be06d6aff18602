using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// When a rule's alert fires and resolves: after <see cref="FailureThreshold"/> consecutive breaches that have also held for
/// <see cref="For"/>, and after <see cref="SuccessThreshold"/> consecutive good observations.
/// </summary>
public sealed record AlertRule(int FailureThreshold = 1, TimeSpan For = default, int SuccessThreshold = 1)
{
    /// <summary>Fires on the first breach and resolves on the first good probe (the seed's behaviour).</summary>
    public static readonly AlertRule Immediate = new();

    /// <summary>Whether a breach fires: <paramref name="consecutiveBreaches"/> met the threshold and it has held since <paramref name="since"/> for <see cref="For"/>.</summary>
    public bool Fires(int consecutiveBreaches, DateTimeOffset since, DateTimeOffset now) =>
        consecutiveBreaches >= Math.Max(1, FailureThreshold) && now - since >= For;
}

/// <summary>The alerting policy: rule thresholds, reminders and groups. Thresholds are data, overridable per category/rule.</summary>
public sealed record AlertPolicy
{
    /// <summary>Warnings fire after two breaches in a row and resolve after two good probes, so one slow tick does not page.</summary>
    public AlertRule WarningRule { get; init; } = new(FailureThreshold: 2, SuccessThreshold: 2);

    /// <summary>Critical breaches (a service or database that does not answer) fire at once and resolve after two good probes.</summary>
    public AlertRule CriticalRule { get; init; } = new(FailureThreshold: 1, SuccessThreshold: 2);

    /// <summary>Overrides keyed "category/rule" (e.g. "cache/hit_rate") or "category/*".</summary>
    public IReadOnlyDictionary<string, AlertRule> Rules { get; init; } = new Dictionary<string, AlertRule>();

    /// <summary>A firing, unacknowledged alert is notified again this often (0: never).</summary>
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(4);

    /// <summary>How many members of a target group must be failing at once to raise one group alert instead of paging each.</summary>
    public int GroupMinFailing { get; init; } = 2;

    /// <summary>
    /// The longest a new "does not answer" alert waits for its target's health rule to judge the target before its first page
    /// (so the root of an outage pages, whichever loop saw it first); it pages at once when the health rule has already judged.
    /// </summary>
    public TimeSpan RootCauseWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Every rule fires on the first breach and resolves on the first good probe; no alert waits for its root cause; reminders off.</summary>
    public static readonly AlertPolicy Immediate = new()
    {
        WarningRule = AlertRule.Immediate, CriticalRule = AlertRule.Immediate, RepeatInterval = TimeSpan.Zero, RootCauseWait = TimeSpan.Zero,
    };

    /// <summary>The rule in force for an observation.</summary>
    public AlertRule RuleFor(AlertCategory category, string rule, AlertSeverity severity)
    {
        var name = AlertNames.Category(category);
        if (Rules.TryGetValue($"{name}/{rule}", out var exact)) return exact;
        if (Rules.TryGetValue($"{name}/*", out var wildcard)) return wildcard;
        return severity == AlertSeverity.Critical ? CriticalRule : WarningRule;
    }
}
