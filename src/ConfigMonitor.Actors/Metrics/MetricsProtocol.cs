using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>One measured value of one metric of one target.</summary>
public sealed record MetricSample(string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>The names of the metrics the loops record; units are in the names.</summary>
public static class MetricNames
{
    /// <summary>Time of one get_config(probe key), ms.</summary>
    public const string ConfigAccessMs = "config_access_ms";
    /// <summary>1 when the timed read answered, 0 when it failed or timed out.</summary>
    public const string ConfigAccessOk = "config_access_ok";
    /// <summary>1 when every component of the health probe answered, else 0.</summary>
    public const string HealthOk = "health_ok";
    /// <summary>Time of the whole health probe, ms.</summary>
    public const string HealthProbeMs = "health_probe_ms";
    /// <summary>The monitoring node's process memory (working set), MB.</summary>
    public const string ProcessMemoryMb = "process_memory_mb";
    /// <summary>Cache hits over requests, 0..1.</summary>
    public const string CacheHitRate = "cache_hit_rate";
    /// <summary>Cache size over max size, 0..1.</summary>
    public const string CacheUsage = "cache_usage";
    /// <summary>Entries in the cache.</summary>
    public const string CacheSize = "cache_size";
    /// <summary>Cache requests (hits + misses) so far.</summary>
    public const string CacheRequestsTotal = "cache_requests_total";
    /// <summary>1 when the cache statistics answered, else 0.</summary>
    public const string CacheProbeOk = "cache_probe_ok";
    /// <summary>Time of the database round trip, ms.</summary>
    public const string DatabaseResponseMs = "db_response_ms";
    /// <summary>1 when the database answered, else 0.</summary>
    public const string DatabaseOk = "db_ok";
    /// <summary>Rows of system_configurations.</summary>
    public const string DatabaseRowCount = "db_config_rows";
    /// <summary>Subscribe → notify → receive round trip, ms.</summary>
    public const string EventRoundTripMs = "event_round_trip_ms";
    /// <summary>1 when the probe's change event arrived in time, else 0.</summary>
    public const string EventDelivered = "event_delivered";

    /// <summary>True for a timing metric (its name ends in <c>_ms</c>): the ones summarised with percentiles.</summary>
    public static bool IsTiming(string metric) => metric.EndsWith("_ms", StringComparison.Ordinal);
}

/// <summary>Commands to a target's MetricsStore.</summary>
public static class MetricsCommands
{
    /// <summary>Samples from a loop; kept in memory at once and persisted with the next batch.</summary>
    public sealed record RecordSamples(string TargetId, IReadOnlyList<MetricSample> Samples) : IWithTargetId;

    /// <summary>Drop history older than <paramref name="Cutoff"/> from memory and from the journal; answered with <see cref="MetricsPruned"/>.</summary>
    public sealed record PruneMetrics(string TargetId, DateTimeOffset Cutoff) : IWithTargetId;

    /// <summary>Answer to <see cref="PruneMetrics"/>.</summary>
    public sealed record MetricsPruned(string TargetId, int RemovedSamples, int RetainedSamples) : IConfigMonitorMessage;

    /// <summary>Persist pending samples now; answered with <see cref="MetricsFlushed"/> once they are durable.</summary>
    public sealed record FlushMetrics(string TargetId) : IWithTargetId;

    /// <summary>Answer to <see cref="FlushMetrics"/>.</summary>
    public sealed record MetricsFlushed(string TargetId, int PersistedSamples) : IConfigMonitorMessage;
}

/// <summary>Queries to a target's MetricsStore.</summary>
public static class MetricsQueries
{
    /// <summary>The latest sample of every metric of the target; answered with <see cref="LatestMetrics"/>.</summary>
    public sealed record GetLatestMetrics(string TargetId) : IWithTargetId;

    /// <summary>Answer to <see cref="GetLatestMetrics"/>, ordered by metric name.</summary>
    public sealed record LatestMetrics(string TargetId, IReadOnlyList<MetricSample> Latest) : IConfigMonitorMessage;

    /// <summary>The raw samples still held for one metric (the newest few, RawSamplesPerMetric at most); answered with <see cref="RecentSamples"/>.</summary>
    public sealed record GetRecentSamples(string TargetId, string Metric) : IWithTargetId;

    /// <summary>Answer to <see cref="GetRecentSamples"/>: oldest first; empty when the metric has no samples.</summary>
    public sealed record RecentSamples(string TargetId, string Metric, IReadOnlyList<MetricSample> Samples) : IConfigMonitorMessage;

    /// <summary>
    /// The latest sample of every metric and the summaries of the timing metrics over the window ending now, in one
    /// answer (what a /metrics scrape needs of a target); answered with <see cref="MetricsOverview"/>.
    /// </summary>
    public sealed record GetMetricsOverview(string TargetId, TimeSpan Window) : IWithTargetId;

    /// <summary>Answer to <see cref="GetMetricsOverview"/>: latest samples by metric name, summaries of the timing metrics by name.</summary>
    public sealed record MetricsOverview(string TargetId, IReadOnlyList<MetricSample> Latest, IReadOnlyList<MetricSummary> Summaries) : IConfigMonitorMessage;

    /// <summary>A summary of one metric over the window ending now; answered with <see cref="MetricSummary"/>.</summary>
    public sealed record GetMetricSummary(string TargetId, string Metric, TimeSpan Window) : IWithTargetId;

    /// <summary>
    /// One metric's rollup buckets over the window ending now, oldest first, for a chart; answered with <see cref="MetricSeriesAnswer"/>.
    /// <paramref name="MaxPoints"/> bounds the answer (0: <see cref="DefaultMaxPoints"/>): past it, neighbouring buckets are merged
    /// into wider ones. A node of a build before this message does not read it: the asker's ask times out.
    /// </summary>
    public sealed record GetMetricSeries(string TargetId, string Metric, TimeSpan Window, int MaxPoints = 0) : IWithTargetId
    {
        /// <summary>The most points an answer has when the asker names no bound.</summary>
        public const int DefaultMaxPoints = 400;

        /// <summary>The fewest points an asker may ask for (an hour of minutes).</summary>
        public const int MinMaxPoints = 60;

        /// <summary>The most points an asker may ask for.</summary>
        public const int MaxMaxPoints = 2000;
    }

    /// <summary>
    /// Answer to <see cref="GetMetricSeries"/>: the points of the buckets that overlap [From, To], oldest first, empty buckets left
    /// out (a gap is a gap). <paramref name="BucketSeconds"/> is the widest bucket among the points (the chart's resolution; the
    /// newest hour is finer, each point says its own width). <paramref name="Overall"/> summarises the same buckets, as the summary
    /// query of the same window does.
    /// </summary>
    public sealed record MetricSeriesAnswer(
        string TargetId, string Metric, DateTimeOffset From, DateTimeOffset To, long BucketSeconds,
        IReadOnlyList<SeriesPoint> Points, MetricSummary Overall) : IConfigMonitorMessage;

    /// <summary>
    /// One bucket of a series: it starts at <paramref name="At"/> and spans <paramref name="Seconds"/>; count, average, min and max
    /// are exact, p95 and p99 come from its sketch (relative error ≤ <see cref="QuantileSketch.RelativeAccuracy"/>, clamped to min–max).
    /// </summary>
    public sealed record SeriesPoint(DateTimeOffset At, long Seconds, long Count, double Avg, double Min, double Max, double P95, double P99);

    /// <summary>Count, avg, min, max and percentiles of a metric between From and To; the figures are null when Count is 0.</summary>
    public sealed record MetricSummary(
        string TargetId, string Metric, DateTimeOffset From, DateTimeOffset To, long Count,
        double? Average, double? Min, double? Max, double? P50, double? P95, double? P99) : IConfigMonitorMessage;
}

/// <summary>Events and snapshots of the MetricsStore (the storage format).</summary>
public static class MetricsEvents
{
    /// <summary>A batch of samples made durable together (JSON, manifest MSR): still read on recovery, no longer written.</summary>
    public sealed record SamplesRecorded(IReadOnlyList<MetricSample> Samples) : IPersistedEvent;

    /// <summary>The retained samples at one point (JSON, manifest MSS): still read on recovery, no longer written.</summary>
    public sealed record MetricsSnapshot(IReadOnlyList<MetricSample> Samples) : IPersistedEvent;

    /// <summary>A batch of samples made durable together, stored in the compact binary layout of <see cref="MetricSampleBatchFormat"/> (manifest MSB).</summary>
    public sealed record SampleBatchRecorded(IReadOnlyList<MetricSample> Samples) : IPersistedEvent;

    /// <summary>The rolled-up history at one point, as <see cref="MetricRollups.ToBytes"/> wrote it (manifest MRS); the journal before it is deleted.</summary>
    public sealed record RollupSnapshot(byte[] Rollups) : IPersistedEvent;
}
