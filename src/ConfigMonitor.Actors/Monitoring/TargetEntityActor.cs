using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorCommands;
using static ConfigMonitor.Actors.Targets.TargetDirectoryQueries;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// The sharded entity of one target: its monitor (the loops) and its MetricsStore are children of one entity, so they always
/// live on the same node and a sample never crosses the network. Sharding remembers the entity and restarts it wherever its
/// shard moves; it learns its definition from this node's <see cref="TargetDirectoryActor"/> (and from the registry's
/// <see cref="MonitorTarget"/>), follows every change, and passivates when the target is removed. Hand-off
/// (<see cref="MetricsCommands.StopMetricsStore"/>) stops the loops first, then lets the store save what it holds before the entity stops.
/// </summary>
public sealed class TargetEntityActor : UntypedActor
{
    private readonly string _targetId;
    private readonly IActorRef _directory;
    private readonly Func<IActorRef, Props> _monitorProps;
    private readonly Props _storeProps;
    private ILoggingAdapter? _logger;
    private IActorRef _monitor = ActorRefs.Nobody;
    private IActorRef _store = ActorRefs.Nobody;
    private bool _stopping;

    /// <summary>Creates the entity of <paramref name="targetId"/>.</summary>
    public TargetEntityActor(string targetId, IActorRef directory, Func<IActorRef, Props> monitorProps, Props storeProps)
    {
        _targetId = targetId;
        _directory = directory;
        _monitorProps = monitorProps;
        _storeProps = storeProps;
    }

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    /// <inheritdoc />
    protected override void PreStart()
    {
        _store = Context.Watch(Context.ActorOf(_storeProps, "metrics"));
        _monitor = Context.Watch(Context.ActorOf(_monitorProps(_store), "monitor"));
        _directory.Tell(new WatchTarget(_targetId));
    }

    // An untyped actor, as the monitor: a ReceiveActor's handler table per instance costs memory at 10,000 targets a node.
    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case MetricsCommands.StopMetricsStore:
                // Hand-off or passivation: no probe after this, then the store saves what it holds and stops, then so does the entity.
                _stopping = true;
                Context.Stop(_monitor);
                _store.Forward(message);
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
                or MetricsQueries.GetMetricSummary:
                _store.Forward(message);
                break;
            case Terminated t when t.ActorRef.Equals(_store):
                if (!_stopping) Log.Warning("Target {0}: its metrics store stopped unexpectedly; the entity restarts", _targetId);
                Context.Stop(Self);
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
        // Passivating a remembered entity forgets it: it is not restarted when its shard moves.
        if (Context.Parent.Path.Name != "user") Context.Parent.Tell(new Passivate(MetricsCommands.StopMetricsStore.Instance));
    }

    /// <summary>
    /// Props for the entity of <paramref name="targetId"/>; <paramref name="startSpread"/> says, when the entity starts, over how
    /// long its loops spread their first probes (the node's start spreads them; a target taken over from a lost node probes at once).
    /// </summary>
    public static Props Props(string targetId, IActorRef directory, IActorRef alertManager, IClock clock, AdapterFactory adapters,
        MetricsStoreSettings metrics, Func<TimeSpan> startSpread) =>
        Akka.Actor.Props.Create(() => new TargetEntityActor(targetId, directory,
            store => TargetMonitorActor.Props(targetId, store, alertManager, clock, adapters, startSpread()),
            MetricsStoreHost.Props(targetId, metrics, clock)));
}
