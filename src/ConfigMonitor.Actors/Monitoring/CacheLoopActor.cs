using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// Reads cache statistics every interval. The hit rate is taken over the interval (from the change of the
/// counters since the previous probe), so a cache that stops hitting shows at once instead of being averaged
/// away by its whole history; the first probe, or one after the counters were reset, uses the counters as they are.
/// The rate is judged only over an interval that served <see cref="Targets.CacheSettings.MinRequests"/> requests.
/// </summary>
public sealed class CacheLoopActor(LoopContext loop) : MonitorLoopActor(loop, LoopNames.Cache, loop.Target.Cache.Interval)
{
    /// <summary>The rule for a low hit rate.</summary>
    public const string HitRateRule = "hit_rate";

    /// <summary>The rule for a cache that is too full.</summary>
    public const string UsageRule = "usage";

    /// <summary>The rule for statistics that do not answer.</summary>
    public const string StatsFailedRule = "stats_unavailable";

    private CacheStats? _previous;

    /// <inheritdoc />
    protected override async Task<object> ProbeAsync() =>
        await Loop.Adapter.GetCacheStatsAsync(Loop.Target.ProbeTimeout).ConfigureAwait(false);

    /// <summary>Hits and requests between two readings (since the reset, when the counters went back).</summary>
    public static (long Hits, long Requests) IntervalCounts(CacheStats? previous, CacheStats current) =>
        previous is null || current.Hits < previous.Hits || current.Misses < previous.Misses
            ? (current.Hits, current.TotalRequests)
            : (current.Hits - previous.Hits, current.TotalRequests - previous.TotalRequests);

    /// <inheritdoc />
    protected override ProbeEvaluation Evaluate(ProbeAnswered answered)
    {
        var at = answered.StartedAt;
        var stats = (CacheStats)answered.Answer;
        var (hits, requests) = IntervalCounts(_previous, stats);
        double? hitRate = requests == 0 ? null : (double)hits / requests;
        _previous = stats;
        var settings = Loop.Target.Cache;
        var samples = new List<MetricSample>
        {
            new(MetricNames.CacheSize, stats.Size, at),
            new(MetricNames.CacheRequestsTotal, stats.TotalRequests, at),
            new(MetricNames.CacheProbeOk, 1, at),
        };
        var observations = new List<Observation>
        {
            Observe(AlertCategory.Cache, StatsFailedRule, false, AlertSeverity.Warning, "cache statistics answer", at),
        };
        // A cache without a limit (Redis with maxmemory 0) has no usage: nothing is recorded or judged, never "0 %".
        if (stats.HasLimit)
        {
            samples.Insert(0, new MetricSample(MetricNames.CacheUsage, stats.Usage, at));
            observations.Insert(0, Observe(AlertCategory.Cache, UsageRule, stats.Usage > settings.MaxUsage, AlertSeverity.Warning,
                $"cache holds {stats.Size} of {stats.MaxSize} ({stats.Usage:P0}; limit {settings.MaxUsage:P0})",
                at, stats.Usage, settings.MaxUsage));
        }
        if (hitRate is { } rate)
        {
            samples.Add(new MetricSample(MetricNames.CacheHitRate, rate, at));
            // Too few requests say nothing about the cache: no observation, so an open alert stays as it is.
            if (requests >= settings.MinRequests)
                observations.Add(Observe(AlertCategory.Cache, HitRateRule, rate < settings.MinHitRate, AlertSeverity.Warning,
                    $"cache hit rate {rate:P1} over the last interval of {requests} requests (minimum {settings.MinHitRate:P0})",
                    at, rate, settings.MinHitRate));
        }
        return new ProbeEvaluation(samples, observations, null);
    }

    /// <inheritdoc />
    protected override ProbeEvaluation EvaluateFailure(ProbeFailed failed)
    {
        var error = Describe(failed.Cause);
        return new ProbeEvaluation(
            [new MetricSample(MetricNames.CacheProbeOk, 0, failed.StartedAt)],
            [Observe(AlertCategory.Cache, StatsFailedRule, true, AlertSeverity.Warning, $"cache statistics failed: {error}", failed.StartedAt)],
            error);
    }

    /// <summary>Props for the loop.</summary>
    public static Props Props(LoopContext loop) => ActorProps.Of(() => new CacheLoopActor(loop));
}
