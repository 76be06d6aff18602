using ConfigMonitor.Actors.Hosting;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// Everything a loop needs: the target, its adapter, its target's MetricsStore (where samples go, a child of the target's
/// entity), the target entity itself (where observations go, to the entity's alert evaluation) and the clock.
/// </summary>
public sealed record LoopContext(
    TargetDefinition Target, IConfigServiceAdapter Adapter, IActorRef MetricsStore, IActorRef Entity, IClock Clock)
{
    /// <summary>
    /// The first probes of a node's loops are spread over this much time (at most one interval), each target at a fixed
    /// offset derived from its id (its four loops together), so thousands of targets do not all probe in the same millisecond, tick after tick.
    /// Zero: every loop probes at once.
    /// </summary>
    public TimeSpan StartSpread { get; init; } = TimeSpan.Zero;

    /// <summary>The fixed offset of a loop's first probe within the start spread (the same for every loop of the target).</summary>
    public TimeSpan StartOffset(string loop, TimeSpan interval)
    {
        var spread = StartSpread < interval ? StartSpread : interval;
        if (spread <= TimeSpan.Zero) return TimeSpan.Zero;
        // FNV-1a: stable across processes and runs, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in Target.Id) hash = (hash ^ c) * 16777619u;
        return TimeSpan.FromTicks((long)(spread.Ticks * (hash / (double)uint.MaxValue)));
    }
}

/// <summary>What one probe produced once evaluated: samples for the MetricsStore, observations for the target's alert evaluation.</summary>
public sealed record ProbeEvaluation(IReadOnlyList<MetricSample> Samples, IReadOnlyList<Observation> Observations, string? Error)
{
    /// <summary>True when the probe reached the service.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Sent by a loop to its TargetMonitor after each probe. <paramref name="Answer"/> is the service's answer when the probe succeeded
/// (cache statistics, a database probe's result…) and <paramref name="ElapsedMs"/> how long the timed call took: the last results
/// the target's health is judged from (<see cref="TargetHealth"/>) without asking the service again.
/// </summary>
public sealed record LoopProbed(string Loop, DateTimeOffset At, string? Error, object? Answer = null, double ElapsedMs = 0)
    : INoSerializationVerificationNeeded;

/// <summary>
/// A scheduled loop: a timer, one probe through the target's adapter (async, piped back, with a timeout), and
/// messages out. The first probe runs at start (within the node's start spread). A tick while a probe is still out is skipped, never queued.
/// Subclasses supply the probe (which must only read immutable context) and the evaluation (which runs in the actor).
/// </summary>
public abstract class MonitorLoopActor : UntypedActor, IWithTimers
{
    private NodeGuard? _guard;

    private sealed class Tick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>The raw answer of a probe, piped back to the actor.</summary>
    protected sealed record ProbeAnswered(object Answer, DateTimeOffset StartedAt, double ElapsedMs) : INoSerializationVerificationNeeded;

    /// <summary>The probe failed or timed out, piped back to the actor.</summary>
    protected sealed record ProbeFailed(Exception Cause, DateTimeOffset StartedAt, double ElapsedMs) : INoSerializationVerificationNeeded;

    private readonly TimeSpan _interval;
    private bool _probeInFlight;
    private bool _warmedUp;
    private long _skippedTicks;
    private bool _skippingTicks;
    // Failed probes in a row: the log says when a loop starts failing and when it recovers, not every probe (10,000 targets).
    private long _failuresInARow;
    private string? _lastError;

    /// <summary>The target and where results go.</summary>
    protected LoopContext Loop { get; }

    /// <summary>The loop's name (performance, health, cache, database).</summary>
    protected string Name { get; }

    private ILoggingAdapter? _log;

    /// <summary>The actor's logger (made on first use: a node runs tens of thousands of loops).</summary>
    protected ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates a loop that probes every <paramref name="interval"/>.</summary>
    protected MonitorLoopActor(LoopContext loop, string name, TimeSpan interval)
    {
        Loop = loop;
        Name = name;
        _interval = interval;
    }

    // An untyped actor: a ReceiveActor builds its handler table per instance, which costs memory at 40,000 loops a node.
    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tick when (_guard ??= NodeGuard.For(Context.System)).IsAway:
                break; // a tick overdue after a pause: this node's targets may be monitored elsewhere now
            case Tick:
                StartProbe();
                break;
            case ProbeAnswered answered:
                Complete(EvaluateAnswer(answered), answered.Answer, answered.ElapsedMs);
                break;
            case ProbeFailed failed:
                Complete(EvaluateFailure(failed), null, failed.ElapsedMs);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        var offset = Loop.StartOffset(Name, _interval);
        if (offset == TimeSpan.Zero) Self.Tell(Tick.Instance);
        else Timers.StartSingleTimer("first-probe", Tick.Instance, offset);
        Timers.StartPeriodicTimer("probe", Tick.Instance, offset + _interval, _interval);
    }

    /// <summary>Calls the service. Runs outside the actor: use only <see cref="Loop"/> and locals.</summary>
    protected abstract Task<object> ProbeAsync();

    /// <summary>Turns a raw answer into samples and observations; runs in the actor.</summary>
    protected abstract ProbeEvaluation Evaluate(ProbeAnswered answered);

    /// <summary>Turns a failure or timeout into samples and observations; runs in the actor.</summary>
    protected abstract ProbeEvaluation EvaluateFailure(ProbeFailed failed);

    /// <summary>One observation of a rule of this target.</summary>
    protected Observation Observe(AlertCategory category, string rule, bool breached, AlertSeverity severity, string message,
        DateTimeOffset at, double? value = null, double? threshold = null) =>
        new(Loop.Target.Id, category, rule, breached, severity, message, at, value, threshold);

    /// <summary>A warning observation of a timing against its threshold: "{what} took 12 ms[, above the 10 ms threshold]".</summary>
    protected Observation ObserveTime(AlertCategory category, string rule, string what, double ms, double threshold, DateTimeOffset at)
    {
        var slow = ms > threshold;
        return Observe(category, rule, slow, AlertSeverity.Warning,
            slow ? $"{what} took {ms:0.#} ms, above the {threshold:0.#} ms threshold" : $"{what} took {ms:0.#} ms", at, ms, threshold);
    }

    /// <summary>
    /// A one-line description of a probe failure for an operator, credentials redacted: it becomes an alert message, a log
    /// line, a notification and an API answer.
    /// </summary>
    protected static string Describe(Exception cause) => Redaction.Redact(cause switch
    {
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0]),
        ProbeTimeoutException or ConfigServiceException or ProbeNotStartedException or SecretUnavailableException => cause.Message,
        TimeoutException => $"timed out: {cause.Message}",
        _ => $"{cause.GetType().Name}: {cause.Message}",
    });

    // Task.WaitAsync takes at most 2^32 - 2 ms.
    private static readonly TimeSpan LongestGuard = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private void StartProbe()
    {
        if (_probeInFlight)
        {
            _skippedTicks++;
            // Once per hanging probe; the further ticks it costs are logged at Debug.
            if (!_skippingTicks)
                Log.Warning("Target {0}: {1} probe still running after {2}; tick skipped ({3} skipped so far)",
                    Loop.Target.Id, Name, Durations.Format(_interval), _skippedTicks);
            else
                Log.Debug("Target {0}: {1} probe still running; tick skipped ({2} skipped so far)", Loop.Target.Id, Name, _skippedTicks);
            _skippingTicks = true;
            return;
        }
        _skippingTicks = false;
        _probeInFlight = true;
        var startedAt = Loop.Clock.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            // A guard beyond the adapter's own timeout, so that no adapter can keep the loop waiting for ever.
            // Computed before the probe starts: a timeout no timer can hold fails here, with nothing sent to the service.
            var guard = Loop.Target.ProbeTimeout * 2 + TimeSpan.FromSeconds(1);
            if (guard > LongestGuard)
                throw new ArgumentOutOfRangeException(nameof(TargetDefinition.ProbeTimeout),
                    $"the probe timeout of {Durations.Format(Loop.Target.ProbeTimeout)} is longer than a timer can hold " +
                    $"(the limit of a probe timeout is {DurationLimits.ProbeTimeout.Max.TotalSeconds:0}s)");
            var warmUp = _warmedUp ? null : WarmUpAsync();
            _warmedUp = true;
            TimedProbeAsync(warmUp, guard).PipeTo(Self);
        }
        catch (Exception e)
        {
            // A probe that cannot even start is a failed probe (a sample "…_ok = 0" and an observation), never an
            // exception that restarts the loop on every tick while the target looks monitored and nothing alerts.
            Self.Tell(new ProbeFailed(new ProbeNotStartedException(e), startedAt, stopwatch.Elapsed.TotalMilliseconds));
        }
    }

    // Runs outside the actor: the warm-up (untimed, its failure ignored: the timed probe reports for itself), then the timed probe.
    private async Task<object> TimedProbeAsync(Task? warmUp, TimeSpan guard)
    {
        if (warmUp is not null)
        {
            try
            {
                await warmUp.WaitAsync(guard).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A service that is down fails the timed probe just after, with its reason.
            }
        }
        var startedAt = Loop.Clock.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var answer = await ProbeAsync().WaitAsync(guard).ConfigureAwait(false);
            return new ProbeAnswered(answer, startedAt, stopwatch.Elapsed.TotalMilliseconds);
        }
        catch (Exception e)
        {
            return new ProbeFailed(e, startedAt, stopwatch.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Runs once, untimed, before a loop's first timed probe: a client's first call sets up its connection (an HTTP or TLS
    /// handshake, a PostgreSQL login, a gRPC channel), which is not the service being slow and must not raise a slow-read alert.
    /// The default does nothing; loops that judge a timing warm up with the call they time.
    /// </summary>
    protected virtual Task WarmUpAsync() => Task.CompletedTask;

    private ProbeEvaluation EvaluateAnswer(ProbeAnswered answered)
    {
        try
        {
            return Evaluate(answered);
        }
        catch (Exception e)
        {
            // An answer the loop cannot read (an unexpected reply) is a failed probe, not a restart of the loop.
            return EvaluateFailure(new ProbeFailed(new ProbeNotStartedException(e, "the answer could not be read"),
                answered.StartedAt, answered.ElapsedMs));
        }
    }

    private void Complete(ProbeEvaluation evaluation, object? answer, double elapsedMs)
    {
        _probeInFlight = false;
        // After a failure the client reconnects on the next call (a new TCP connection, a PostgreSQL login, a Redis
        // handshake): that call is a warm-up again, so a service coming back is not also a slow read.
        if (evaluation.Error is not null) _warmedUp = false;
        if (evaluation.Samples.Count > 0)
            Loop.MetricsStore.Tell(new MetricsCommands.RecordSamples(Loop.Target.Id, evaluation.Samples));
        foreach (var observation in evaluation.Observations) Loop.Entity.Tell(observation);
        var at = Loop.Clock.UtcNow;
        Context.Parent.Tell(new LoopProbed(Name, at, evaluation.Error, evaluation.Error is null ? answer : null, elapsedMs));
        if (evaluation.Error is null)
        {
            if (_failuresInARow > 0)
                Log.Info("Target {0}: {1} probe ok again after {2} failed probe(s)", Loop.Target.Id, Name, _failuresInARow);
            else if (Log.IsDebugEnabled)
                Log.Debug("Target {0}: {1} probe ok: {2}", Loop.Target.Id, Name,
                    string.Join(", ", evaluation.Samples.Select(s => $"{s.Metric}={s.Value:0.###}")));
            _failuresInARow = 0;
            _lastError = null;
        }
        else
        {
            _failuresInARow++;
            // The first failure, or a different cause, is news; the same cause again is not.
            if (_failuresInARow == 1 || evaluation.Error != _lastError)
                Log.Warning("Target {0}: {1} probe failed: {2}{3}", Loop.Target.Id, Name, evaluation.Error,
                    _failuresInARow == 1 ? "" : $" ({_failuresInARow} failed in a row; repeats of one cause are logged at Debug)");
            else
                Log.Debug("Target {0}: {1} probe failed again ({2} in a row): {3}", Loop.Target.Id, Name, _failuresInARow, evaluation.Error);
            _lastError = evaluation.Error;
        }
    }
}

/// <summary>A probe that failed in the loop itself (it could not start, or its answer could not be read), not at the service.</summary>
public sealed class ProbeNotStartedException(Exception cause, string what = "the probe could not start")
    : Exception($"{what}: {cause.GetType().Name}: {cause.Message}", cause);
