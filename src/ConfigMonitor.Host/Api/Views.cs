using System.Text.Json.Serialization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Host.Api;

// The management API's JSON, record by record. These are the API's contract, kept apart from the records the journal stores
// and the nodes send each other (ConfigMonitor.Actors): renaming a stored field must not change the API, and renaming a view
// field must not change what is stored. Each view is built by an explicit mapping (ApiViews); enum values are the API's own
// words. ApiContracts/Golden in the Host specs holds the JSON these views must keep writing.

/// <summary>An alert as the API shows it.</summary>
public sealed record AlertView(
    string Id, string TargetId, string Category, string Rule, string Severity, string Message,
    DateTimeOffset RaisedAt, DateTimeOffset LastSeenAt, DateTimeOffset? ResolvedAt,
    bool Acknowledged, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy,
    string State, DateTimeOffset? FiredAt, string? AcknowledgeComment, string? Group, DateTimeOffset? LastNotifiedAt, string? SuppressedBy,
    string Fingerprint, bool IsActive, bool IsOpen);

/// <summary>One condition of a silence or maintenance window.</summary>
public sealed record MatcherView(string Field, string Value, bool IsRegex);

/// <summary>A silence as the API shows it.</summary>
public sealed record SilenceView(
    string Id, IReadOnlyList<MatcherView> Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string CreatedBy, string Comment, DateTimeOffset? ExpiredAt);

/// <summary>A maintenance window's weekly recurrence; the start is a time of day ("02:00").</summary>
public sealed record RecurrenceView(
    IReadOnlyList<DayOfWeek> Days, [property: JsonConverter(typeof(TimeOfDayJsonConverter))] TimeSpan StartTime, TimeSpan Duration, string TimeZone);

/// <summary>A maintenance window as the API shows it (the answer of a create).</summary>
public sealed record MaintenanceWindowView(
    string Id, string Name, IReadOnlyList<MatcherView> Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, RecurrenceView? Recurrence,
    string CreatedBy, DateTimeOffset? DeletedAt);

/// <summary>A maintenance window and whether it is open now (an item of the list).</summary>
public sealed record MaintenanceWindowStateView(MaintenanceWindowView Window, bool Open);

/// <summary>
/// A target as the API shows it: its definition, where it comes from (configuration or runtime), its status when the node
/// monitoring it answered, and its four facets as the monitor reaches them (kind and endpoint in effect after the Adapter
/// shorthand; credentials redacted).
/// </summary>
public sealed record TargetView(string Id, string Source, TargetDefinitionView Definition, TargetStatusView? Status, IReadOnlyList<FacetView> Facets);

/// <summary>One facet of a target: its kind (none when the target lacks it) and redacted endpoint.</summary>
public sealed record FacetView(string Facet, string Kind, string? Endpoint);

/// <summary>A target's definition as the API shows it (secrets by reference only, as defined).</summary>
public sealed record TargetDefinitionView(
    string Id, string Adapter, string Endpoint, string ProbeKey, TimeSpan ProbeTimeout,
    PerformanceSettingsView Performance, HealthSettingsView Health, CacheSettingsView Cache, DatabaseSettingsView Database,
    EventProbeSettingsView EventProbe, string? Group, ConfigFacetView Config,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Provider,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret);

/// <summary>The performance loop's settings.</summary>
public sealed record PerformanceSettingsView(TimeSpan Interval, double AccessTimeThresholdMs);

/// <summary>The health loop's settings.</summary>
public sealed record HealthSettingsView(TimeSpan Interval, double MaxProcessMemoryMb);

/// <summary>How a facet is reached; a field not set is left out.</summary>
public record FacetReachView
{
    /// <summary>actor, http, etcd, sql, redis or none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Kind { get; init; }
    /// <summary>Where the facet is.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Endpoint { get; init; }
    /// <summary>sql: postgresql or sqlite.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Provider { get; init; }
    /// <summary>The secret by reference (env:NAME or file:/path).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Secret { get; init; }
    /// <summary>http: the preset.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Preset { get; init; }
    /// <summary>http: the path.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Path { get; init; }
    /// <summary>http config: the JSON pointer to the value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Pointer { get; init; }
    /// <summary>http cache: the hits pointer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? HitsPointer { get; init; }
    /// <summary>http cache: the misses pointer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MissesPointer { get; init; }
    /// <summary>http cache: the size pointer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SizePointer { get; init; }
    /// <summary>http cache: the max size pointer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MaxSizePointer { get; init; }
    /// <summary>http events: the notify path.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? NotifyPath { get; init; }
    /// <summary>sql: the query.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Query { get; init; }
    /// <summary>redis and sql events: the channel.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Channel { get; init; }
    /// <summary>etcd: the key prefix.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? KeyPrefix { get; init; }
}

/// <summary>The config facet's reach.</summary>
public sealed record ConfigFacetView : FacetReachView;

/// <summary>The cache loop's settings and the cache facet's reach.</summary>
public sealed record CacheSettingsView : FacetReachView
{
    /// <summary>How often the loop probes.</summary>
    public required TimeSpan Interval { get; init; }
    /// <summary>The lowest acceptable hit rate.</summary>
    public required double MinHitRate { get; init; }
    /// <summary>The highest acceptable size / max size.</summary>
    public required double MaxUsage { get; init; }
    /// <summary>The fewest requests of an interval whose hit rate is judged.</summary>
    public required long MinRequests { get; init; }
}

/// <summary>The database loop's settings and the database facet's reach.</summary>
public sealed record DatabaseSettingsView : FacetReachView
{
    /// <summary>How often the loop probes.</summary>
    public required TimeSpan Interval { get; init; }
    /// <summary>The slowest acceptable round trip.</summary>
    public required double ResponseTimeThresholdMs { get; init; }
    /// <summary>The highest acceptable share of the storage quota.</summary>
    public required double MaxStorageUsage { get; init; }
}

/// <summary>The event round trip's settings and the events facet's reach.</summary>
public sealed record EventProbeSettingsView : FacetReachView
{
    /// <summary>The key the probe changes.</summary>
    public required string Key { get; init; }
    /// <summary>How long the change event may take.</summary>
    public required TimeSpan Timeout { get; init; }
}

/// <summary>A target's loops and facets as the node monitoring it sees them.</summary>
public sealed record TargetStatusView(
    string TargetId, bool Monitoring, string Node, IReadOnlyList<LoopStatusView> Loops, IReadOnlyList<FacetStatusView> Facets,
    DateTimeOffset? LastSuccessAt, int ConsecutiveFailures);

/// <summary>One loop of a target.</summary>
public sealed record LoopStatusView(string Loop, long Probes, DateTimeOffset? LastProbeAt, DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, string? LastError);

/// <summary>One facet of a target as the monitor reaches it.</summary>
public sealed record FacetStatusView(string Facet, string Kind, string Endpoint, long Probes, DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, string? LastError);

/// <summary>The body of <c>/health</c>: the worst state, and every check.</summary>
public sealed record HealthReportView(string Status, DateTimeOffset CheckedAt, double DurationMs, IReadOnlyList<HealthCheckView> Checks);

/// <summary>One check of <c>/health</c>.</summary>
public sealed record HealthCheckView(
    string Name, string? TargetId, string Status, string Message, IReadOnlyDictionary<string, double> Figures, string? Error, double DurationMs, bool Healthy);

/// <summary>The body of <c>GET /api/status</c>: counts by state over every target, how many match the filter, the groups, one page of targets.</summary>
public sealed record StatusView(
    StateCountsView Counts, int Matching, IReadOnlyList<string> Groups, IReadOnlyList<TargetSummaryView> Targets, string? Next,
    IReadOnlyList<string> UnansweredNodes);

/// <summary>How many targets are in each state.</summary>
public sealed record StateCountsView(int Total, int Healthy, int Degraded, int Unhealthy, int NotApplicable, int Unknown);

/// <summary>One target of the overview.</summary>
public sealed record TargetSummaryView(string Id, string State, string Node, DateTimeOffset? LastProbeAt, string? Group);

/// <summary>The body of <c>GET /api/targets/{id}/health</c>: the target's state and its seven checks, from the loops' last results.</summary>
public sealed record TargetHealthView(string TargetId, string State, string Node, DateTimeOffset? CheckedAt, IReadOnlyList<HealthCheckView> Checks);

/// <summary>The mappings from the stored and message records of ConfigMonitor.Actors to the API's views, one function per record.</summary>
public static class ApiViews
{
    /// <summary>The view of an alert.</summary>
    public static AlertView Of(Alert a) => new(
        a.Id, a.TargetId, Name(a.Category), a.Rule, Name(a.Severity), a.Message, a.RaisedAt, a.LastSeenAt, a.ResolvedAt,
        a.Acknowledged, a.AcknowledgedAt, a.AcknowledgedBy, Name(a.State), a.FiredAt, a.AcknowledgeComment, a.Group, a.LastNotifiedAt, a.SuppressedBy,
        a.Fingerprint, a.IsActive, a.IsOpen);

    /// <summary>The view of a matcher.</summary>
    public static MatcherView Of(Matcher m) => new(Name(m.Field), m.Value, m.IsRegex);

    /// <summary>The view of a silence.</summary>
    public static SilenceView Of(Silence s) => new(s.Id, s.Matchers.Select(Of).ToList(), s.StartsAt, s.EndsAt, s.CreatedBy, s.Comment, s.ExpiredAt);

    /// <summary>The view of a maintenance window.</summary>
    public static MaintenanceWindowView Of(MaintenanceWindow w) => new(
        w.Id, w.Name, w.Matchers.Select(Of).ToList(), w.StartsAt, w.EndsAt,
        w.Recurrence is { } r ? new RecurrenceView(r.Days.ToList(), r.StartTime, r.Duration, r.TimeZone) : null,
        w.CreatedBy, w.DeletedAt);

    /// <summary>The view of a target: its definition, where it comes from, its status if known, and its facets.</summary>
    public static TargetView Of(TargetDefinition definition, string source, TargetMonitorQueries.TargetStatus? status = null) => new(
        definition.Id, source, Of(definition), status is null ? null : Of(status),
        TargetFacets.Resolve(definition).Select(f => new FacetView(f.Facet, f.Kind, f.Present ? f.RedactedEndpoint : null)).ToList());

    /// <summary>The view of a target definition.</summary>
    public static TargetDefinitionView Of(TargetDefinition d) => new(
        d.Id, d.Adapter, d.Endpoint, d.ProbeKey, d.ProbeTimeout,
        new PerformanceSettingsView(d.Performance.Interval, d.Performance.AccessTimeThresholdMs),
        new HealthSettingsView(d.Health.Interval, d.Health.MaxProcessMemoryMb),
        Reach(d.Cache, new CacheSettingsView
        {
            Interval = d.Cache.Interval, MinHitRate = d.Cache.MinHitRate, MaxUsage = d.Cache.MaxUsage, MinRequests = d.Cache.MinRequests,
        }),
        Reach(d.Database, new DatabaseSettingsView
        {
            Interval = d.Database.Interval, ResponseTimeThresholdMs = d.Database.ResponseTimeThresholdMs, MaxStorageUsage = d.Database.MaxStorageUsage,
        }),
        Reach(d.EventProbe, new EventProbeSettingsView { Key = d.EventProbe.Key, Timeout = d.EventProbe.Timeout }),
        d.Group, Reach(d.Config, new ConfigFacetView()), d.Provider, d.Secret);

    private static T Reach<T>(FacetSettings f, T view) where T : FacetReachView => view with
    {
        Kind = f.Kind, Endpoint = f.Endpoint, Provider = f.Provider, Secret = f.Secret, Preset = f.Preset, Path = f.Path, Pointer = f.Pointer,
        HitsPointer = f.HitsPointer, MissesPointer = f.MissesPointer, SizePointer = f.SizePointer, MaxSizePointer = f.MaxSizePointer,
        NotifyPath = f.NotifyPath, Query = f.Query, Channel = f.Channel, KeyPrefix = f.KeyPrefix,
    };

    /// <summary>The view of a target's status.</summary>
    public static TargetStatusView Of(TargetMonitorQueries.TargetStatus s) => new(
        s.TargetId, s.Monitoring, s.Node,
        s.Loops.Select(l => new LoopStatusView(l.Loop, l.Probes, l.LastProbeAt, l.LastSuccessAt, l.ConsecutiveFailures, l.LastError)).ToList(),
        s.Facets.Select(f => new FacetStatusView(f.Facet, f.Kind, f.Endpoint, f.Probes, f.LastSuccessAt, f.ConsecutiveFailures, f.LastError)).ToList(),
        s.LastSuccessAt, s.ConsecutiveFailures);

    /// <summary>The view of a health report.</summary>
    public static HealthReportView Of(HealthReport r) => new(
        Name(r.Status), r.CheckedAt, r.DurationMs,
        r.Checks.Select(c => new HealthCheckView(c.Name, c.TargetId, Name(c.Status), c.Message, c.Figures, c.Error, c.DurationMs, c.Healthy)).ToList());

    /// <summary>The view of the cluster's merged status page.</summary>
    public static StatusView Of(Actors.Overview.StatusBoardQueries.StatusPage p, string? next, IReadOnlyList<string> unansweredNodes) => new(
        Of(p.Counts), p.Matching.Total, p.Groups,
        p.Targets.Select(t => new TargetSummaryView(t.Id, Name(t.State), t.Node, t.LastProbeAt, t.Group)).ToList(), next, unansweredNodes);

    /// <summary>The view of counts by state.</summary>
    public static StateCountsView Of(Actors.Overview.StateCounts c) => new(c.Total, c.Healthy, c.Degraded, c.Unhealthy, c.NotApplicable, c.Unknown);

    /// <summary>The view of a target's health from its last results.</summary>
    public static TargetHealthView Of(TargetMonitorQueries.TargetHealthReport r) => new(
        r.TargetId, Name(r.State), r.Node, r.CheckedAt, r.Checks.Select(Of).ToList());

    private static HealthCheckView Of(HealthCheckResult c) => new(c.Name, c.TargetId, Name(c.Status), c.Message, c.Figures, c.Error, c.DurationMs, c.Healthy);

    /// <summary>The API's word for a category.</summary>
    public static string Name(AlertCategory category) => category switch
    {
        AlertCategory.Performance => "performance",
        AlertCategory.Health => "health",
        AlertCategory.Cache => "cache",
        AlertCategory.Database => "database",
        AlertCategory.EventSystem => "event_system",
        _ => throw Unmapped(category),
    };

    /// <summary>The API's word for a severity.</summary>
    public static string Name(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Info => "info",
        AlertSeverity.Warning => "warning",
        AlertSeverity.Critical => "critical",
        _ => throw Unmapped(severity),
    };

    /// <summary>The API's word for an alert state.</summary>
    public static string Name(AlertState state) => state switch
    {
        AlertState.Pending => "pending",
        AlertState.Firing => "firing",
        AlertState.Resolved => "resolved",
        _ => throw Unmapped(state),
    };

    /// <summary>The API's word for a matcher field.</summary>
    public static string Name(MatchField field) => field switch
    {
        MatchField.Target => "target",
        MatchField.Category => "category",
        MatchField.Severity => "severity",
        MatchField.Rule => "rule",
        MatchField.Group => "group",
        _ => throw Unmapped(field),
    };

    /// <summary>The API's word for a health state.</summary>
    public static string Name(HealthState state) => state switch
    {
        HealthState.Unknown => "unknown",
        HealthState.NotApplicable => "not_applicable",
        HealthState.Healthy => "healthy",
        HealthState.Degraded => "degraded",
        HealthState.Unhealthy => "unhealthy",
        _ => throw Unmapped(state),
    };

    // A value added to an enum of the library needs its API word here (ApiViewSpecs names every member): never a guess.
    private static ArgumentOutOfRangeException Unmapped<T>(T value) where T : struct, Enum =>
        new(nameof(value), value, $"{typeof(T).Name}.{value} has no name in the management API; add it to ApiViews.Name");
}

/// <summary>
/// A metric's series over a window, for a chart (<c>GET /api/targets/{id}/metrics/{metric}/series</c>): the store's rollup
/// buckets oldest first (hourly, then the last hour in minutes; empty buckets left out), the thresholds its rules apply, and
/// the summary of the same buckets. <c>BucketSeconds</c> is the widest bucket among the points (0 when there are none).
/// </summary>
public sealed record MetricSeriesView(
    string TargetId, string Metric, string Window, long BucketSeconds, DateTimeOffset From, DateTimeOffset To, string? Unit,
    IReadOnlyList<ThresholdView> Thresholds, IReadOnlyList<SeriesPointView> Points, SeriesSummaryView Overall)
{
    /// <summary>The view of a store's answer, with the thresholds of the target's definition.</summary>
    public static MetricSeriesView Of(ConfigMonitor.Actors.Metrics.MetricsQueries.MetricSeriesAnswer answer, TimeSpan window,
        IEnumerable<ConfigMonitor.Actors.Metrics.MetricThreshold> thresholds) => new(
        answer.TargetId, answer.Metric, WindowLabel(window), answer.BucketSeconds, answer.From, answer.To, UnitOf(answer.Metric),
        thresholds.Select(t => new ThresholdView(t.Rule, t.Value, ApiViews.Name(t.Severity), t.Breach == ConfigMonitor.Actors.Metrics.BreachSide.Above ? "above" : "below")).ToList(),
        answer.Points.Select(p => new SeriesPointView(p.At, p.Seconds, p.Count, p.Avg, p.Min, p.Max, p.P95, p.P99)).ToList(),
        new SeriesSummaryView(answer.Overall.Count, answer.Overall.Average, answer.Overall.Min, answer.Overall.Max, answer.Overall.P50,
            answer.Overall.P95, answer.Overall.P99));

    /// <summary>A window as the charts name it: whole hours in hours ("24h", not "1d"), anything else in the duration grammar.</summary>
    public static string WindowLabel(TimeSpan window) =>
        window.Ticks % TimeSpan.TicksPerHour == 0 && window > TimeSpan.Zero ? $"{window.Ticks / TimeSpan.TicksPerHour}h" : Durations.Format(window);

    /// <summary>The unit a metric's name ends in (ms, mb, bytes), ratio for a rate or usage, flag for 1/0 answers; null when its name says none.</summary>
    public static string? UnitOf(string metric) => metric switch
    {
        _ when metric.EndsWith("_ms", StringComparison.Ordinal) => "ms",
        _ when metric.EndsWith("_mb", StringComparison.Ordinal) => "MB",
        _ when metric.EndsWith("_bytes", StringComparison.Ordinal) => "bytes",
        _ when metric.EndsWith("_rate", StringComparison.Ordinal) || metric.EndsWith("_usage", StringComparison.Ordinal) => "ratio",
        _ when metric.EndsWith("_ok", StringComparison.Ordinal) || metric == ConfigMonitor.Actors.Metrics.MetricNames.EventDelivered => "flag",
        _ => null,
    };
}

/// <summary>A value a rule compares the metric with: the rule, the value, its alert's severity, and whether above or below breaches.</summary>
public sealed record ThresholdView(string Name, double Value, string Severity, string Breach);

/// <summary>One bucket of a series: its start, its width, exact count/avg/min/max, p95/p99 from its sketch (within 1 %).</summary>
public sealed record SeriesPointView(DateTimeOffset At, long Seconds, long Count, double Avg, double Min, double Max, double P95, double P99);

/// <summary>The summary of all the points' buckets: what the summary route answers for the same window.</summary>
public sealed record SeriesSummaryView(long Count, double? Avg, double? Min, double? Max, double? P50, double? P95, double? P99);
