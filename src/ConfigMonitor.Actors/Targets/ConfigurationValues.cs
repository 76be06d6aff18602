using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// Reads typed values from a configuration section; a value that does not parse is reported through
/// <paramref name="problem"/> (field, what is wrong) and the fallback is used, so one pass collects every problem.
/// </summary>
public sealed class ConfigurationValues(IConfigurationSection section, Action<string, string> problem)
{
    /// <summary>
    /// A duration in the one grammar of <see cref="Durations"/>, within <paramref name="range"/>; with
    /// <paramref name="zeroTurnsOff"/>, "0s" is also accepted (the setting is off).
    /// </summary>
    public TimeSpan Duration(string field, TimeSpan fallback, DurationRange range, bool zeroTurnsOff = false)
    {
        var text = section[field];
        if (text is null) return fallback;
        if (zeroTurnsOff && Durations.TryParse(text, out var zero) && zero == TimeSpan.Zero) return zero;
        var wrong = Durations.Check(text, range, out var value);
        if (wrong is null) return value;
        problem(field, zeroTurnsOff ? wrong + " (or 0s to turn it off)" : wrong);
        return fallback;
    }

    /// <summary>A text of at most <paramref name="limit"/> characters (<see cref="Protocol.TextLimits"/>); null when unset.</summary>
    public string? Text(string field, int limit)
    {
        var text = section[field];
        if (Protocol.TextLimits.Check(text, limit) is { } wrong)
        {
            problem(field, wrong);
            return null;
        }
        return text;
    }

    /// <summary>A finite number.</summary>
    public double Number(string field, double fallback)
    {
        var text = section[field];
        if (text is null) return fallback;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
        problem(field, $"is '{text}', which is not a number");
        return fallback;
    }

    /// <summary>A whole number within [min, max].</summary>
    public int Integer(string field, int fallback, int min, int max)
    {
        var text = section[field];
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        problem(field, $"is '{text}'; it must be a whole number from {min} to {max}");
        return fallback;
    }
}
