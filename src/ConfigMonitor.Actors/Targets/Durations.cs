using System.Globalization;
using System.Text.RegularExpressions;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// The one duration grammar of ConfigMonitor (configuration, API bodies, query strings, CLI): a number and a unit —
/// <c>250ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>, <c>1.5h</c> — or the colon form <c>[d.]hh:mm:ss[.fffffff]</c>.
/// A bare number never passes (it used to be read as days), nothing signed, nothing above <see cref="Largest"/>, so no
/// parse can overflow. Everything <see cref="Format"/> writes parses back to the same value.
/// </summary>
public static partial class Durations
{
    /// <summary>How to write a duration, for error messages.</summary>
    public const string Grammar = "write a number and a unit: 250ms, 30s, 5m, 1h, 2d (or hh:mm:ss)";

    /// <summary>The largest duration the grammar reads (10 years); every setting has a tighter range of its own.</summary>
    public static readonly TimeSpan Largest = TimeSpan.FromDays(3650);

    // [0-9], not \d: \d also matches other scripts' digits, which the number parse below does not read.
    [GeneratedRegex(@"^(?<n>[0-9]{1,12}(\.[0-9]{1,9})?)(?<unit>ms|s|m|h|d)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WithUnit();

    [GeneratedRegex(@"^((?<d>[0-9]{1,4})\.)?(?<h>[0-9]{1,2}):(?<m>[0-9]{2}):(?<s>[0-9]{2})(\.(?<f>[0-9]{1,7}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ColonForm();

    /// <summary>Parses <paramref name="text"/> by the grammar; false when it is not a duration or is above <see cref="Largest"/>.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null || text.Length > 40) return false;
        text = text.Trim();
        var match = WithUnit().Match(text);
        if (match.Success)
        {
            var n = decimal.Parse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            var ticksPerUnit = match.Groups["unit"].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => TimeSpan.TicksPerDay,
            };
            var ticks = n * ticksPerUnit; // at most 10^12 days in ticks: within decimal's range
            if (ticks > Largest.Ticks) return false;
            value = TimeSpan.FromTicks((long)decimal.Round(ticks));
            return true;
        }
        match = ColonForm().Match(text);
        if (!match.Success) return false;
        var hours = int.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture);
        var minutes = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var seconds = int.Parse(match.Groups["s"].Value, CultureInfo.InvariantCulture);
        if (hours > 23 || minutes > 59 || seconds > 59) return false;
        var days = match.Groups["d"].Success ? long.Parse(match.Groups["d"].Value, CultureInfo.InvariantCulture) : 0;
        var fraction = match.Groups["f"].Success ? long.Parse(match.Groups["f"].Value.PadRight(7, '0'), CultureInfo.InvariantCulture) : 0;
        var total = days * TimeSpan.TicksPerDay + hours * TimeSpan.TicksPerHour + minutes * TimeSpan.TicksPerMinute
                    + seconds * TimeSpan.TicksPerSecond + fraction;
        if (total > Largest.Ticks) return false;
        value = TimeSpan.FromTicks(total);
        return true;
    }

    /// <summary>
    /// Parses and checks <paramref name="text"/> against <paramref name="range"/>; null when it is fine, else what is wrong,
    /// worded to follow the name of the field ("is '30', which is not a duration: write …" or "is '2d', outside 100ms to 24h").
    /// </summary>
    public static string? Check(string? text, DurationRange range, out TimeSpan value)
    {
        if (!TryParse(text, out value))
            return $"is '{Shorten(text)}', which is not a duration ({Grammar}; at most {Format(Largest)})";
        if (value < range.Min || value > range.Max)
            return $"is '{Shorten(text)}', outside {range}";
        return null;
    }

    /// <summary>Writes a duration in the grammar, exactly (the largest whole unit, else milliseconds with decimals).</summary>
    public static string Format(TimeSpan value)
    {
        var ticks = value.Ticks;
        if (ticks < 0) return "-" + Format(value.Negate());
        if (ticks == 0) return "0s";
        if (ticks % TimeSpan.TicksPerDay == 0) return $"{ticks / TimeSpan.TicksPerDay}d";
        if (ticks % TimeSpan.TicksPerHour == 0) return $"{ticks / TimeSpan.TicksPerHour}h";
        if (ticks % TimeSpan.TicksPerMinute == 0) return $"{ticks / TimeSpan.TicksPerMinute}m";
        if (ticks % TimeSpan.TicksPerSecond == 0) return $"{ticks / TimeSpan.TicksPerSecond}s";
        if (ticks % TimeSpan.TicksPerMillisecond == 0) return $"{ticks / TimeSpan.TicksPerMillisecond}ms";
        return ((decimal)ticks / TimeSpan.TicksPerMillisecond).ToString("0.#######", CultureInfo.InvariantCulture) + "ms";
    }

    private static string Shorten(string? text) => Protocol.TextLimits.Quote(text, 60);
}

/// <summary>The durations a setting accepts, both ends included.</summary>
public readonly record struct DurationRange(TimeSpan Min, TimeSpan Max)
{
    /// <inheritdoc />
    public override string ToString() => $"{Durations.Format(Min)} to {Durations.Format(Max)}";
}

/// <summary>
/// The range of every duration setting (the table in docs/settings.md). Each bound says why it is there.
/// </summary>
public static class DurationLimits
{
    private static TimeSpan Ms(double n) => TimeSpan.FromMilliseconds(n);

    /// <summary>A loop's interval: faster than 100 ms floods the service; slower than a day is no longer monitoring.</summary>
    public static readonly DurationRange LoopInterval = new(Ms(100), TimeSpan.FromHours(24));

    /// <summary>A probe's timeout: at most 60 s (a probe out longer holds the loop's only slot), and never above the interval.</summary>
    public static readonly DurationRange ProbeTimeout = new(Ms(10), TimeSpan.FromSeconds(60));

    /// <summary>A summary window: at least a minute bucket; at most the metrics retention (the node's setting, 24 h by default).</summary>
    public static DurationRange SummaryWindow(TimeSpan metricsRetention) => new(TimeSpan.FromMinutes(1), metricsRetention);

    /// <summary>A silence: at least a minute, at most a year (a longer one is a rule to remove, not a silence).</summary>
    public static readonly DurationRange Silence = new(TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));

    /// <summary>A recurring maintenance window's length: it recurs weekly, so at most 7 days.</summary>
    public static readonly DurationRange RecurringWindow = new(TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));

    /// <summary>A timeout of the node's own calls (API asks, health checks, channel deliveries, maintenance requests).</summary>
    public static readonly DurationRange CallTimeout = new(Ms(100), TimeSpan.FromMinutes(5));

    /// <summary>A node-side housekeeping period (flushes, refreshes, re-assertions).</summary>
    public static readonly DurationRange Housekeeping = new(Ms(100), TimeSpan.FromHours(1));

    /// <summary>How long history is kept: at least an hour (a summary window of 1 h), at most a year.</summary>
    public static readonly DurationRange Retention = new(TimeSpan.FromHours(1), TimeSpan.FromDays(365));

    /// <summary>The spread of the loops' first probes: 0 probes at once; it is cut to one interval anyway, so at most the longest interval.</summary>
    public static readonly DurationRange LoopStartSpread = new(TimeSpan.Zero, TimeSpan.FromHours(24));

    /// <summary>How long a condition must hold before it alerts (a rule's For): 0 alerts at once; longer than a day is no longer an alert.</summary>
    public static readonly DurationRange AlertHold = new(TimeSpan.Zero, TimeSpan.FromHours(24));

    /// <summary>How often a firing alert is reminded (0 turns reminders off): more often than a minute is noise, less than monthly is forgotten.</summary>
    public static readonly DurationRange Reminder = new(TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));

    /// <summary>A wait between delivery attempts: at least 100 ms (no hammering a failing receiver), at most an hour (a backlog must drain).</summary>
    public static readonly DurationRange DeliveryBackoff = new(Ms(100), TimeSpan.FromHours(1));

    /// <summary>How long a notification is retried: long enough to outlast a short outage, at most a week (older news is stale).</summary>
    public static readonly DurationRange DeliveryGiveUp = new(TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
}
