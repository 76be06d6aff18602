using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorCommands;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorQueries;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Creates the adapter through which a target is reached.</summary>
public delegate IConfigServiceAdapter AdapterFactory(ActorSystem system, TargetDefinition target);

/// <summary>
/// One monitored config service (a sharded entity, even on one node): owns the four loops and their status.
/// It learns its definition from <see cref="MonitorTarget"/>, which the target registry repeats, so an entity
/// restarted elsewhere by sharding picks its loops up again.
/// </summary>
public sealed class TargetMonitorActor : UntypedActor
{
    private readonly string _targetId;
    private readonly IActorRef _metricsStore;
    private readonly IActorRef _alertManager;
    private readonly IClock _clock;
    private readonly AdapterFactory _adapterFactory;
    private readonly TimeSpan _startSpread;
    private ILoggingAdapter? _logger;
    private readonly Dictionary<string, LoopStatus> _loops = new(StringComparer.Ordinal);
    private TargetDefinition? _definition;
    private int _generation;

    /// <summary>Creates the monitor of <paramref name="targetId"/>.</summary>
    public TargetMonitorActor(string targetId, IActorRef metricsStore, IActorRef alertManager, IClock clock, AdapterFactory adapterFactory,
        TimeSpan startSpread)
    {
        _startSpread = startSpread;
        _targetId = targetId;
        _metricsStore = metricsStore;
        _alertManager = alertManager;
        _clock = clock;
        _adapterFactory = adapterFactory;
    }

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    // An untyped actor: a ReceiveActor builds its handler table per instance, which costs memory at 10,000 targets a node.
    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case MonitorTarget cmd:
                Monitor(cmd.Definition);
                break;
            case StopMonitoringTarget:
                Log.Info("Target {0}: monitoring stopped", _targetId);
                StopLoops();
                _definition = null;
                if (Context.Parent.Path.Name != "user") Context.Parent.Tell(new Passivate(PoisonPill.Instance));
                break;
            case LoopProbed probed:
                var previous = _loops.GetValueOrDefault(probed.Loop) ?? new LoopStatus(probed.Loop, 0, null, null, 0, null);
                _loops[probed.Loop] = probed.Error is null
                    ? previous with { Probes = previous.Probes + 1, LastProbeAt = probed.At, LastSuccessAt = probed.At, ConsecutiveFailures = 0, LastError = null }
                    : previous with { Probes = previous.Probes + 1, LastProbeAt = probed.At, ConsecutiveFailures = previous.ConsecutiveFailures + 1, LastError = probed.Error };
                break;
            case GetTargetStatus:
                Sender.Tell(new TargetStatus(_targetId, _definition is not null, NodeAddress(),
                    _loops.Values.OrderBy(l => l.Loop, StringComparer.Ordinal).ToList()));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Monitor(TargetDefinition definition)
    {
        if (definition == _definition) return;
        var restart = _definition is not null;
        StopLoops();
        _definition = definition;
        var loop = new LoopContext(definition, _adapterFactory(Context.System, definition), _metricsStore, _alertManager, _clock)
        {
            StartSpread = _startSpread,
        };
        _generation++;
        Context.ActorOf(PerformanceLoopActor.Props(loop), $"{LoopNames.Performance}-{_generation}");
        Context.ActorOf(HealthLoopActor.Props(loop), $"{LoopNames.Health}-{_generation}");
        Context.ActorOf(CacheLoopActor.Props(loop), $"{LoopNames.Cache}-{_generation}");
        Context.ActorOf(DatabaseLoopActor.Props(loop), $"{LoopNames.Database}-{_generation}");
        foreach (var name in new[] { LoopNames.Performance, LoopNames.Health, LoopNames.Cache, LoopNames.Database })
            _loops[name] = new LoopStatus(name, 0, null, null, 0, null);
        var schedule = $"performance every {Durations.Format(definition.Performance.Interval)}, health every {Durations.Format(definition.Health.Interval)}, " +
                       $"cache every {Durations.Format(definition.Cache.Interval)}, database every {Durations.Format(definition.Database.Interval)}";
        Log.Info("Target {0}: {1} monitoring through {2} at {3} ({4})",
            definition.Id, restart ? "restarted" : "started", definition.Adapter, definition.Endpoint, schedule);
    }

    private void StopLoops()
    {
        // Children are renamed by generation so a restart never collides with a loop that is still stopping.
        foreach (var child in Context.GetChildren()) Context.Stop(child);
        _loops.Clear();
    }

    private string NodeAddress()
    {
        var provider = Context.System.Settings.ProviderClass;
        return provider.Contains("Cluster", StringComparison.Ordinal)
            ? Cluster.Get(Context.System).SelfAddress.ToString()
            : Context.System.Name;
    }

    /// <summary>Props for the monitor of <paramref name="targetId"/>.</summary>
    public static Props Props(string targetId, IActorRef metricsStore, IActorRef alertManager, IClock clock, AdapterFactory adapterFactory,
        TimeSpan? startSpread = null) =>
        Akka.Actor.Props.Create(() => new TargetMonitorActor(targetId, metricsStore, alertManager, clock, adapterFactory, startSpread ?? TimeSpan.Zero));
}
