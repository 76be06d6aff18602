using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
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

    /// <summary>
    /// The most targets in one <see cref="TargetList"/>. A reply crosses nodes, so it must stay well under the cluster's
    /// 4 MiB frame (and the serializer's <c>MaxPayloadBytes</c> of 3 MiB): a maximal definition has 1,768 characters of text
    /// (id 100, adapter 32, endpoint 1,024, probe key 256, group 100, event probe key 256), at most 6 bytes each in JSON
    /// (\uXXXX escapes), so ≈ 10.6 KB, plus ≈ 0.7 KB of names, numbers and durations, plus its id again in ConfiguredIds
    /// (≈ 0.6 KB): under 12 KiB. 200 of them: under 2.4 MiB.
    /// </summary>
    public const int MaxTargetsPerPage = 200;

    /// <summary>
    /// One page of the known targets, ordered by id (case-insensitive): at most <paramref name="Limit"/> (capped at
    /// <see cref="MaxTargetsPerPage"/>) whose id sorts after <paramref name="After"/>; answered with <see cref="TargetList"/>.
    /// Use <see cref="TargetPages.AllAsync"/> to read every target.
    /// </summary>
    public sealed record GetTargets(int Limit = MaxTargetsPerPage, string? After = null) : IConfigMonitorMessage
    {
        /// <summary>The first page.</summary>
        public static readonly GetTargets Instance = new();
    }

    /// <summary>The one target with this id (case-insensitive), answered with a <see cref="TargetList"/> of it, or of none.</summary>
    public sealed record GetTarget(string TargetId) : IConfigMonitorMessage;

    /// <summary>
    /// A page of targets, ordered by id, which of them come from configuration (the others were added at runtime),
    /// how many targets there are in all, and the id to ask for the next page after (null on the last page).
    /// </summary>
    public sealed record TargetList(IReadOnlyList<TargetDefinition> Targets, IReadOnlyList<string>? ConfiguredIds = null, int Total = 0, string? Next = null)
        : IConfigMonitorMessage;
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
/// Knows which targets exist (a persistent cluster singleton) and publishes them to every node's <see cref="TargetDirectoryActor"/>
/// through Distributed Data. It starts each target's entity once (when it starts, and when a target is added); sharding remembers
/// the entities from then on and restarts them wherever their shards move, and each entity follows its definition in the directory.
/// Configured targets come from the configuration of the node it runs on; runtime targets are events in its journal.
/// </summary>
public sealed class TargetRegistryActor : ReceivePersistentActor
{
    /// <summary>Snapshot after this many events, then delete the events behind it.</summary>
    public const int SnapshotEveryEvents = 50;

    /// <summary>What to do once the directory holds a change: tell the entity, then answer the requester.</summary>
    private sealed record AfterPublish(object? ToEntity, IActorRef? ReplyTo, object? Reply) : INoSerializationVerificationNeeded;

    private sealed class FirstPublication : INoSerializationVerificationNeeded
    {
        public static readonly FirstPublication Instance = new();
    }

    private readonly IActorRef _targetMonitors;
    private readonly IActorRef? _replicator;
    private int _firstPublication;
    private readonly Func<IActorRef?> _alertManager;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TargetBook _book;

    /// <inheritdoc />
    public override string PersistenceId => "target-registry";

    /// <summary>Creates the registry with the configured targets; removals are told to the AlertManager (when there is one).</summary>
    public TargetRegistryActor(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, Func<IActorRef?> alertManager,
        IActorRef? replicator)
    {
        _targetMonitors = targetMonitors;
        _alertManager = alertManager;
        _replicator = replicator;
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
            // Every key is brought to the book (a configured target dropped from configuration leaves the directory), then every
            // entity is started once: sharding remembers them from then on.
            if (_replicator is not null)
            {
                var updates = TargetDirectoryWriter.Updates(Cluster.Get(Context.System), Entries(), context: FirstPublication.Instance);
                _firstPublication = updates.Count;
                foreach (var update in updates) _replicator.Tell(update);
            }
            foreach (var target in _book.All) _targetMonitors.Tell(new TargetMonitorCommands.MonitorTarget(target));
            _log.Info("Target registry ready: {0} targets ({1} from configuration) published to every node", _book.All.Count, _book.Configured.Count);
        });

        Command<UpdateSuccess>(ok => AfterPublished(ok.Request));
        Command<UpdateTimeout>(timeout =>
        {
            // Written here and to the nodes that answered; gossip carries it to the others.
            _log.Warning("Target directory key {0}: not every node confirmed the change within {1}; gossip spreads it", timeout.Key,
                Durations.Format(TargetDirectoryWriter.WriteTimeout));
            AfterPublished(timeout.Request);
        });
        Command<ModifyFailure>(failed =>
        {
            _log.Error(failed.Cause, "Target directory key {0} could not be changed: {1}", failed.Key, failed.ErrorMessage);
            AfterPublished(failed.Request);
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
                _log.Info("Target {0} registered at runtime ({1} at {2})", cmd.Definition.Id, cmd.Definition.Adapter,
                    Redaction.Redact(cmd.Definition.Endpoint));
                Publish(cmd.Definition.Id, new AfterPublish(new TargetMonitorCommands.MonitorTarget(cmd.Definition), sender, decision.Reply));
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
                Publish(cmd.TargetId, new AfterPublish(new TargetMonitorCommands.StopMonitoringTarget(cmd.TargetId), sender, decision.Reply));
                // Its open alerts close now; should this tell be lost (the singleton moving), the AlertManager's next read of the
                // registry closes them.
                _alertManager()?.Tell(new Alerts.AlertCommands.TargetRemoved(cmd.TargetId));
                _log.Info("Target {0} unregistered; its monitoring stops and its open alerts close", cmd.TargetId);
                MaybeSnapshot();
            });
        });
        Command<TargetRegistryCommands.GetTargets>(q => Sender.Tell(TargetPages.Page(_book.All, _book.ConfiguredIds, q)));
        Command<TargetRegistryCommands.GetTarget>(q => Sender.Tell(TargetPages.One(_book.All, _book.ConfiguredIds, q.TargetId)));
        Command<SaveSnapshotSuccess>(ok =>
            DeleteMessages(ok.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed =>
            _log.Warning("Target registry snapshot failed ({0}); the journal keeps every event", failed.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed =>
            _log.Warning("Target registry could not delete events behind its snapshot: {0}", failed.Cause.Message));
    }

    private IReadOnlyCollection<TargetDirectoryEntry> Entries() =>
        _book.All.Select(t => new TargetDirectoryEntry(t, _book.Configured.ContainsKey(t.Id))).ToList();

    // The directory learns the change before the entity and the requester do: a read on any node after the answer sees it.
    private void Publish(string targetId, AfterPublish then)
    {
        if (_replicator is null)
        {
            AfterPublished(then);
            return;
        }
        // Only the changed target's entry, in the one key it hashes to: nothing is built for the other targets or keys.
        var definition = _book.Find(targetId);
        var entry = definition is null ? null : new TargetDirectoryEntry(definition, _book.Configured.ContainsKey(definition.Id));
        _replicator.Tell(TargetDirectoryWriter.UpdateOne(Cluster.Get(Context.System), targetId, entry, then));
    }

    private void AfterPublished(object? request)
    {
        if (request is FirstPublication && --_firstPublication == 0)
            // Every key is written (to every node that answered): directories may answer on their own from now on.
            _replicator!.Tell(Dsl.Update(TargetDirectoryKeys.Published, Flag.False, new WriteAll(TargetDirectoryWriter.WriteTimeout), f => f.SwitchOn()));
        if (request is not AfterPublish then) return;
        if (then.ToEntity is not null) _targetMonitors.Tell(then.ToEntity);
        then.ReplyTo?.Tell(then.Reply);
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

    /// <summary>
    /// Props for the registry; it publishes to the nodes' directories through <paramref name="replicator"/> (a node's Distributed
    /// Data replicator; without one, on an actor system that is not a cluster, it only answers <see cref="TargetRegistryCommands.GetTargets"/> itself).
    /// </summary>
    public static Props Props(IEnumerable<TargetDefinition> configured, IActorRef targetMonitors, Func<IActorRef?>? alertManager = null,
        IActorRef? replicator = null) =>
        ActorProps.Of(() => new TargetRegistryActor(configured, targetMonitors, alertManager ?? (() => null), replicator));
}

/// <summary>Pages of the target registry's list: cut here, read through by the node's own users of every target.</summary>
public static class TargetPages
{
    /// <summary>The page <paramref name="query"/> asks for out of <paramref name="all"/> (ordered by id).</summary>
    public static TargetRegistryCommands.TargetList Page(IReadOnlyList<TargetDefinition> all, IReadOnlyList<string> configuredIds,
        TargetRegistryCommands.GetTargets query)
    {
        var limit = Math.Clamp(query.Limit, 1, TargetRegistryCommands.MaxTargetsPerPage);
        var rest = query.After is null
            ? all
            : all.Where(t => StringComparer.OrdinalIgnoreCase.Compare(t.Id, query.After) > 0).ToList();
        var page = rest.Take(limit).ToList();
        var configured = new HashSet<string>(configuredIds, StringComparer.OrdinalIgnoreCase);
        return new TargetRegistryCommands.TargetList(page, page.Where(t => configured.Contains(t.Id)).Select(t => t.Id).ToList(), all.Count,
            rest.Count > page.Count ? page[^1].Id : null);
    }

    /// <summary>The target <paramref name="targetId"/> of <paramref name="all"/> (case-insensitive) as a list of it or of none, with its configured flag and the total.</summary>
    public static TargetRegistryCommands.TargetList One(IReadOnlyList<TargetDefinition> all, IReadOnlyList<string> configuredIds, string targetId)
    {
        var target = all.FirstOrDefault(t => string.Equals(t.Id, targetId, StringComparison.OrdinalIgnoreCase));
        return new TargetRegistryCommands.TargetList(target is null ? [] : [target],
            target is not null && configuredIds.Contains(target.Id, StringComparer.OrdinalIgnoreCase) ? [target.Id] : [], all.Count);
    }

    /// <summary>
    /// Every target, read page by page from <paramref name="registry"/> (each ask bounded by <paramref name="timeout"/>): for
    /// the node's own users (health checks, maintenance, /metrics, group alerts) that need them all. The whole list stays local.
    /// </summary>
    public static async Task<TargetRegistryCommands.TargetList> AllAsync(IActorRef registry, TimeSpan timeout, CancellationToken ct = default)
    {
        var targets = new List<TargetDefinition>();
        var configured = new List<string>();
        string? after = null;
        do
        {
            var page = await registry.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTargets(After: after), timeout, ct)
                .ConfigureAwait(false);
            targets.AddRange(page.Targets);
            configured.AddRange(page.ConfiguredIds ?? []);
            after = page.Next;
        } while (after is not null);
        return new TargetRegistryCommands.TargetList(targets, configured, targets.Count);
    }
}
