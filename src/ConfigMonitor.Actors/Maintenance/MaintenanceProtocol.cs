using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Maintenance;

/// <summary>Retention and event-probe schedule of the maintenance singleton (seed defaults).</summary>
public sealed record MaintenanceSettings
{
    /// <summary>How often retention runs (seed: hourly).</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long metric history is kept (seed: 24 h).</summary>
    public TimeSpan MetricsRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long acknowledged, resolved alerts are kept (seed: 72 h).</summary>
    public TimeSpan AcknowledgedAlertRetention { get; init; } = TimeSpan.FromHours(72);

    /// <summary>How often every target gets an event-system round trip.</summary>
    public TimeSpan EventProbeInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one retention request to a store may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Messages of the maintenance singleton.</summary>
public static class MaintenanceCommands
{
    /// <summary>Run retention now; answered with <see cref="RetentionCompleted"/>.</summary>
    public sealed record RunRetention : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly RunRetention Instance = new();
    }

    /// <summary>What one retention run removed.</summary>
    public sealed record RetentionCompleted(
        DateTimeOffset MetricsCutoff, DateTimeOffset AlertsCutoff, int Targets, int SamplesRemoved, int AlertsRemoved, IReadOnlyList<string> Errors)
        : IConfigMonitorMessage;

    /// <summary>Run an event probe on every target now; each result goes to the sender as <see cref="EventProbeResult"/> too.</summary>
    public sealed record RunEventProbes : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly RunEventProbes Instance = new();
    }
}
