using ConfigMonitor.Actors.Hosting;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsEvents;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>How the MetricsStore batches and snapshots.</summary>
public sealed record MetricsStoreSettings
{
    /// <summary>Pending samples are persisted at least this often.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pending samples are persisted as soon as this many are waiting.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>A snapshot is taken (and older journal events deleted) after this many batches.</summary>
    public int SnapshotEveryBatches { get; init; } = 100;

    /// <summary>Bucket widths, fine horizon and raw samples kept per metric.</summary>
    public RollupSettings Rollups { get; init; } = new();

    /// <summary>A store whose journal failed (a write or its recovery) is re-created after this long, keeping its unsaved samples.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Each failure in a row doubles the wait before the next attempt, up to this long.</summary>
    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The persistent metric history of one target (a sharded entity, so the history follows the target).
/// Samples are visible to queries at once and persisted in batches (PersistAsync: ingestion never waits for the journal);
/// the rollups are snapshotted every few batches and on retention, and the journal behind a snapshot is deleted.
/// Akka.Persistence stops a persistent actor whose journal write fails: under a <see cref="MetricsStoreHost"/> the store
/// reports what it had not saved (the failed batch, the batches behind it and its pending samples) before it stops, and
/// the next incarnation takes back whatever its recovery shows is not in the journal.
/// </summary>
public sealed class MetricsStoreActor : UntypedPersistentActor, IWithTimers
{
    private NodeGuard? _guard;

    private sealed class FlushTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly FlushTick Instance = new();
    }

    private readonly string _targetId;
    private readonly MetricsStoreSettings _settings;
    private readonly IClock _clock;
    private MetricRollups _history;
    private readonly List<MetricSample> _pending = [];
    private readonly List<(IActorRef ReplyTo, object Reply)> _afterSnapshot = [];
    // Batches handed to the journal and not yet confirmed, in the order (and so the sequence numbers) the journal gets them.
    private readonly Queue<(SampleBatchRecorded Batch, IActorRef? ReplyTo)> _writing = new();
    private readonly IActorRef? _host;
    private List<UnsavedBatch>? _carried;
    private long _took;
    private long _tookReported;
    private bool _savedReported;
    private int _batchesSinceSnapshot;

    /// <summary>Creates the store of <paramref name="targetId"/>.</summary>
    public MetricsStoreActor(string targetId, MetricsStoreSettings settings, IClock clock) : this(targetId, settings, clock, null, []) { }

    /// <summary>A store under <paramref name="host"/>, taking back the samples an earlier incarnation could not save.</summary>
    public MetricsStoreActor(string targetId, MetricsStoreSettings settings, IClock clock, IActorRef? host, IReadOnlyList<UnsavedBatch> carried)
    {
        _targetId = targetId;
        _settings = settings;
        _clock = clock;
        _host = host;
        _carried = carried.Count > 0 ? [.. carried] : null;
        _history = new MetricRollups(settings.Rollups);
    }

    // An untyped actor: a ReceivePersistentActor builds its handler table per instance, which costs memory at 10,000 stores a node.
    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        if (_carried is not null) ForgetDurable(message);
        switch (message)
        {
            case SnapshotOffer { Snapshot: RollupSnapshot snapshot }:
                _history = MetricRollups.FromBytes(snapshot.Rollups, _settings.Rollups);
                break;
            case SnapshotOffer { Snapshot: MetricsSnapshot legacy }:
                _history = new MetricRollups(_settings.Rollups);
                _history.Add(legacy.Samples);
                break;
            case SampleBatchRecorded e:
                _history.Add(e.Samples);
                break;
            case SamplesRecorded e:
                _history.Add(e.Samples);
                break;
            case RecoveryCompleted:
                // Debug: a node of 10,000 targets recovers 10,000 stores at start.
                Log.Debug("Metrics of target {0} recovered: {1} samples retained", _targetId, _history.Count);
                TakeBackCarried();
                _host?.Tell(MetricsStoreReports.Recovered.Instance);
                break;
        }
    }

    /// <summary>
    /// A carried batch the journal holds after all (its write failed late, or the write behind it landed) is not taken
    /// back: replay shows it at its sequence number, or a snapshot covers it.
    /// </summary>
    private void ForgetDurable(object replayed)
    {
        if (replayed is SnapshotOffer offer)
            _carried!.RemoveAll(b => b.SequenceNr > 0 && b.SequenceNr <= offer.Metadata.SequenceNr);
        else if (replayed is SampleBatchRecorded or SamplesRecorded)
            _carried!.RemoveAll(b => b.SequenceNr == LastSequenceNr);
    }

    private void TakeBackCarried()
    {
        if (_carried is null) return;
        var count = 0;
        foreach (var batch in _carried)
        {
            _history.Add(batch.Samples);
            _pending.AddRange(batch.Samples);
            count += batch.Samples.Count;
        }
        _carried = null;
        if (count == 0) return;
        // Debug: the node-wide journal line says when the stores save again (JournalTroubleLog).
        Log.Debug("Metrics store of target {0} took back {1} samples an earlier incarnation could not save; saving them now", _targetId, count);
        Self.Tell(FlushTick.Instance);
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordSamples cmd:
                Record(cmd);
                break;
            case MetricsStoreReports.Numbered numbered:
                _took = Math.Max(_took, numbered.Number);
                OnCommand(numbered.Message);
                break;
            case FlushTick:
                Flush(null);
                break;
            case FlushMetrics:
                Flush(Sender);
                break;
            case HandOffTarget:
                Flush(null);
                // DeferAsync runs after every pending persist handler, so the last batch is durable before the stop.
                DeferAsync(HandOffTarget.Instance, _ => Context.Stop(Self));
                break;
            case GetLatestMetrics:
            case GetRecentSamples:
            case GetMetricsOverview:
            case GetMetricSummary:
            case GetMetricSeries:
                Answer(message);
                break;
            case PruneMetrics cmd:
                Prune(cmd.Cutoff, Sender);
                break;
            case SaveSnapshotSuccess ok:
                DeleteMessages(ok.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
                ReplyAfterSnapshot();
                break;
            case SaveSnapshotFailure failed when WriterFenceSchema.IsRefusal(failed.Cause):
                Log.Warning("Snapshot of target {0}'s metrics was refused by the fence: this node was removed from the cluster", _targetId);
                WriterFence.For(Context.System)?.Refused();
                ReplyAfterSnapshot();
                break;
            case SaveSnapshotFailure failed:
                Log.Error(failed.Cause, "Snapshot of target {0}'s metrics failed; the journal is kept until the next snapshot", _targetId);
                ReplyAfterSnapshot();
                break;
            case DeleteMessagesSuccess ok:
                Log.Debug("Metrics journal of target {0} deleted up to {1}", _targetId, ok.ToSequenceNr);
                break;
            case DeleteMessagesFailure failed:
                Log.Warning("Could not delete old metric events of target {0}: {1}", _targetId, failed.Cause.Message);
                break;
            case DeleteSnapshotsSuccess:
                break;
            case DeleteSnapshotsFailure failed:
                Log.Warning("Could not delete old metric snapshots of target {0}: {1}", _targetId, failed.Cause.Message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Record(RecordSamples cmd)
    {
        _history.Add(cmd.Samples);
        _pending.AddRange(cmd.Samples);
        if (_pending.Count >= _settings.BatchSize) Flush(null);
    }

    /// <summary>
    /// Answers a query. A query never fails the store (its pending samples would go with it): an unexpected failure is
    /// logged and answered to the asker as a <see cref="Status.Failure"/>, and the store carries on.
    /// </summary>
    private void Answer(object query)
    {
        try
        {
            Sender.Tell(query switch
            {
                GetLatestMetrics => new LatestMetrics(_targetId, _history.Latest()),
                GetRecentSamples q => new RecentSamples(_targetId, q.Metric, _history.Recent(q.Metric)),
                GetMetricsOverview q => Overview(q.Window),
                GetMetricSummary q => Summary(q.Metric, q.Window),
                GetMetricSeries q => Series(q),
                _ => throw new ArgumentException($"not a metrics query: {query.GetType().Name}", nameof(query)),
            });
        }
        catch (Exception e)
        {
            Log.Error(e, "Metrics query {0} of target {1} failed; the store keeps running", query.GetType().Name, _targetId);
            Sender.Tell(new Status.Failure(e));
        }
    }

    private MetricsOverview Overview(TimeSpan window)
    {
        var latest = _history.Latest();
        var (from, to) = Window(_clock.UtcNow, window);
        return new MetricsOverview(_targetId, latest, latest.Where(l => MetricNames.IsTiming(l.Metric))
            .Select(l => _history.Summarize(_targetId, l.Metric, from, to)).ToList());
    }

    private MetricSummary Summary(string metric, TimeSpan window)
    {
        var (from, to) = Window(_clock.UtcNow, window);
        return _history.Summarize(_targetId, metric, from, to);
    }

    private MetricSeriesAnswer Series(GetMetricSeries query)
    {
        var (from, to) = Window(_clock.UtcNow, query.Window);
        var maxPoints = query.MaxPoints <= 0 ? GetMetricSeries.DefaultMaxPoints
            : Math.Clamp(query.MaxPoints, GetMetricSeries.MinMaxPoints, GetMetricSeries.MaxMaxPoints);
        return _history.Series(_targetId, query.Metric, from, to, maxPoints);
    }

    /// <summary>
    /// The window of <paramref name="length"/> ending at <paramref name="now"/>, without date arithmetic that can fail:
    /// a window longer than all time is the whole history; a negative one is empty (it ends where it starts).
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset now, TimeSpan length)
    {
        if (length <= TimeSpan.Zero) return (now, now);
        var sinceStartOfTime = now - DateTimeOffset.MinValue;
        return (length >= sinceStartOfTime ? DateTimeOffset.MinValue : now - length, now);
    }

    /// <summary>
    /// A store restarted by its supervisor recovers only what is durable: the samples it accepted and had not yet
    /// persisted are handed to the next incarnation, which receives them after its recovery (commands wait for it).
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        if (_pending.Count > 0)
        {
            Log.Warning("Metrics store of target {0} restarts after {1}; its {2} unflushed samples are carried over",
                _targetId, reason.GetType().Name, _pending.Count);
            // Numbered with the last message taken, so the host does not count the records behind it twice.
            Self.Tell(new MetricsStoreReports.Numbered(_took, new RecordSamples(_targetId, TakePending().Samples)));
        }
        base.PreRestart(reason, message);
    }

    /// <inheritdoc />
    public override string PersistenceId => $"metrics-{_targetId}";

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("flush", FlushTick.Instance, _settings.FlushInterval);
        base.PreStart();
    }

    private void Flush(IActorRef? replyTo)
    {
        // A node that was away longer than the cluster allows writes nothing more: another node may own this target's history now.
        if ((_guard ??= NodeGuard.For(Context.System)).IsAway) return;
        // Each flush (at least every FlushInterval) lets the host forget what this store has taken.
        if (_host is not null && _took > _tookReported)
        {
            _tookReported = _took;
            _host.Tell(new MetricsStoreReports.Took(_took));
        }
        if (_pending.Count == 0)
        {
            // Earlier batches may still be on their way to the journal: answer after them.
            if (replyTo is not null) DeferAsync(replyTo, r => r.Tell(new MetricsFlushed(_targetId, 0)));
            return;
        }
        var batch = Writing(TakePending(), replyTo);
        if (++_batchesSinceSnapshot >= _settings.SnapshotEveryBatches)
        {
            PersistThenSnapshot(batch, persisted => replyTo?.Tell(new MetricsFlushed(_targetId, persisted.Samples.Count)));
            return;
        }
        PersistAsync(batch, persisted =>
        {
            Written();
            replyTo?.Tell(new MetricsFlushed(_targetId, persisted.Samples.Count));
        });
    }

    /// <summary>Notes a batch on its way to the journal: a failure report carries it, and its asker hears of the failure.</summary>
    private SampleBatchRecorded Writing(SampleBatchRecorded batch, IActorRef? replyTo)
    {
        _writing.Enqueue((batch, replyTo));
        return batch;
    }

    /// <summary>The oldest batch on its way is durable (handlers run in the order of the writes).</summary>
    private void Written()
    {
        _writing.Dequeue();
        if (_savedReported || _host is null) return;
        _savedReported = true;
        _host.Tell(MetricsStoreReports.Saved.Instance);
    }

    private void Prune(DateTimeOffset cutoff, IActorRef replyTo)
    {
        if (_pending.Count == 0 && _history.Count == 0 && LastSequenceNr == 0)
        {
            replyTo.Tell(new MetricsPruned(_targetId, 0, 0));
            return;
        }
        PersistThenSnapshot(Writing(TakePending(), replyTo), _ =>
        {
            var removed = _history.Prune(cutoff);
            var reply = new MetricsPruned(_targetId, (int)Math.Min(removed, int.MaxValue), (int)Math.Min(_history.Count, int.MaxValue));
            if (removed > 0)
                // Debug: the maintenance singleton logs one line for all targets.
                Log.Debug("Retention dropped {0} samples of target {1} older than {2:u}; {3} retained", removed, _targetId, cutoff, _history.Count);
            _afterSnapshot.Add((replyTo, reply));
        });
    }

    private SampleBatchRecorded TakePending()
    {
        var batch = new SampleBatchRecorded(_pending.ToArray());
        _pending.Clear();
        return batch;
    }

    /// <summary>
    /// Persist (not PersistAsync) stashes commands until its handler has run, and handlers run in order, so at the
    /// snapshot the history holds exactly the persisted batches: recovery never counts a sample twice.
    /// The batch may be empty; the snapshot deletes it with the rest of the journal behind it.
    /// </summary>
    private void PersistThenSnapshot(SampleBatchRecorded batch, Action<SampleBatchRecorded> beforeSnapshot) =>
        Persist(batch, persisted =>
        {
            Written();
            beforeSnapshot(persisted);
            TakeSnapshot();
        });

    private void TakeSnapshot()
    {
        _batchesSinceSnapshot = 0;
        SaveSnapshot(new RollupSnapshot(_history.ToBytes()));
    }

    private void ReplyAfterSnapshot()
    {
        foreach (var (replyTo, reply) in _afterSnapshot) replyTo.Tell(reply);
        _afterSnapshot.Clear();
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka.Persistence stops the store after this; the askers of the failed batches hear it now, not never.
        var removed = WriterFenceSchema.IsRefusal(cause);
        foreach (var (_, replyTo) in _writing)
            replyTo?.Tell(new Status.Failure(new MetricsStoreUnavailableException(_targetId, "could not be saved", cause, retryIn: null, removed)));
        if (_host is null)
        {
            Log.Error(cause, "Could not persist a batch of metrics of target {0}; the store stops and its unsaved samples are lost", _targetId);
            return;
        }
        // The failed write is the oldest on its way; the ones behind it got the next sequence numbers. If it is not (it
        // always is), their positions are unknown: they are carried as never written, as a duplicate beats a loss.
        var known = _writing.TryPeek(out var oldest) && ReferenceEquals(oldest.Batch, @event);
        var sequenceNrOfNext = known ? sequenceNr : 0;
        var unsaved = new List<UnsavedBatch>();
        foreach (var (batch, _) in _writing)
        {
            if (batch.Samples.Count > 0) unsaved.Add(new UnsavedBatch(sequenceNrOfNext, batch.Samples));
            if (known) sequenceNrOfNext++;
        }
        if (_pending.Count > 0) unsaved.Add(new UnsavedBatch(0, TakePending().Samples));
        _host.Tell(new MetricsStoreReports.WriteFailed(cause, _took, unsaved));
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        if (_host is null) base.OnRecoveryFailure(reason, message);
        else _host.Tell(new MetricsStoreReports.RecoveryFailed(reason));
    }

    /// <summary>Props for the store of <paramref name="targetId"/>.</summary>
    public static Props Props(string targetId, MetricsStoreSettings settings, IClock clock) =>
        ActorProps.Of(() => new MetricsStoreActor(targetId, settings, clock));

    /// <summary>Props for the store of <paramref name="targetId"/> under <paramref name="host"/>, taking back <paramref name="carried"/>.</summary>
    internal static Props Hosted(string targetId, MetricsStoreSettings settings, IClock clock, IActorRef host, IReadOnlyList<UnsavedBatch> carried) =>
        ActorProps.Of(() => new MetricsStoreActor(targetId, settings, clock, host, carried));
}
