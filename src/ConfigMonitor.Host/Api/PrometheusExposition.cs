using System.Globalization;
using System.Text;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: one HELP and TYPE line per family, then its samples,
/// with label values and help text escaped as the format requires.
/// </summary>
public sealed class PrometheusExposition
{
    /// <summary>The content type Prometheus expects for this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    /// <summary>Starts a family; a family already written is not repeated.</summary>
    public PrometheusExposition Family(string name, string type, string help)
    {
        if (!_families.Add(name)) return this;
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>One sample: <c>name{labels} value</c>.</summary>
    public PrometheusExposition Sample(string name, double value, params (string Name, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Name).Append("=\"").Append(EscapeLabel(labels[i].Value)).Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(Format(value)).Append('\n');
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => _text.ToString();

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static string EscapeLabel(string value) => value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n");

    /// <summary>Help text escapes backslash and line feed.</summary>
    public static string EscapeHelp(string value) => value.Replace("\\", @"\\").Replace("\n", @"\n");

    /// <summary>Go-style float text: NaN, +Inf, -Inf, or the shortest round-trip form.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The Prometheus name of one of our metrics, in base units as the conventions (and promtool) ask:
    /// <c>config_access_ms</c> → <c>configmonitor_config_access_seconds</c> (value / 1000), <c>process_memory_mb</c> →
    /// <c>configmonitor_process_memory_bytes</c> (value × 2^20); other names keep their unit.
    /// </summary>
    public static (string Name, double Scale) Convert(string metric)
    {
        var safe = new string(metric.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
        if (safe.EndsWith("_ms", StringComparison.Ordinal)) return ($"configmonitor_{safe[..^3]}_seconds", 0.001);
        if (safe.EndsWith("_mb", StringComparison.Ordinal)) return ($"configmonitor_{safe[..^3]}_bytes", 1024d * 1024d);
        return ($"configmonitor_{safe}", 1);
    }
}
