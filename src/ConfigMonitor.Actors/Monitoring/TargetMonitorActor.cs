using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Overview;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorCommands;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>Creates the adapter through which a target is reached.</summary>
public delegate IConfigServiceAdapter AdapterFactory(ActorSystem system, TargetDefinition target);

/// <summary>
/// One monitored config service's loops and their status, a child of its <see cref="TargetEntityActor"/> (which passivates).
/// It learns its definition from <see cref="MonitorTarget"/>; the same definition again changes nothing.
/// </summary>
public sealed class TargetMonitorActor : UntypedActor
{
    private readonly string _targetId;
    private readonly IActorRef _metricsStore;
    private readonly IActorRef _entity;
    private readonly IClock _clock;
    private readonly AdapterFactory _adapterFactory;
    private readonly TimeSpan _startSpread;
    private ILoggingAdapter? _logger;
    private readonly Dictionary<string, LoopStatus> _loops = new(StringComparer.Ordinal);
    private TargetDefinition? _definition;
    private bool _counted;
    private int _generation;
    private LoopStatus _events = new("events", 0, null, null, 0, null);
    // The loops' last results, the board this node's overview is read from, and what it was last told.
    private readonly Dictionary<string, LastProbe> _last = new(StringComparer.Ordinal);
    private readonly HealthCheckSettings _health;
    private readonly IActorRef _board;
    private TargetSummary? _reported;
    private string? _node;

    /// <summary>Creates the monitor of <paramref name="targetId"/>.</summary>
    public TargetMonitorActor(string targetId, IActorRef metricsStore, IActorRef entity, IClock clock, AdapterFactory adapterFactory,
        TimeSpan startSpread, HealthCheckSettings? health = null, IActorRef? board = null)
    {
        _health = health ?? new HealthCheckSettings();
        _board = board ?? ActorRefs.Nobody;
        _startSpread = startSpread;
        _targetId = targetId;
        _metricsStore = metricsStore;
        _entity = entity;
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
                // Debug: the registry logs a removal, and the node's census one line for all its targets.
                Log.Debug("Target {0}: monitoring stopped", _targetId);
                StopLoops();
                _definition = null;
                Uncount();
                Unreport();
                break;
            case LoopProbed probed:
                var previous = _loops.GetValueOrDefault(probed.Loop) ?? new LoopStatus(probed.Loop, 0, null, null, 0, null);
                _loops[probed.Loop] = probed.Error is null
                    ? previous with { Probes = previous.Probes + 1, LastProbeAt = probed.At, LastSuccessAt = probed.At, ConsecutiveFailures = 0, LastError = null }
                    : previous with { Probes = previous.Probes + 1, LastProbeAt = probed.At, ConsecutiveFailures = previous.ConsecutiveFailures + 1, LastError = probed.Error };
                // Only the answers a check reads are kept (10,000 targets a node).
                _last[probed.Loop] = new LastProbe(probed.At, probed.Error,
                    probed.Loop is LoopNames.Cache or LoopNames.Database ? probed.Answer : null, probed.ElapsedMs);
                Report();
                break;
            case EventProbeReported reported:
                _events = reported.Error is null
                    ? _events with { Probes = _events.Probes + 1, LastProbeAt = reported.At, LastSuccessAt = reported.At, ConsecutiveFailures = 0, LastError = null }
                    : _events with { Probes = _events.Probes + 1, LastProbeAt = reported.At, ConsecutiveFailures = _events.ConsecutiveFailures + 1, LastError = reported.Error };
                Report();
                break;
            case GetTargetStatus:
                Sender.Tell(Status());
                break;
            case GetTargetHealth:
            {
                // From the last results only: nothing is sent to the service to answer.
                var (checks, asOf) = TargetChecks();
                Sender.Tell(new TargetHealthReport(_targetId, TargetHealth.StateOf(checks), NodeAddress(), asOf,
                    checks.Concat(TargetHealth.NodeChecks(_health)).ToList()));
                break;
            }
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
        IConfigServiceAdapter adapter;
        try
        {
            adapter = _adapterFactory(Context.System, definition);
        }
        catch (Exception e)
        {
            // A definition the registry accepted always resolves; a client that cannot be made is logged, never a crash loop.
            Log.Error(e, "Target {0}: cannot be monitored: {1}", definition.Id, Redaction.Redact(e.Message));
            Uncount();
            return;
        }
        var loop = new LoopContext(definition, adapter, _metricsStore, _entity, _clock)
        {
            StartSpread = _startSpread,
        };
        _generation++;
        var hasCache = adapter.KindOf(FacetNames.Cache) != FacetKinds.None;
        var hasDatabase = adapter.KindOf(FacetNames.Database) != FacetKinds.None;
        Context.ActorOf(PerformanceLoopActor.Props(loop), $"{LoopNames.Performance}-{_generation}");
        Context.ActorOf(HealthLoopActor.Props(loop), $"{LoopNames.Health}-{_generation}");
        // A facet the target does not have has no loop: no sample, no observation, no alert.
        if (hasCache) Context.ActorOf(CacheLoopActor.Props(loop), $"{LoopNames.Cache}-{_generation}");
        if (hasDatabase) Context.ActorOf(DatabaseLoopActor.Props(loop), $"{LoopNames.Database}-{_generation}");
        var names = new List<string> { LoopNames.Performance, LoopNames.Health };
        if (hasCache) names.Add(LoopNames.Cache);
        if (hasDatabase) names.Add(LoopNames.Database);
        foreach (var name in names)
            _loops[name] = new LoopStatus(name, 0, null, null, 0, null);
        Report();
        var schedule = $"performance every {Durations.Format(definition.Performance.Interval)}, health every {Durations.Format(definition.Health.Interval)}, " +
                       (hasCache ? $"cache every {Durations.Format(definition.Cache.Interval)}" : "no cache facet") + ", " +
                       (hasDatabase ? $"database every {Durations.Format(definition.Database.Interval)}" : "no database facet");
        // Debug: a node of 10,000 targets starts 10,000 monitors; the census says how many in one line.
        Log.Debug("Target {0}: {1} monitoring through {2} ({3})",
            definition.Id, restart ? "restarted" : "started", FacetSummary(definition), schedule);
        if (_counted) return;
        _counted = true;
        TargetCensus.For(Context.System).Started(_targetId);
    }

    private void Uncount()
    {
        if (!_counted) return;
        _counted = false;
        TargetCensus.For(Context.System).Stopped(_targetId);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Handed off, or the node stops: this node no longer monitors the target.
        Uncount();
        Unreport();
        base.PostStop();
    }

    private TargetStatus Status() =>
        new(_targetId, _definition is not null, NodeAddress(), _loops.Values.OrderBy(l => l.Loop, StringComparer.Ordinal).ToList()) { Facets = FacetStatuses() };

    // The five checks of the target from the last results, judged as of the latest of them (null while none has come).
    private (IReadOnlyList<HealthCheckResult> Checks, DateTimeOffset? AsOf) TargetChecks()
    {
        var asOf = _last.Values.Select(l => (DateTimeOffset?)l.At).Append(_events.LastProbeAt).Max();
        return (TargetHealth.TargetChecks(_definition, Status(), _last, _events, _health, asOf ?? _clock.UtcNow), asOf);
    }

    // Tells the board when the target's line of the overview changed: a local Tell, no answer awaited.
    private void Report()
    {
        if (_definition is null || _board.IsNobody()) return;
        var (checks, asOf) = TargetChecks();
        var summary = new TargetSummary(_targetId, TargetHealth.StateOf(checks), asOf, _definition.Group, NodeAddress());
        if (summary == _reported) return;
        _reported = summary;
        _board.Tell(new StatusBoardCommands.TargetSummaryChanged(summary));
    }

    private void Unreport()
    {
        if (_reported is null) return;
        _reported = null;
        _board.Tell(new StatusBoardCommands.TargetSummaryRemoved(_targetId));
    }

    // Each facet's status from the loop (or the event round trips) that probes it.
    private IReadOnlyList<FacetStatus> FacetStatuses()
    {
        if (_definition is null) return [];
        return TargetFacets.Resolve(_definition).Select(f =>
        {
            var source = f.Facet switch
            {
                FacetNames.Config => _loops.GetValueOrDefault(LoopNames.Performance),
                FacetNames.Cache => _loops.GetValueOrDefault(LoopNames.Cache),
                FacetNames.Database => _loops.GetValueOrDefault(LoopNames.Database),
                _ => _events,
            };
            return !f.Present || source is null
                ? new FacetStatus(f.Facet, f.Kind, f.RedactedEndpoint, 0, null, 0, null)
                : new FacetStatus(f.Facet, f.Kind, f.RedactedEndpoint, source.Probes, source.LastSuccessAt, source.ConsecutiveFailures, source.LastError);
        }).ToList();
    }

    /// <summary>"config http http://…, cache redis 127.0.0.1:6379, database none, events http http://…" (endpoints redacted).</summary>
    public static string FacetSummary(TargetDefinition definition) =>
        string.Join(", ", TargetFacets.Resolve(definition).Select(f => f.Present ? $"{f.Facet} {f.Kind} {f.RedactedEndpoint}" : $"{f.Facet} none"));

    private void StopLoops()
    {
        // Children are renamed by generation so a restart never collides with a loop that is still stopping.
        foreach (var child in Context.GetChildren()) Context.Stop(child);
        _loops.Clear();
        _last.Clear();
    }

    private string NodeAddress() => _node ??= ReadNodeAddress();

    private string ReadNodeAddress()
    {
        var provider = Context.System.Settings.ProviderClass;
        return provider.Contains("Cluster", StringComparison.Ordinal)
            ? Cluster.Get(Context.System).SelfAddress.ToString()
            : Context.System.Name;
    }

    /// <summary>Props for the monitor of <paramref name="targetId"/>.</summary>
    public static Props Props(string targetId, IActorRef metricsStore, IActorRef entity, IClock clock, AdapterFactory adapterFactory,
        TimeSpan? startSpread = null, HealthCheckSettings? health = null, IActorRef? board = null) =>
        ActorProps.Of(() => new TargetMonitorActor(targetId, metricsStore, entity, clock, adapterFactory, startSpread ?? TimeSpan.Zero, health, board));
}
