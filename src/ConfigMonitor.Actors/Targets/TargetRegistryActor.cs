using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>Commands to the target registry.</summary>
public static class TargetRegistryCommands
{
    /// <summary>
    /// Add a runtime target (persisted); with <paramref name="Replace"/> an existing runtime target is redefined, without it
    /// an existing id is a <see cref="TargetConflict"/>. Answered with <see cref="TargetRegistered"/>, <see cref="TargetRejected"/>
    /// or <see cref="TargetConflict"/> (a target defined in configuration is changed only there).
    /// </summary>
    public sealed record RegisterTarget(TargetDefinition Definition, bool Replace = true) : IConfigMonitorMessage;

    /// <summary>The target is known and being monitored.</summary>
    public sealed record TargetRegistered(TargetDefinition Definition) : IConfigMonitorMessage;

    /// <summary>The definition was not accepted; nothing changed.</summary>
    public sealed record TargetRejected(string TargetId, IReadOnlyList<string> Problems) : IConfigMonitorMessage;

    /// <summary>The request clashes with the targets as they are (the id exists, or comes from configuration); nothing changed.</summary>
    public sealed record TargetConflict(string TargetId, string Reason) : IConfigMonitorMessage;

    /// <summary>Stop monitoring a runtime target; answered with <see cref="TargetUnregistered"/> or <see cref="TargetConflict"/> for a configured one.</summary>
    public sealed record UnregisterTarget(string TargetId) : IConfigMonitorMessage;

    /// <summary>Answer to <see cref="UnregisterTarget"/>; <c>Existed = false</c> for an unknown id.</summary>
    public sealed record TargetUnregistered(string TargetId, bool Existed) : IConfigMonitorMessage;

    /// <summary>Every known target; answered with <see cref="TargetList"/>.</summary>
    public sealed record GetTargets : IConfigMonitorMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetTargets Instance = new();
    }

    /// <summary>Known targets, ordered by id, and which of them come from configuration (the others were added at runtime).</summary>
    public sealed record TargetList(IReadOnlyList<TargetDefinition> Targets, IReadOnlyList<string>? ConfiguredIds = null) : IConfigMonitorMessage;
}

/// <summary>Events and snapshots of the target registry (the storage format): only runtime targets are persisted.</summary>
public static class TargetRegistryEvents
{
    /// <summary>Marker for target registry events.</summary>
    public interface ITargetRegistryEvent : IPersistedEvent;

    /// <summary>A target was added (or redefined) at runtime.</summary>
    public sealed record RuntimeTargetAdded(TargetDefinition Definition) : ITargetRegistryEvent;

    /// <summary>A runtime target was removed.</summary>
    public sealed record RuntimeTargetRemoved(string TargetId) : ITargetRegistryEvent;

    /// <summary>Every runtime target at one point.</summary>
    public sealed record TargetRegistrySnapshot(IReadOnlyList<TargetDefinition> RuntimeTargets) : IPersistedEvent;
}

/// <summary>
/// Knows which targets exist (a persistent cluster singleton) and keeps one TargetMonitor entity running for each: it repeats
/// <see cref="TargetMonitorCommands.MonitorTarget"/> on a timer, so sharding (re)starts an entity wherever its shard lives.
/// Configured targets come from the configuration of the node it runs on; runtime targets are events in its journal.
/// </summary>
public sealed class TargetRegistryActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>Snapshot after this many events, then delete the events behind it.</summary>
    public const int SnapshotEveryEvents = 50;

    private sealed class KeepMonitoring : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly KeepMonitoring Instance = new();
    }

    private readonly IActorRef _targetMonitors;
    private readonly TimeSpan _keepMonitoringInterval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TargetBook _book;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public override string PersistenceId => "target-registry";

    /// <summary>Creates the registry with the configured targets.</summary>
    public TargetRegistryActor(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, TimeSpan keepMonitoringInterval)
    {
        _targetMonitors = targetMonitors;
        _keepMonitoringInterval = keepMonitoringInterval;
        _book = TargetBook.From(configured);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TargetRegistryEvents.TargetRegistrySnapshot snapshot) _book = _book.Restore(snapshot);
        });
        Recover<TargetRegistryEvents.ITargetRegistryEvent>(e => _book = _book.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            foreach (var shadowed in _book.Runtime.Keys.Where(_book.Configured.ContainsKey))
                _log.Warning("Target {0} was added at runtime and is now also defined in configuration; the configuration's definition is used", shadowed);
            Self.Tell(KeepMonitoring.Instance);
            Timers.StartPeriodicTimer("keep-monitoring", KeepMonitoring.Instance, _keepMonitoringInterval);
        });

        Command<KeepMonitoring>(_ =>
        {
            foreach (var target in _book.All) _targetMonitors.Tell(new TargetMonitorCommands.MonitorTarget(target));
        });
        Command<TargetRegistryCommands.RegisterTarget>(cmd =>
        {
            var decision = _book.Decide(cmd);
            if (decision.Event is null)
            {
                _log.Warning("Target {0} not registered: {1}", cmd.Definition.Id, Describe(decision.Reply));
                Sender.Tell(decision.Reply);
                return;
            }
            var sender = Sender;
            Persist(decision.Event, e =>
            {
                _book = _book.Apply(e);
                _targetMonitors.Tell(new TargetMonitorCommands.MonitorTarget(cmd.Definition));
                _log.Info("Target {0} registered at runtime ({1} at {2})", cmd.Definition.Id, cmd.Definition.Adapter, cmd.Definition.Endpoint);
                sender.Tell(decision.Reply);
                MaybeSnapshot();
            });
        });
        Command<TargetRegistryCommands.UnregisterTarget>(cmd =>
        {
            var decision = _book.Decide(cmd);
            if (decision.Event is null)
            {
                Sender.Tell(decision.Reply);
                return;
            }
            var sender = Sender;
            Persist(decision.Event, e =>
            {
                _book = _book.Apply(e);
                _targetMonitors.Tell(new TargetMonitorCommands.StopMonitoringTarget(cmd.TargetId));
                _log.Info("Target {0} unregistered; its monitoring stops", cmd.TargetId);
                sender.Tell(decision.Reply);
                MaybeSnapshot();
            });
        });
        Command<TargetRegistryCommands.GetTargets>(_ => Sender.Tell(new TargetRegistryCommands.TargetList(_book.All, _book.ConfiguredIds)));
        Command<SaveSnapshotSuccess>(ok =>
            DeleteMessages(ok.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed =>
            _log.Warning("Target registry snapshot failed ({0}); the journal keeps every event", failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed =>
            _log.Warning("Target registry could not delete events behind its snapshot: {0}", failed.Cause.Message));
    }

    private void MaybeSnapshot()
    {
        if (LastSequenceNr % SnapshotEveryEvents == 0)
            SaveSnapshot(new TargetRegistryEvents.TargetRegistrySnapshot(_book.Runtime.Values.ToList()));
    }

    private static string Describe(object reply) => reply switch
    {
        TargetRegistryCommands.TargetRejected r => string.Join("; ", r.Problems),
        TargetRegistryCommands.TargetConflict c => c.Reason,
        _ => reply.ToString() ?? "",
    };

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Target registry could not persist {0}; it restarts and recovers from its journal", @event.GetType().Name);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Props for the registry.</summary>
    public static Props Props(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, TimeSpan keepMonitoringInterval) =>
        Akka.Actor.Props.Create(() => new TargetRegistryActor(configured, targetMonitors, keepMonitoringInterval));
}
