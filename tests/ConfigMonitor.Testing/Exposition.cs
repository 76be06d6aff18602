using System.Globalization;
using System.Text.RegularExpressions;

namespace ConfigMonitor.Testing;

/// <summary>One sample line of the Prometheus text format: name, labels, value.</summary>
public sealed record ExposedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>The value of label <paramref name="name"/>, or null.</summary>
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;
}

/// <summary>Reads the sample lines of a <c>/metrics</c> answer (comments skipped; label values unescaped).</summary>
public static partial class Exposition
{
    /// <summary>Every sample line of <paramref name="text"/>.</summary>
    public static IReadOnlyList<ExposedSample> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Select(ParseLine).ToList();

    private static ExposedSample ParseLine(string line)
    {
        var match = SampleLine().Match(line);
        Assert.True(match.Success, $"not a sample line: {line}");
        var labels = LabelPair().Matches(match.Groups["labels"].Value)
            .ToDictionary(m => m.Groups["name"].Value, m => Regex.Unescape(m.Groups["value"].Value));
        var value = match.Groups["value"].Value switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            var number => double.Parse(number, CultureInfo.InvariantCulture),
        };
        return new ExposedSample(match.Groups["name"].Value, labels, value);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
