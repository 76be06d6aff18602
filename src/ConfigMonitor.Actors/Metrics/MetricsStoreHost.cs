using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>Samples a store had not saved, carried to its next incarnation; SequenceNr is the journal position its write had, 0 when it had none.</summary>
public sealed record UnsavedBatch(long SequenceNr, IReadOnlyList<MetricSample> Samples);

/// <summary>What a hosted store tells its host (local only: never serialized, never sent between nodes).</summary>
internal static class MetricsStoreReports
{
    /// <summary>A message the host forwarded, numbered so the host knows which ones the store had taken when it stopped.</summary>
    public sealed record Numbered(long Number, object Message) : INoSerializationVerificationNeeded;

    /// <summary>The store has recovered and taken back the carried samples; the host forwards to it from now on.</summary>
    public sealed record Recovered : INoSerializationVerificationNeeded
    {
        public static readonly Recovered Instance = new();
    }

    /// <summary>The store has taken the messages up to <paramref name="Number"/>: it answered them, or a failure report would carry their samples.</summary>
    public sealed record Took(long Number) : INoSerializationVerificationNeeded;

    /// <summary>The first batch of this incarnation is durable: the journal works.</summary>
    public sealed record Saved : INoSerializationVerificationNeeded
    {
        public static readonly Saved Instance = new();
    }

    /// <summary>A journal write failed and the store stops; it had taken the messages up to <paramref name="Took"/>.</summary>
    public sealed record WriteFailed(Exception Cause, long Took, IReadOnlyList<UnsavedBatch> Unsaved) : INoSerializationVerificationNeeded;

    /// <summary>The store could not recover from the journal and stops.</summary>
    public sealed record RecoveryFailed(Exception Cause) : INoSerializationVerificationNeeded;
}

/// <summary>The answer to a metrics query or flush while the target's store is unavailable: its journal failed and it retries.</summary>
public sealed class MetricsStoreUnavailableException(string targetId, string what, Exception? cause, TimeSpan? retryIn, bool removed = false)
    : Exception(removed
        ? $"The metrics of target '{targetId}' are no longer kept by this node: the cluster removed it and another node monitors the target now; ask another node"
        : $"The metrics of target '{targetId}' {what}{(cause is null ? "" : $" ({cause.Message})")}; the samples it accepted are kept in memory"
        + (retryIn is { } wait ? $" and the store retries in {Durations.Format(wait)}" : " and saved when its journal works again"), cause)
{
    /// <summary>The target whose store is unavailable.</summary>
    public string TargetId { get; } = targetId;

    /// <summary>When the store tries again, if a retry is scheduled.</summary>
    public TimeSpan? RetryIn { get; } = retryIn;
}

/// <summary>
/// The sharded entity of one target's metrics: owns the persistent <see cref="MetricsStoreActor"/> and forwards to it.
/// Akka.Persistence stops a store whose journal write fails; the host keeps what it had not saved, re-creates it after a
/// backoff (doubling up to <see cref="MetricsStoreSettings.MaxRetryBackoff"/>) and hands the samples to the new one,
/// which saves them at once. Messages wait in the host meanwhile; queries are answered with
/// <see cref="MetricsStoreUnavailableException"/> while it waits to retry. Hand-off still flushes before the host stops.
/// </summary>
public sealed class MetricsStoreHost : UntypedActor, IWithUnboundedStash, IWithTimers
{
    private enum Phase { Starting, Running, Waiting, Fenced }

    /// <summary>Every fence this node knows of has landed: the store may read its journal.</summary>
    private sealed class FenceSettled : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly FenceSettled Instance = new();
    }

    private sealed class Retry : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Retry Instance = new();
    }

    /// <summary>Sent to itself on Terminated, so it arrives after every report the store sent before it stopped.</summary>
    private sealed record StoreGone(IActorRef Store) : INoSerializationVerificationNeeded;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _targetId;
    private readonly MetricsStoreSettings _settings;
    private readonly IClock _clock;
    private readonly List<UnsavedBatch> _unsaved = [];
    // Messages forwarded that the store has not yet reported taking: if it stops, they may still sit in its mailbox.
    private readonly Queue<(long Number, object Message, IActorRef Sender)> _forwarded = new();
    private IActorRef? _store;
    private Phase _phase;
    private (string What, Exception? Cause)? _failure;
    private bool _handingOff;
    private long _lastForwarded;
    private int _failuresInARow;
    private TimeSpan _backoff;
    private TimeSpan _retryIn;

    /// <summary>Hosts the store of <paramref name="targetId"/>.</summary>
    public MetricsStoreHost(string targetId, MetricsStoreSettings settings, IClock clock)
    {
        _targetId = targetId;
        _settings = settings;
        _clock = clock;
        _backoff = settings.RetryBackoff;
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => StartStore();

    private void StartStore()
    {
        _failure = null;
        _phase = Phase.Starting;
        // A target taken over from a removed node: its old owner must be fenced at the database before this store reads the
        // journal, or a batch the old owner sends late could land behind the recovery and take this store's next sequence number.
        var settled = WriterFence.For(Context.System)?.WhenSettled() ?? Task.CompletedTask;
        if (!settled.IsCompleted)
        {
            settled.PipeTo(Self, success: () => FenceSettled.Instance, failure: _ => FenceSettled.Instance);
            return;
        }
        CreateStore();
    }

    private void CreateStore()
    {
        _store = Context.Watch(Context.ActorOf(MetricsStoreActor.Hosted(_targetId, _settings, _clock, Self, [.. _unsaved]), "store"));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case FenceSettled when _phase == Phase.Starting && _store is null:
                CreateStore();
                break;
            case FenceSettled:
                break;
            case MetricsStoreReports.Recovered when Sender.Equals(_store) && _phase == Phase.Starting:
                _unsaved.Clear(); // the store has them now
                _phase = Phase.Running;
                Stash.UnstashAll();
                if (_handingOff) Self.Tell(HandOffTarget.Instance);
                break;
            case MetricsStoreReports.Took took when Sender.Equals(_store):
                Forget(took.Number);
                break;
            case MetricsStoreReports.Saved when Sender.Equals(_store):
                // One node-wide line per cause (JournalTroubleLog), this target's at Debug.
                if (_failuresInARow > 0) JournalTroubleLog.For(Context.System).SavedAgain(_targetId, _failuresInARow);
                _failuresInARow = 0;
                _backoff = _settings.RetryBackoff;
                break;
            case MetricsStoreReports.WriteFailed failed when Sender.Equals(_store):
                _failure = ("could not be saved to the journal", failed.Cause);
                Forget(failed.Took);
                _unsaved.AddRange(failed.Unsaved);
                break;
            case MetricsStoreReports.RecoveryFailed failed when Sender.Equals(_store):
                _failure = ("could not be recovered from the journal", failed.Cause);
                break;
            case Terminated t when t.ActorRef.Equals(_store):
                Self.Tell(new StoreGone(t.ActorRef));
                break;
            case StoreGone gone when gone.Store.Equals(_store):
                OnStoreGone();
                break;
            case Retry when _phase == Phase.Waiting:
                StartStore();
                break;
            case HandOffTarget when _phase == Phase.Fenced:
                Context.Stop(Self);
                break;
            case RecordSamples when _phase == Phase.Fenced:
                break; // the node was removed: the target's new owner records its own samples
            case GetLatestMetrics or GetRecentSamples or GetMetricsOverview or GetMetricSummary or GetMetricSeries or FlushMetrics or PruneMetrics when _phase == Phase.Fenced:
                Sender.Tell(new Status.Failure(Unavailable()));
                break;
            case HandOffTarget when _phase == Phase.Waiting:
                // A hand-off does not wait out the backoff: one more attempt now, and the store stops once it has saved.
                _handingOff = true;
                Timers.Cancel(nameof(Retry));
                StartStore();
                break;
            case HandOffTarget when _phase == Phase.Running:
                _handingOff = true;
                _store!.Forward(message);
                break;
            case GetLatestMetrics or GetRecentSamples or GetMetricsOverview or GetMetricSummary or GetMetricSeries when _phase == Phase.Waiting:
                Sender.Tell(new Status.Failure(Unavailable()));
                break;
            case MetricsStoreReports.Recovered or MetricsStoreReports.Took or MetricsStoreReports.Saved
                or MetricsStoreReports.WriteFailed or MetricsStoreReports.RecoveryFailed or Terminated or StoreGone or Retry:
                break; // from a store that is gone, or a timer already overtaken
            case var _ when _phase == Phase.Running:
                _forwarded.Enqueue((++_lastForwarded, message, Sender));
                _store!.Forward(new MetricsStoreReports.Numbered(_lastForwarded, message));
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Forget(long throughRecord)
    {
        while (_forwarded.TryPeek(out var oldest) && oldest.Number <= throughRecord) _forwarded.Dequeue();
    }

    private void OnStoreGone()
    {
        _store = null;
        // What the store never took: records join the unsaved samples, askers hear why (never silence).
        var untaken = _forwarded.ToList();
        _forwarded.Clear();
        foreach (var (_, message, _) in untaken)
            if (message is RecordSamples record)
                _unsaved.Add(new UnsavedBatch(0, record.Samples));
        if (_failure is null && _phase == Phase.Running && _handingOff && _unsaved.Count == 0)
        {
            Context.Stop(Self);
            return;
        }
        if (_failure is { Cause: var refused } && WriterFenceSchema.IsRefusal(refused))
        {
            OnFenced(untaken.Select(u => (u.Message, u.Sender)));
            return;
        }

        var retryIn = TimeSpan.Zero;
        _retryIn = retryIn;
        if (_failure is not null || _phase != Phase.Running || !_handingOff)
        {
            _failure ??= ("stopped unexpectedly", null);
            _failuresInARow++;
            retryIn = _retryIn = _backoff;
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _settings.MaxRetryBackoff.Ticks));
            var (what, cause) = _failure.Value;
            // One node-wide line per cause, not one per target: a journal outage at 10,000 targets is one Warning (JournalTroubleLog).
            if (_failuresInARow == 1)
                JournalTroubleLog.For(Context.System).Failing(_targetId, what, cause, UnsavedCount(), _settings.MaxRetryBackoff);
            else
                _log.Debug("Metrics of target {0} {1} again ({2} failures in a row): {3}; retrying in {4}", _targetId, what,
                    _failuresInARow, cause?.Message ?? "no cause given", Durations.Format(retryIn));
        }
        // else: the store stopped on hand-off, but records reached it too late to be saved: save them, then stop.

        _phase = Phase.Waiting;
        Timers.StartSingleTimer(nameof(Retry), Retry.Instance, retryIn);
        foreach (var (_, message, asker) in untaken)
            if (message is not RecordSamples && !asker.IsNobody())
                asker.Tell(new Status.Failure(Unavailable()));
        // Queries that waited for the store are answered now; the rest wait again.
        Stash.UnstashAll();
    }

    /// <summary>
    /// The journal refused the store's write because the cluster removed this node: the target belongs to another member now.
    /// One warning, no retry (a retry could only be refused again), the unsaved samples are dropped (the new owner keeps its own),
    /// and the node shuts down (<see cref="WriterFence.Refused"/>).
    /// </summary>
    private void OnFenced(IEnumerable<(object Message, IActorRef Sender)> untaken)
    {
        _phase = Phase.Fenced;
        _log.Warning("Metrics of target {0}: the write was refused by the fence: this node was removed from the cluster and another node " +
                     "monitors the target now; this store writes nothing more and drops its {1} unsaved samples", _targetId, UnsavedCount());
        _unsaved.Clear();
        WriterFence.For(Context.System)?.Refused();
        foreach (var (message, asker) in untaken)
            if (message is not RecordSamples && !asker.IsNobody())
                asker.Tell(new Status.Failure(Unavailable()));
        Stash.UnstashAll();
    }

    private MetricsStoreUnavailableException Unavailable() => _phase == Phase.Fenced
        ? new(_targetId, "", null, null, removed: true)
        : new(_targetId, _failure?.What ?? "are being recovered", _failure?.Cause, _retryIn);

    private long UnsavedCount() => _unsaved.Sum(b => (long)b.Samples.Count);

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_failuresInARow > 0) JournalTroubleLog.For(Context.System).Gone(_targetId, _failuresInARow);
        if (_unsaved.Count > 0)
            _log.Error("Metrics store of target {0} stopped before it could save {1} samples: they are lost", _targetId, UnsavedCount());
        base.PostStop();
    }

    /// <summary>Props for the host of <paramref name="targetId"/>'s store (the sharded entity).</summary>
    public static Props Props(string targetId, MetricsStoreSettings settings, IClock clock) =>
        ActorProps.Of(() => new MetricsStoreHost(targetId, settings, clock));
}
