namespace ConfigMonitor.Host.Api;

/// <summary>How ConfigMonitor's metric names become Prometheus names.</summary>
public static class PrometheusNames
{
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
