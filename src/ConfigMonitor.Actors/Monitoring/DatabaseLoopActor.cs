using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Times a SELECT 1 round trip (and counts system_configurations) every interval.</summary>
public sealed class DatabaseLoopActor(LoopContext loop) : MonitorLoopActor(loop, LoopNames.Database, loop.Target.Database.Interval)
{
    /// <summary>The rule for slow round trips.</summary>
    public const string ResponseTimeRule = "response_time";

    /// <summary>The rule for a store near its size quota (kinds that report one: etcd).</summary>
    public const string StorageQuotaRule = "storage_quota";

    /// <summary>The rule for a database that does not answer.</summary>
    public const string UnreachableRule = "unreachable";

    /// <inheritdoc />
    protected override Task WarmUpAsync() => Loop.Adapter.ProbeDatabaseAsync(Loop.Target.ProbeTimeout);

    /// <inheritdoc />
    protected override async Task<object> ProbeAsync() =>
        await Loop.Adapter.ProbeDatabaseAsync(Loop.Target.ProbeTimeout).ConfigureAwait(false);

    /// <inheritdoc />
    protected override ProbeEvaluation Evaluate(ProbeAnswered answered)
    {
        var at = answered.StartedAt;
        var result = (DatabaseProbeResult)answered.Answer;
        var ms = answered.ElapsedMs;
        var samples = new List<MetricSample>
        {
            new(MetricNames.DatabaseResponseMs, ms, at),
            new(MetricNames.DatabaseOk, 1, at),
        };
        if (result.HasRowCount) samples.Add(new MetricSample(MetricNames.DatabaseRowCount, result.ConfigurationRowCount, at));
        var observations = new List<Observation>
        {
            ObserveTime(AlertCategory.Database, ResponseTimeRule, "database round trip", ms, Loop.Target.Database.ResponseTimeThresholdMs, at),
            Observe(AlertCategory.Database, UnreachableRule, false, AlertSeverity.Critical, "the database answers", at),
        };
        // What a kind reports beyond the round trip (etcd: leader, db size, quota, raft term) is kept as db_* samples.
        foreach (var (figure, value) in result.Figures ?? new Dictionary<string, double>())
            if (double.IsFinite(value)) samples.Add(new MetricSample(figure.StartsWith("db_", StringComparison.Ordinal) ? figure : "db_" + figure, value, at));
        if (result.Figures is { } figures && figures.TryGetValue("db_size_bytes", out var size) && figures.TryGetValue("db_quota_bytes", out var quota) && quota > 0)
        {
            var usage = size / quota;
            var limit = Loop.Target.Database.MaxStorageUsage;
            observations.Add(Observe(AlertCategory.Database, StorageQuotaRule, usage > limit, AlertSeverity.Warning,
                $"the store holds {Bytes(size)} of its {Bytes(quota)} quota ({usage:P0}; limit {limit:P0})", at, usage, limit));
        }
        return new ProbeEvaluation(samples, observations, null);
    }

    /// <summary>A size in the largest binary unit that keeps it above 1 (28672 → "28 KiB").</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        >= 1024d * 1024 * 1024 => $"{bytes / (1024d * 1024 * 1024):0.#} GiB",
        >= 1024 * 1024 => $"{bytes / (1024 * 1024):0.#} MiB",
        >= 1024 => $"{bytes / 1024:0.#} KiB",
        _ => $"{bytes:0} bytes",
    };

    /// <inheritdoc />
    protected override ProbeEvaluation EvaluateFailure(ProbeFailed failed)
    {
        var error = Describe(failed.Cause);
        return new ProbeEvaluation(
            [new MetricSample(MetricNames.DatabaseOk, 0, failed.StartedAt)],
            [Observe(AlertCategory.Database, UnreachableRule, true, AlertSeverity.Critical, $"database round trip failed: {error}", failed.StartedAt)],
            error);
    }

    /// <summary>Props for the loop.</summary>
    public static Props Props(LoopContext loop) => ActorProps.Of(() => new DatabaseLoopActor(loop));
}
