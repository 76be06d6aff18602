using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// Reads typed values from a configuration section; a value that does not parse is reported through
/// <paramref name="problem"/> (field, what is wrong) and the fallback is used, so one pass collects every problem.
/// </summary>
public sealed class ConfigurationValues(IConfigurationSection section, Action<string, string> problem)
{
    /// <summary>A duration ("250ms", "30s", "5m", "1h" or "00:01:00"); positive unless <paramref name="allowZero"/>.</summary>
    public TimeSpan Duration(string field, TimeSpan fallback, bool allowZero = false)
    {
        var text = section[field];
        if (text is null) return fallback;
        if (Durations.TryParse(text, out var value) && (value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero))) return value;
        problem(field, $"is '{text}', which is not a {(allowZero ? "" : "positive ")}duration (write 250ms, 30s, 5m, 1h or 00:01:00)");
        return fallback;
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
