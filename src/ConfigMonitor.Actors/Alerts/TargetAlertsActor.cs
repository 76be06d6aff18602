using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Protocol;
using static ConfigMonitor.Actors.Alerts.TargetAlertEvents;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>
/// One target's alert evaluation (<see cref="TargetAlerts"/>), persistent, a child of the target's sharded entity: the loops'
/// observations come here, on the node that monitors the target, so evaluation is spread over the nodes and its counters
/// survive a failover. A change is stored at once, then reported to the AlertManager (which gives the alert its id and
/// decides notification), again every <see cref="ResendInterval"/> until it confirms. After recovery it reports every rule it
/// holds. A healthy target writes and sends nothing.
/// </summary>
public sealed class TargetAlertsActor : UntypedPersistentActor, IWithTimers
{
    /// <summary>How often unconfirmed reports are sent again.</summary>
    public static readonly TimeSpan ResendInterval = TimeSpan.FromSeconds(5);

    private const int SnapshotEveryEvents = 50;

    private sealed class ResendTick : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly ResendTick Instance = new();
    }

    /// <summary>Told to the parent once recovered: observations sent before would wait in the recovery's stash (at 10,000 targets recovering, ~80 each).</summary>
    public sealed class Recovered : INoSerializationVerificationNeeded
    {
        /// <summary>The single instance.</summary>
        public static readonly Recovered Instance = new();
    }

    private readonly string _targetId;
    private readonly IActorRef _alertManager;
    private readonly TimeSpan _resendInterval;
    private readonly TargetAlerts _state;
    private ILoggingAdapter? _logger;
    private int _eventsSinceSnapshot;

    /// <summary>Evaluates the alerts of <paramref name="targetId"/> under <paramref name="policy"/>, reporting to <paramref name="alertManager"/>.</summary>
    public TargetAlertsActor(string targetId, AlertPolicy policy, IActorRef alertManager, TimeSpan resendInterval)
    {
        _targetId = targetId;
        _alertManager = alertManager;
        _resendInterval = resendInterval;
        _state = new TargetAlerts(targetId, policy);
    }

    /// <inheritdoc />
    public override string PersistenceId => $"target-alerts-{_targetId}";

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private ILoggingAdapter Logger => _logger ??= Context.GetLogger();

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: TargetAlertsSnapshot snapshot }:
                _state.Restore(snapshot);
                break;
            case ITargetAlertEvent e:
                _state.Apply(e);
                break;
            case RecoveryCompleted:
                // Whatever the AlertManager heard before, this is the state now (nothing stored: it answers with the alerts to adopt).
                Send(_state.FullReport(fresh: LastSequenceNr == 0));
                Context.Parent.Tell(Recovered.Instance);
                Timers.StartPeriodicTimer(nameof(ResendTick), ResendTick.Instance, _resendInterval);
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Observation o when string.Equals(o.TargetId, _targetId, StringComparison.OrdinalIgnoreCase):
                var (events, keys) = _state.Process(o);
                Store(events, keys);
                break;
            case TargetAlertReportReceived { Adopt: { Count: > 0 } adopt } received:
                _state.Confirm(received.Version);
                var adopted = _state.DecideAdopt(adopt);
                Store(adopted, adopted.OfType<RuleRecorded>().Select(r => r.Rule.Key).ToList());
                break;
            case TargetAlertReportReceived received:
                _state.Confirm(received.Version);
                break;
            case ResendTick:
                if (_state.Unconfirmed() is { } report) Send(report);
                break;
            case ForgetTargetAlerts:
                Store(_state.DecideForget(DateTimeOffset.UtcNow), []);
                break;
            case HandOffTarget:
                // Hand-off or removal: stop once every change is stored (Defer runs after the persists before it).
                DeferAsync(message, _ => Context.Stop(Self));
                break;
            case SaveSnapshotSuccess ok:
                DeleteMessages(ok.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failed when WriterFenceSchema.IsRefusal(failed.Cause):
                WriterFence.For(Context.System)?.Refused();
                break;
            case SaveSnapshotFailure failed:
                Logger.Warning("Snapshot of target {0}'s alert evaluation failed; its journal is kept: {1}", _targetId, failed.Cause.Message);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess or DeleteMessagesFailure or DeleteSnapshotsFailure:
                break;
            case Observation:
                break; // another target's: never routed here
            default:
                Unhandled(message);
                break;
        }
    }

    private void Store(IReadOnlyList<ITargetAlertEvent> events, IReadOnlyList<string> keys)
    {
        if (events.Count == 0)
        {
            if (_state.Report(keys) is { } report) Send(report);
            return;
        }
        PersistAll(events, e =>
        {
            _state.Apply(e);
            if (++_eventsSinceSnapshot < SnapshotEveryEvents) return;
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state.ToSnapshot());
        });
        DeferAsync(keys, k =>
        {
            if (_state.Report(k) is { } report) Send(report);
        });
    }

    private void Send(TargetAlertReport report) => _alertManager.Tell(report, Self);

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (WriterFenceSchema.IsRefusal(cause)) WriterFence.For(Context.System)?.Refused();
        else Logger.Warning("Target {0}: its alert evaluation could not be stored ({1}); it starts again from what is stored", _targetId, cause.Message);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Props for the evaluation of <paramref name="targetId"/>.</summary>
    public static Props Props(string targetId, AlertPolicy policy, IActorRef alertManager, TimeSpan? resendInterval = null) =>
        ActorProps.Of(() => new TargetAlertsActor(targetId, policy, alertManager, resendInterval ?? ResendInterval));
}
