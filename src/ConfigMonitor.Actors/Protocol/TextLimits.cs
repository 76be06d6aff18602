namespace ConfigMonitor.Actors.Protocol;

/// <summary>
/// The longest text each kind of field accepts (the table in docs/settings.md). A field is checked at every entry (configuration,
/// API bodies, actor commands), so nothing stored or sent between nodes can grow past the cluster's frame size:
/// a target definition stays under a few KiB, an alert message under one.
/// </summary>
public static class TextLimits
{
    /// <summary>Ids: targets, alerts, silences, maintenance windows, channels.</summary>
    public const int Id = 100;

    /// <summary>A target's group.</summary>
    public const int Group = 100;

    /// <summary>A configuration key the probes read or change (probe key, event probe key).</summary>
    public const int Key = 256;

    /// <summary>An endpoint: an actor path or a URL.</summary>
    public const int Endpoint = 1024;

    /// <summary>An adapter or facet kind.</summary>
    public const int Kind = 32;

    /// <summary>A person or system named as the author of a change ("by", "createdBy").</summary>
    public const int Actor = 100;

    /// <summary>A name people give (maintenance windows).</summary>
    public const int Name = 200;

    /// <summary>One matcher's text ("target=orders", "severity=~warn.*").</summary>
    public const int Matcher = 512;

    /// <summary>Matchers in one silence or maintenance window.</summary>
    public const int MatchersPerRule = 32;

    /// <summary>A comment on an acknowledgement or a silence.</summary>
    public const int Comment = 2000;

    /// <summary>A facet's SQL query text (a config read with <c>@key</c>, a row count).</summary>
    public const int Query = 4000;

    /// <summary>An IANA time zone name.</summary>
    public const int TimeZone = 64;

    /// <summary>
    /// An alert's message: built from what a probe saw (an exception's text, a service's error body), so it is cut here
    /// rather than refused; every alert rides in list replies, notifications and log lines.
    /// </summary>
    public const int AlertMessage = 1000;

    /// <summary>The largest request body the management API reads (a target definition is a few KiB).</summary>
    public const int RequestBodyBytes = 64 * 1024;

    /// <summary><paramref name="text"/> cut to <paramref name="limit"/> characters, saying how long it was when it is cut.</summary>
    public static string Bounded(string text, int limit)
    {
        if (text.Length <= limit) return text;
        var note = $"… ({text.Length} characters)";
        return text[..Math.Max(0, limit - note.Length)] + note;
    }

    /// <summary>
    /// <paramref name="text"/> as a message quotes it: whole up to <paramref name="keep"/> characters, else its start and its
    /// length, so no message grows with the input it refuses.
    /// </summary>
    public static string Quote(string? text, int keep) =>
        text is null ? "" : text.Length <= keep ? text : text[..keep] + $"… ({text.Length} characters)";

    /// <summary>What is wrong with <paramref name="text"/> for a field limited to <paramref name="limit"/>; null when it fits.</summary>
    public static string? Check(string? text, int limit) =>
        text is not null && text.Length > limit ? $"is {text.Length} characters long; the limit is {limit}" : null;
}

/// <summary>Marks a string property of a request or definition record with its length limit (checked, and found by tests through reflection).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = true)]
public sealed class TextLimitAttribute(int maxLength) : Attribute
{
    /// <summary>The most characters the field takes.</summary>
    public int MaxLength { get; } = maxLength;
}
