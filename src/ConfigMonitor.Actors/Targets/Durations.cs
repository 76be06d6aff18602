using System.Globalization;
using System.Text.RegularExpressions;

namespace ConfigMonitor.Actors.Targets;

/// <summary>Reads durations as operators write them: "250ms", "30s", "5m", "1h", "2d" or a TimeSpan ("00:01:00").</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^\s*(?<n>\d+(\.\d+)?)\s*(?<unit>ms|s|m|h|d)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex WithUnit();

    /// <summary>Parses <paramref name="text"/>; false when it is not a duration.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var match = WithUnit().Match(text);
        if (match.Success)
        {
            var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            value = match.Groups["unit"].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Writes a duration the way <see cref="TryParse"/> reads it.</summary>
    public static string Format(TimeSpan value) => value switch
    {
        { TotalMilliseconds: < 1000 } => $"{value.TotalMilliseconds:0.###}ms",
        { TotalSeconds: < 60 } => $"{value.TotalSeconds:0.###}s",
        { TotalMinutes: < 60 } => $"{value.TotalMinutes:0.###}m",
        _ => $"{value.TotalHours:0.###}h",
    };
}
