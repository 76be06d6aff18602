using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>Commands to the target registry.</summary>
public static class TargetRegistryCommands
{
    /// <summary>Add (or redefine) a target at runtime; answered with <see cref="TargetRegistered"/> or <see cref="TargetRejected"/>.</summary>
    public sealed record RegisterTarget(TargetDefinition Definition) : IConfigMonitorMessage;

    /// <summary>The target is known and being monitored.</summary>
    public sealed record TargetRegistered(TargetDefinition Definition) : IConfigMonitorMessage;

    /// <summary>The definition was not accepted; nothing changed.</summary>
    public sealed record TargetRejected(string TargetId, IReadOnlyList<string> Problems) : IConfigMonitorMessage;

    /// <summary>Stop monitoring a target; answered with <see cref="TargetUnregistered"/>.</summary>
    public sealed record UnregisterTarget(string TargetId) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="UnregisterTarget"/>; <c>Existed = false</c> for an unknown id.</summary>
    public sealed record TargetUnregistered(string TargetId, bool Existed) : IConfigMonitorMessage;

    /// <summary>Every known target; answered with <see cref="TargetList"/>.</summary>
    public sealed record GetTargets : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetTargets Instance = new();
    }

    /// <summary>Known targets, ordered by id.</summary>
    public sealed record TargetList(IReadOnlyList<TargetDefinition> Targets) : IConfigMonitorMessage;
}

/// <summary>
/// Knows which targets exist and keeps one TargetMonitor entity running for each: it repeats
/// <see cref="TargetMonitorCommands.MonitorTarget"/> on a timer, so sharding (re)starts an entity wherever its shard lives.
/// </summary>
public sealed class TargetRegistryActor : ReceiveActor, IWithTimers
{
    private sealed class KeepMonitoring : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly KeepMonitoring Instance = new();
    }

    private readonly SortedDictionary<string, TargetDefinition> _targets = new(StringComparer.OrdinalIgnoreCase);
    private readonly IActorRef _targetMonitors;
    private readonly TimeSpan _keepMonitoringInterval;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the registry with the configured targets.</summary>
    public TargetRegistryActor(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, TimeSpan keepMonitoringInterval)
    {
        _targetMonitors = targetMonitors;
        _keepMonitoringInterval = keepMonitoringInterval;
        foreach (var target in configured) _targets[target.Id] = target;

        Receive<KeepMonitoring>(_ =>
        {
            foreach (var target in _targets.Values) _targetMonitors.Tell(new TargetMonitorCommands.MonitorTarget(target));
        });
        Receive<TargetRegistryCommands.RegisterTarget>(cmd =>
        {
            var problems = TargetDefinitionReader.Validate(cmd.Definition);
            if (problems.Count > 0)
            {
                _log.Warning("Target {0} rejected: {1}", cmd.Definition.Id, string.Join("; ", problems));
                Sender.Tell(new TargetRegistryCommands.TargetRejected(cmd.Definition.Id, problems));
                return;
            }
            _targets[cmd.Definition.Id] = cmd.Definition;
            _targetMonitors.Tell(new TargetMonitorCommands.MonitorTarget(cmd.Definition));
            _log.Info("Target {0} registered ({1} at {2})", cmd.Definition.Id, cmd.Definition.Adapter, cmd.Definition.Endpoint);
            Sender.Tell(new TargetRegistryCommands.TargetRegistered(cmd.Definition));
        });
        Receive<TargetRegistryCommands.UnregisterTarget>(cmd =>
        {
            var existed = _targets.Remove(cmd.TargetId);
            if (existed)
            {
                _targetMonitors.Tell(new TargetMonitorCommands.StopMonitoringTarget(cmd.TargetId));
                _log.Info("Target {0} unregistered", cmd.TargetId);
            }
            Sender.Tell(new TargetRegistryCommands.TargetUnregistered(cmd.TargetId, existed));
        });
        Receive<TargetRegistryCommands.GetTargets>(_ => Sender.Tell(new TargetRegistryCommands.TargetList(_targets.Values.ToList())));
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        Self.Tell(KeepMonitoring.Instance);
        Timers.StartPeriodicTimer("keep-monitoring", KeepMonitoring.Instance, _keepMonitoringInterval);
    }

    /// <summary>Props for the registry.</summary>
    public static Props Props(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, TimeSpan keepMonitoringInterval) =>
        Akka.Actor.Props.Create(() => new TargetRegistryActor(configured, targetMonitors, keepMonitoringInterval));
}
