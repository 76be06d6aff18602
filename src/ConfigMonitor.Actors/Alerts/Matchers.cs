using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>The alert fields a matcher can test.</summary>
public enum MatchField
{
    /// <summary>The target id.</summary>
    Target,
    /// <summary>performance, health, cache, database, event_system.</summary>
    Category,
    /// <summary>info, warning, critical.</summary>
    Severity,
    /// <summary>The rule name, e.g. access_time.</summary>
    Rule,
    /// <summary>The target's group, if it has one.</summary>
    Group,
}

/// <summary>One condition on an alert: a field equals a value, or matches a regular expression (anchored, case-insensitive).</summary>
public sealed record Matcher(MatchField Field, string Value, bool IsRegex = false)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>The problem with this matcher (an invalid regular expression), or null.</summary>
    public string? Problem()
    {
        if (string.IsNullOrEmpty(Value)) return $"matcher on {Field.ToString().ToLowerInvariant()} has an empty value";
        if (!IsRegex) return null;
        try
        {
            _ = new Regex(Value, RegexOptions.None, RegexTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"matcher on {Field.ToString().ToLowerInvariant()} has an invalid regular expression '{Value}': {e.Message}";
        }
    }

    /// <summary>True when the alert's field matches.</summary>
    public bool Matches(Alert alert)
    {
        var actual = Field switch
        {
            MatchField.Target => alert.TargetId,
            MatchField.Category => AlertNames.Category(alert.Category),
            MatchField.Severity => AlertNames.Severity(alert.Severity),
            MatchField.Rule => alert.Rule,
            _ => alert.Group ?? "",
        };
        if (!IsRegex) return string.Equals(actual, Value, StringComparison.OrdinalIgnoreCase);
        try
        {
            return Regex.IsMatch(actual, $"^(?:{Value})$", RegexOptions.IgnoreCase, RegexTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>True when every matcher matches (an empty list matches nothing, so a silence never mutes everything by accident).</summary>
    public static bool All(IReadOnlyList<Matcher> matchers, Alert alert) => matchers.Count > 0 && matchers.All(m => m.Matches(alert));

    /// <summary>Readable form: target="orders", severity=~"warn.*".</summary>
    public override string ToString() => $"{Field.ToString().ToLowerInvariant()}{(IsRegex ? "=~" : "=")}\"{Value}\"";
}

/// <summary>Mutes notifications of the alerts it matches between its start and end; alerts stay listed, marked silenced.</summary>
public sealed record Silence(
    string Id, IReadOnlyList<Matcher> Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string CreatedBy, string Comment,
    DateTimeOffset? ExpiredAt = null)
{
    /// <summary>In force at <paramref name="now"/>: started, not ended, not expired by request.</summary>
    public bool IsActiveAt(DateTimeOffset now) => ExpiredAt is null && StartsAt <= now && now < EndsAt;

    /// <summary>Ended by time or by request at <paramref name="now"/>.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => ExpiredAt is not null || now >= EndsAt;

    /// <summary>The problems of a silence someone asks to create.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = Matchers.Select(m => m.Problem()).OfType<string>().ToList();
        if (Matchers.Count == 0) problems.Add("a silence needs at least one matcher");
        if (EndsAt <= StartsAt) problems.Add($"a silence must end after it starts (starts {StartsAt:u}, ends {EndsAt:u})");
        if (string.IsNullOrWhiteSpace(CreatedBy)) problems.Add("a silence needs created-by");
        return problems;
    }
}
