using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsEvents;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

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
}

/// <summary>
/// The persistent metric history of one target (a sharded entity, so the history follows the target).
/// Samples are visible to queries at once and persisted in batches (PersistAsync: ingestion never waits for the journal);
/// the rollups are snapshotted every few batches and on retention, and the journal behind a snapshot is deleted.
/// </summary>
public sealed class MetricsStoreActor : UntypedPersistentActor, IWithTimers
{
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
    private int _batchesSinceSnapshot;

    /// <summary>Creates the store of <paramref name="targetId"/>.</summary>
    public MetricsStoreActor(string targetId, MetricsStoreSettings settings, IClock clock)
    {
        _targetId = targetId;
        _settings = settings;
        _clock = clock;
        _history = new MetricRollups(settings.Rollups);
    }

    // An untyped actor: a ReceivePersistentActor builds its handler table per instance, which costs memory at 10,000 stores a node.
    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
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
                Log.Info("Metrics of target {0} recovered: {1} samples retained", _targetId, _history.Count);
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordSamples cmd:
                _history.Add(cmd.Samples);
                _pending.AddRange(cmd.Samples);
                if (_pending.Count >= _settings.BatchSize) Flush(null);
                break;
            case FlushTick:
                Flush(null);
                break;
            case FlushMetrics:
                Flush(Sender);
                break;
            case StopMetricsStore:
                Flush(null);
                // DeferAsync runs after every pending persist handler, so the last batch is durable before the stop.
                DeferAsync(StopMetricsStore.Instance, _ => Context.Stop(Self));
                break;
            case GetLatestMetrics:
            case GetRecentSamples:
            case GetMetricsOverview:
            case GetMetricSummary:
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
            Self.Tell(new RecordSamples(_targetId, TakePending().Samples));
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
        if (_pending.Count == 0)
        {
            // Earlier batches may still be on their way to the journal: answer after them.
            if (replyTo is not null) DeferAsync(replyTo, r => r.Tell(new MetricsFlushed(_targetId, 0)));
            return;
        }
        var batch = TakePending();
        if (++_batchesSinceSnapshot >= _settings.SnapshotEveryBatches)
        {
            PersistThenSnapshot(batch, persisted => replyTo?.Tell(new MetricsFlushed(_targetId, persisted.Samples.Count)));
            return;
        }
        PersistAsync(batch, persisted => replyTo?.Tell(new MetricsFlushed(_targetId, persisted.Samples.Count)));
    }

    private void Prune(DateTimeOffset cutoff, IActorRef replyTo)
    {
        if (_pending.Count == 0 && _history.Count == 0 && LastSequenceNr == 0)
        {
            replyTo.Tell(new MetricsPruned(_targetId, 0, 0));
            return;
        }
        PersistThenSnapshot(TakePending(), _ =>
        {
            var removed = _history.Prune(cutoff);
            var reply = new MetricsPruned(_targetId, (int)Math.Min(removed, int.MaxValue), (int)Math.Min(_history.Count, int.MaxValue));
            if (removed > 0)
                Log.Info("Retention dropped {0} samples of target {1} older than {2:u}; {3} retained", removed, _targetId, cutoff, _history.Count);
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
        Log.Error(cause, "Could not persist a batch of metrics of target {0}; the store restarts and replays what is durable", _targetId);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Props for the store of <paramref name="targetId"/>.</summary>
    public static Props Props(string targetId, MetricsStoreSettings settings, IClock clock) =>
        Akka.Actor.Props.Create(() => new MetricsStoreActor(targetId, settings, clock));
}
