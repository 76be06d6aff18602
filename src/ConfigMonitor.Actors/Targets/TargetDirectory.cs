using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>One target as every node's directory holds it: its definition, and whether it comes from configuration.</summary>
public sealed record TargetDirectoryEntry(TargetDefinition Definition, bool Configured) : IConfigMonitorMessage;

/// <summary>
/// Where the registry's contents live in Distributed Data: split over <see cref="KeyCount"/> keys by a stable hash of the
/// (case-insensitive) id, so no one value nears the 4 MiB frame (30,000 maximal definitions in one value would exceed it;
/// over 200 keys a key holds about 150, under 2 MiB even at the largest definition the reader accepts).
/// </summary>
public static class TargetDirectoryKeys
{
    /// <summary>How many Distributed Data keys the directory is split over.</summary>
    public const int KeyCount = 200;

    /// <summary>Every key, by index.</summary>
    public static readonly IReadOnlyList<LWWDictionaryKey<string, TargetDirectoryEntry>> All =
        Enumerable.Range(0, KeyCount).Select(i => new LWWDictionaryKey<string, TargetDirectoryEntry>($"target-directory-{i:D3}")).ToList();

    private static readonly IReadOnlyDictionary<string, int> IndexOfKeyId =
        Enumerable.Range(0, KeyCount).ToDictionary(i => All[i].Id, i => i, StringComparer.Ordinal);

    /// <summary>The index of one of <see cref="All"/>.</summary>
    public static int IndexOfKey(LWWDictionaryKey<string, TargetDirectoryEntry> key) => IndexOfKeyId[key.Id];

    /// <summary>The index of the key that holds <paramref name="targetId"/> (FNV-1a of its lower-case UTF-8: the same on every node and run).</summary>
    public static int IndexOf(string targetId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(targetId.ToLowerInvariant()))
            hash = (hash ^ b) * 16777619u;
        return (int)(hash % KeyCount);
    }

    /// <summary>The key that holds <paramref name="targetId"/>.</summary>
    public static LWWDictionaryKey<string, TargetDirectoryEntry> For(string targetId) => All[IndexOf(targetId)];

    /// <summary>Switched on by the registry once it has written every key after it started: a directory that has seen it and every key is complete.</summary>
    public static readonly FlagKey Published = new("target-directory-published");

    /// <summary>The id as the directory's dictionaries key it (ids are case-insensitive).</summary>
    public static string EntryKey(string targetId) => targetId.ToLowerInvariant();
}

/// <summary>Questions to this node's target directory (local only: never sent between nodes).</summary>
public static class TargetDirectoryQueries
{
    /// <summary>
    /// Tell the sender the definition of <paramref name="TargetId"/> now (if the directory has it) and whenever it changes or
    /// is removed, with <see cref="TargetDefinitionChanged"/>, until the sender stops.
    /// </summary>
    public sealed record WatchTarget(string TargetId) : INoSerializationVerificationNeeded;

    /// <summary>
    /// The directory's definition of a target: null with <paramref name="Removed"/> when the directory held it and no longer does;
    /// null without it when the directory does not hold it (yet: a watch's first answer may come before the registry's write).
    /// </summary>
    public sealed record TargetDefinitionChanged(string TargetId, TargetDefinition? Definition, bool Removed = false) : INoSerializationVerificationNeeded;
}

/// <summary>
/// This node's replica of the target registry: every definition, from Distributed Data, answered locally. Reads about targets
/// (the API's lists, health, maintenance, alert groups) ask it with the registry's own <see cref="TargetRegistryCommands.GetTargets"/>,
/// so they answer while the registry singleton moves; only adding and removing a target needs the singleton. Each read first has
/// the replicator flush its pending change notifications, so a read after a change the registry confirmed sees it. Until the
/// replica holds the registry's first publication and every key (a node that just formed a new cluster), it passes the read
/// to the registry, which answers once it has recovered; the check is made after the flush, so a node whose replica already
/// holds the publication never asks the registry, even before the notification of it has arrived.
/// </summary>
public sealed class TargetDirectoryActor : UntypedActor
{
    private sealed class Flushed
    {
        public static readonly Flushed Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _replicator;
    private readonly Func<IActorRef?> _registry;
    private readonly List<(object Query, IActorRef ReplyTo)> _waiting = [];
    private bool _published;
    // Per key index: the entries the key held at its last change.
    private readonly Dictionary<int, IReadOnlyDictionary<string, TargetDirectoryEntry>> _byKey = new();
    private readonly Dictionary<string, HashSet<IActorRef>> _watchers = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, HashSet<string>> _watchedBy = new();
    private IReadOnlyList<TargetDefinition>? _sorted;
    private IReadOnlyList<string> _configuredIds = [];

    /// <summary>Creates the directory over <paramref name="replicator"/> (the node's Distributed Data replicator).</summary>
    public TargetDirectoryActor(IActorRef replicator, Func<IActorRef?> registry)
    {
        _replicator = replicator;
        _registry = registry;
    }

    private bool Complete => _published && _byKey.Count == TargetDirectoryKeys.KeyCount;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(TargetDirectoryKeys.Published, Self));
        foreach (var key in TargetDirectoryKeys.All) _replicator.Tell(Dsl.Subscribe(key, Self));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Changed changed when changed.Key is LWWDictionaryKey<string, TargetDirectoryEntry> key:
                OnChanged(key, changed.Get(key));
                break;
            case Changed changed when changed.Key is FlagKey:
                _published = true;
                break;
            case TargetRegistryCommands.GetTargets or TargetRegistryCommands.GetTarget:
                _waiting.Add((message, Sender));
                if (_waiting.Count == 1)
                {
                    // The replicator answers in order: every change notification it flushes arrives before this Get's answer.
                    _replicator.Tell(FlushChanges.Instance);
                    _replicator.Tell(Dsl.Get(TargetDirectoryKeys.Published, ReadLocal.Instance, Flushed.Instance));
                }
                break;
            case IGetResponse { Request: Flushed } flushed:
                // The flag as the replica holds it now, whether or not its change notification has come yet.
                if (flushed is GetSuccess) _published = true;
                var registry = Complete ? null : _registry();
                foreach (var (waiting, replyTo) in _waiting)
                {
                    if (registry is not null) registry.Tell(waiting, replyTo);
                    else
                        replyTo.Tell(waiting is TargetRegistryCommands.GetTarget one
                            ? One(one.TargetId)
                            : TargetPages.Page(Sorted(), _configuredIds, (TargetRegistryCommands.GetTargets)waiting));
                }
                _waiting.Clear();
                break;
            case TargetDirectoryQueries.WatchTarget watch:
                Watch(watch.TargetId, Sender);
                break;
            case Terminated terminated:
                Forget(terminated.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnChanged(LWWDictionaryKey<string, TargetDirectoryEntry> key, LWWDictionary<string, TargetDirectoryEntry> value)
    {
        var index = TargetDirectoryKeys.IndexOfKey(key);
        var before = _byKey.GetValueOrDefault(index) ?? new Dictionary<string, TargetDirectoryEntry>();
        var now = value.Entries;
        _byKey[index] = now;
        _sorted = null;
        foreach (var (id, entry) in now)
            if (!before.TryGetValue(id, out var old) || old != entry)
                Notify(id, entry.Definition);
        foreach (var id in before.Keys.Where(id => !now.ContainsKey(id)))
            Notify(id, null);
    }

    private void Notify(string entryKey, TargetDefinition? definition)
    {
        if (!_watchers.TryGetValue(entryKey, out var watchers)) return;
        foreach (var watcher in watchers)
            watcher.Tell(new TargetDirectoryQueries.TargetDefinitionChanged(definition?.Id ?? entryKey, definition, Removed: definition is null));
    }

    private void Watch(string targetId, IActorRef watcher)
    {
        var entryKey = TargetDirectoryKeys.EntryKey(targetId);
        if (!_watchers.TryGetValue(entryKey, out var watchers)) _watchers[entryKey] = watchers = [];
        if (watchers.Add(watcher))
        {
            if (!_watchedBy.TryGetValue(watcher, out var ids)) _watchedBy[watcher] = ids = new HashSet<string>(StringComparer.Ordinal);
            ids.Add(entryKey);
            Context.Watch(watcher);
        }
        var entry = _byKey.GetValueOrDefault(TargetDirectoryKeys.IndexOf(targetId))?.GetValueOrDefault(entryKey);
        watcher.Tell(new TargetDirectoryQueries.TargetDefinitionChanged(targetId, entry?.Definition));
    }

    private void Forget(IActorRef watcher)
    {
        if (!_watchedBy.Remove(watcher, out var ids)) return;
        foreach (var id in ids)
            if (_watchers.TryGetValue(id, out var watchers) && watchers.Remove(watcher) && watchers.Count == 0)
                _watchers.Remove(id);
    }

    // One target straight from its key, without sorting every target.
    private TargetRegistryCommands.TargetList One(string targetId)
    {
        var entry = _byKey.GetValueOrDefault(TargetDirectoryKeys.IndexOf(targetId))?.GetValueOrDefault(TargetDirectoryKeys.EntryKey(targetId));
        var total = _sorted?.Count ?? _byKey.Values.Sum(d => d.Count);
        return new TargetRegistryCommands.TargetList(entry is null ? [] : [entry.Definition], entry is { Configured: true } ? [entry.Definition.Id] : [], total);
    }

    private IReadOnlyList<TargetDefinition> Sorted()
    {
        if (_sorted is not null) return _sorted;
        var entries = _byKey.Values.SelectMany(d => d.Values).OrderBy(e => e.Definition.Id, StringComparer.OrdinalIgnoreCase).ToList();
        _configuredIds = entries.Where(e => e.Configured).Select(e => e.Definition.Id).ToList();
        _sorted = entries.Select(e => e.Definition).ToList();
        _log.Debug("Target directory rebuilt: {0} targets", _sorted.Count);
        return _sorted;
    }

    /// <summary>Props for the directory of this node; <paramref name="registry"/> finds the registry's proxy, for reads before the first publication.</summary>
    public static Props Props(IActorRef replicator, Func<IActorRef?> registry) =>
        ActorProps.Of(() => new TargetDirectoryActor(replicator, registry));
}

/// <summary>
/// Writes the registry's contents into the directory's Distributed Data keys. The first publication brings every key to exactly
/// the entries it should hold (set what is new or changed, remove what is gone); after it, a registration or removal writes only
/// the one key its id hashes to, and changes only that id's entry there. Each write goes to every reachable node before the
/// registry answers.
/// </summary>
public static class TargetDirectoryWriter
{
    /// <summary>How long a write waits for every node before the registry goes on (gossip carries it to the rest).</summary>
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The updates (one per key, every key) that make the directory hold exactly <paramref name="entries"/>.</summary>
    public static IReadOnlyList<Update> Updates(Cluster cluster, IReadOnlyCollection<TargetDirectoryEntry> entries, object? context = null)
    {
        var byKey = entries.GroupBy(e => TargetDirectoryKeys.IndexOf(e.Definition.Id))
            .ToDictionary(g => g.Key, g => g.ToDictionary(e => TargetDirectoryKeys.EntryKey(e.Definition.Id), StringComparer.Ordinal));
        var write = new WriteAll(WriteTimeout);
        return Enumerable.Range(0, TargetDirectoryKeys.KeyCount).Select(index =>
        {
            var wanted = byKey.GetValueOrDefault(index) ?? new Dictionary<string, TargetDirectoryEntry>(StringComparer.Ordinal);
            return Dsl.Update(TargetDirectoryKeys.All[index], LWWDictionary<string, TargetDirectoryEntry>.Empty, write, context, current =>
            {
                var next = current;
                foreach (var id in current.Keys.Where(id => !wanted.ContainsKey(id)).ToList()) next = next.Remove(cluster, id);
                foreach (var (id, entry) in wanted)
                    if (!current.TryGetValue(id, out var have) || have != entry)
                        next = next.SetItem(cluster, id, entry);
                return next;
            });
        }).ToList();
    }

    /// <summary>
    /// The one update a registration or removal needs: to the key that holds <paramref name="targetId"/>, setting its entry to
    /// <paramref name="entry"/> (removing it when null) and leaving the key's other entries as they are.
    /// </summary>
    public static Update UpdateOne(Cluster cluster, string targetId, TargetDirectoryEntry? entry, object? context = null) =>
        Dsl.Update(TargetDirectoryKeys.For(targetId), LWWDictionary<string, TargetDirectoryEntry>.Empty, new WriteAll(WriteTimeout), context,
            current => WithOne(current, cluster.SelfUniqueAddress, targetId, entry));

    /// <summary>
    /// <paramref name="current"/> (one key's value) with the entry of <paramref name="targetId"/> set to <paramref name="entry"/>,
    /// or removed when null; <paramref name="current"/> itself when it already says so (nothing to replicate).
    /// </summary>
    public static LWWDictionary<string, TargetDirectoryEntry> WithOne(LWWDictionary<string, TargetDirectoryEntry> current, UniqueAddress node,
        string targetId, TargetDirectoryEntry? entry)
    {
        var id = TargetDirectoryKeys.EntryKey(targetId);
        if (entry is null) return current.ContainsKey(id) ? current.Remove(node, id) : current;
        return current.TryGetValue(id, out var have) && have == entry ? current : current.SetItem(node, id, entry);
    }
}
