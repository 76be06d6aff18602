using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Times get_config(probe key) every interval; a read slower than the threshold is a performance breach.</summary>
public sealed class PerformanceLoopActor(LoopContext loop) : MonitorLoopActor(loop, LoopNames.Performance, loop.Target.Performance.Interval)
{
    /// <summary>The rule for slow reads.</summary>
    public const string AccessTimeRule = "access_time";

    /// <summary>The rule for reads that fail or time out.</summary>
    public const string ReadFailedRule = "config_read_failed";

    /// <inheritdoc />
    protected override Task WarmUpAsync() => Loop.Adapter.GetConfigAsync(Loop.Target.ProbeKey, null, Loop.Target.ProbeTimeout);

    /// <inheritdoc />
    protected override async Task<object> ProbeAsync() =>
        await Loop.Adapter.GetConfigAsync(Loop.Target.ProbeKey, null, Loop.Target.ProbeTimeout).ConfigureAwait(false);

    /// <inheritdoc />
    protected override ProbeEvaluation Evaluate(ProbeAnswered answered)
    {
        var at = answered.StartedAt;
        var ms = answered.ElapsedMs;
        return new ProbeEvaluation(
            [new MetricSample(MetricNames.ConfigAccessMs, ms, at), new MetricSample(MetricNames.ConfigAccessOk, 1, at)],
            [
                ObserveTime(AlertCategory.Performance, AccessTimeRule, $"reading '{Loop.Target.ProbeKey}'", ms,
                    Loop.Target.Performance.AccessTimeThresholdMs, at),
                Observe(AlertCategory.Performance, ReadFailedRule, false, AlertSeverity.Critical, "config reads answer", at),
            ],
            null);
    }

    /// <inheritdoc />
    protected override ProbeEvaluation EvaluateFailure(ProbeFailed failed)
    {
        var error = Describe(failed.Cause);
        return new ProbeEvaluation(
            [new MetricSample(MetricNames.ConfigAccessOk, 0, failed.StartedAt)],
            [Observe(AlertCategory.Performance, ReadFailedRule, true, AlertSeverity.Critical,
                $"reading '{Loop.Target.ProbeKey}' failed: {error}", failed.StartedAt)],
            error);
    }

    /// <summary>Props for the loop.</summary>
    public static Props Props(LoopContext loop) => ActorProps.Of(() => new PerformanceLoopActor(loop));
}
