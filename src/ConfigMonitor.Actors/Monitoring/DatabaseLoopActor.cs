using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Times a SELECT 1 round trip (and counts system_configurations) every interval.</summary>
public sealed class DatabaseLoopActor(LoopContext loop) : MonitorLoopActor(loop, LoopNames.Database, loop.Target.Database.Interval)
{
    /// <summary>The rule for slow round trips.</summary>
    public const string ResponseTimeRule = "response_time";

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
        return new ProbeEvaluation(
            [
                new MetricSample(MetricNames.DatabaseResponseMs, ms, at),
                new MetricSample(MetricNames.DatabaseOk, 1, at),
                new MetricSample(MetricNames.DatabaseRowCount, result.ConfigurationRowCount, at),
            ],
            [
                ObserveTime(AlertCategory.Database, ResponseTimeRule, "database round trip", ms, Loop.Target.Database.ResponseTimeThresholdMs, at),
                Observe(AlertCategory.Database, UnreachableRule, false, AlertSeverity.Critical, "the database answers", at),
            ],
            null);
    }

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
    public static Props Props(LoopContext loop) => Akka.Actor.Props.Create(() => new DatabaseLoopActor(loop));
}
