using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorCommands;
using static ConfigMonitor.Actors.Targets.TargetDirectoryQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// The sharded entity of one target: its monitor (the loops), its MetricsStore and its alert evaluation (<see cref="TargetAlertsActor"/>)
/// are children of one entity, so they always live on the same node: a sample or an observation never crosses the network, only
/// an alert's change of state goes to the AlertManager. Sharding remembers the entity and restarts it wherever its
/// shard moves; it learns its definition from this node's <see cref="TargetDirectoryActor"/> (and from the registry's
/// <see cref="MonitorTarget"/>), follows every change, and passivates when the target is removed. Hand-off
/// (<see cref="HandOffTarget"/>) stops the loops first, then lets the store and the evaluation save what they
/// hold before the entity stops. The evaluation starts once the node's writer fences have landed (as the store does), and again
/// after a back-off if its journal fails; until it has recovered, only the latest observation of each rule waits (the loops observe again every tick).
/// </summary>
public sealed class TargetEntityActor : UntypedActor, IWithTimers
{
    private static readonly TimeSpan AlertsRestartBackoff = TimeSpan.FromSeconds(5);

    private sealed class StartAlerts : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly StartAlerts Instance = new();
    }

    private readonly string _targetId;
    private readonly IActorRef _directory;
    private readonly Func<IActorRef, IActorRef, Props> _monitorProps;
    private readonly Props _storeProps;
    private readonly Props _alertsProps;
    private ILoggingAdapter? _logger;
    private IActorRef _monitor = ActorRefs.Nobody;
    private IActorRef _store = ActorRefs.Nobody;
    private IActorRef _alerts = ActorRefs.Nobody;
    private bool _stopping;
    private bool _storeGone;
    private bool _alertsReady;
    private Dictionary<string, Observation>? _waiting;

    /// <summary>Creates the entity of <paramref name="targetId"/>; the monitor's props get the store and where observations go.</summary>
    public TargetEntityActor(string targetId, IActorRef directory, Func<IActorRef, IActorRef, Props> monitorProps, Props storeProps, Props alertsProps)
    {
        _targetId = targetId;
        _directory = directory;
        _monitorProps = monitorProps;
        _storeProps = storeProps;
        _alertsProps = alertsProps;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    /// <inheritdoc />
    protected override void PreStart()
    {
        _store = Context.Watch(Context.ActorOf(_storeProps, "metrics"));
        // The loops' observations go through the entity to its evaluation, which may start later or start again.
        _monitor = Context.Watch(Context.ActorOf(_monitorProps(_store, Self), "monitor"));
        _directory.Tell(new WatchTarget(_targetId));
        var settled = WriterFence.For(Context.System)?.WhenSettled() ?? Task.CompletedTask;
        if (settled.IsCompleted) StartAlertEvaluation();
        else settled.PipeTo(Self, success: () => StartAlerts.Instance, failure: _ => StartAlerts.Instance);
    }

    private void StartAlertEvaluation()
    {
        if (_stopping || !_alerts.IsNobody()) return;
        _alerts = Context.Watch(Context.ActorOf(_alertsProps, "alerts"));
    }

    // An untyped actor, as the monitor: a ReceiveActor's handler table per instance costs memory at 10,000 targets a node.
    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case HandOffTarget:
                // Hand-off or passivation: no probe after this, then the store and the evaluation save what they hold and stop, then so does the entity.
                _stopping = true;
                Context.Stop(_monitor);
                _store.Forward(message);
                _alerts.Forward(message);
                break;
            case Observation o when !_stopping:
                // Only to an evaluation that has recovered (a recovering one would stash every tick's: ~80 a target at 10,000 targets
                // recovering); until then the latest of each rule waits here.
                if (_alertsReady) _alerts.Forward(o);
                else (_waiting ??= new Dictionary<string, Observation>(StringComparer.Ordinal))[TargetAlerts.KeyOf(o.Category, o.Rule)] = o;
                break;
            case Observation:
                break;
            case TargetAlertsActor.Recovered when Sender.Equals(_alerts):
                _alertsReady = true;
                foreach (var waiting in _waiting?.Values.OrderBy(w => w.ObservedAt) ?? Enumerable.Empty<Observation>()) _alerts.Tell(waiting);
                _waiting = null;
                break;
            case StartAlerts:
                StartAlertEvaluation();
                break;
            case TargetDefinitionChanged { Definition: { } definition }:
                if (!_stopping) _monitor.Tell(new MonitorTarget(definition));
                break;
            case TargetDefinitionChanged { Removed: true }:
                // The directory had it and no longer has: the target was removed (the registry's stop may have gone to the old node).
                StopMonitoring();
                break;
            case TargetDefinitionChanged:
                break; // not in this node's directory yet: the registry's MonitorTarget or the directory's next change brings it
            case MonitorTarget when !_stopping:
                _monitor.Forward(message);
                break;
            case StopMonitoringTarget:
                StopMonitoring();
                break;
            case MetricsCommands.RecordSamples or MetricsCommands.PruneMetrics or MetricsCommands.FlushMetrics
                or MetricsQueries.GetLatestMetrics or MetricsQueries.GetRecentSamples or MetricsQueries.GetMetricsOverview
                or MetricsQueries.GetMetricSummary or MetricsQueries.GetMetricSeries:
                _store.Forward(message);
                break;
            case Terminated t when t.ActorRef.Equals(_store):
                if (!_stopping) Log.Warning("Target {0}: its metrics store stopped unexpectedly; the entity restarts", _targetId);
                _storeGone = true;
                if (!_stopping || _alerts.IsNobody()) Context.Stop(Self);
                break;
            case Terminated t when t.ActorRef.Equals(_alerts):
                _alerts = ActorRefs.Nobody;
                _alertsReady = false;
                if (_stopping)
                {
                    if (_storeGone) Context.Stop(Self);
                    break;
                }
                // Its journal failed (logged by the evaluation): it starts again from what is stored, after a pause.
                Timers.StartSingleTimer(nameof(StartAlerts), StartAlerts.Instance, AlertsRestartBackoff);
                break;
            case Terminated:
                break; // the monitor, stopped by a hand-off or a removal
            default:
                _monitor.Forward(message);
                break;
        }
    }

    private void StopMonitoring()
    {
        if (_stopping) return;
        _monitor.Tell(new StopMonitoringTarget(_targetId));
        // A target registered again under this id starts quiet, not with the alerts of the one removed.
        _alerts.Tell(new ForgetTargetAlerts(_targetId));
        // Passivating a remembered entity forgets it: it is not restarted when its shard moves.
        if (Context.Parent.Path.Name != "user") Context.Parent.Tell(new Passivate(HandOffTarget.Instance));
    }

    /// <summary>
    /// Props for the entity of <paramref name="targetId"/>; its monitor judges the target's health from its last results with
    /// <paramref name="health"/>'s thresholds and tells the node's <paramref name="statusBoard"/> its summary. <paramref name="startSpread"/> says, when the entity starts, over how
    /// long its loops spread their first probes (the node's start spreads them; a target taken over from a lost node probes at once).
    /// </summary>
    public static Props Props(string targetId, IActorRef directory, IActorRef alertManager, IClock clock, AdapterFactory adapters,
        MetricsStoreSettings metrics, Func<TimeSpan> startSpread, AlertPolicy policy, Health.HealthCheckSettings? health = null, IActorRef? statusBoard = null) =>
        ActorProps.Of(() => new TargetEntityActor(targetId, directory,
            (store, observations) => TargetMonitorActor.Props(targetId, store, observations, clock, adapters, startSpread(), health, statusBoard),
            MetricsStoreHost.Props(targetId, metrics, clock),
            TargetAlertsActor.Props(targetId, policy, alertManager)));
}
