namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// The target registry's state and rules, without an actor: configured targets (from this node's configuration, never
/// persisted) and runtime targets (added through the API, persisted as events). Configuration wins on an id clash.
/// </summary>
public sealed record TargetBook(
    IReadOnlyDictionary<string, TargetDefinition> Configured,
    IReadOnlyDictionary<string, TargetDefinition> Runtime)
{
    /// <summary>A book holding only the configured targets.</summary>
    public static TargetBook From(IEnumerable<TargetDefinition> configured) => new(
        configured.ToDictionary(t => t.Id, StringComparer.OrdinalIgnoreCase),
        new Dictionary<string, TargetDefinition>(StringComparer.OrdinalIgnoreCase));

    /// <summary>Every target in force, ordered by id.</summary>
    public IReadOnlyList<TargetDefinition> All =>
        Runtime.Values.Where(t => !Configured.ContainsKey(t.Id)).Concat(Configured.Values)
            .OrderBy(t => t.Id, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The ids that come from configuration, ordered.</summary>
    public IReadOnlyList<string> ConfiguredIds => Configured.Keys.OrderBy(k => k, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The target with this id, if any.</summary>
    public TargetDefinition? Find(string id) =>
        Configured.TryGetValue(id, out var c) ? c : Runtime.TryGetValue(id, out var r) ? r : null;

    /// <summary>What registering <paramref name="cmd"/> means: the event to persist, or the refusal to answer.</summary>
    public TargetDecision Decide(TargetRegistryCommands.RegisterTarget cmd)
    {
        var problems = TargetDefinitionReader.Validate(cmd.Definition);
        if (problems.Count > 0) return new TargetDecision(null, new TargetRegistryCommands.TargetRejected(cmd.Definition.Id, problems));
        if (Configured.ContainsKey(cmd.Definition.Id))
            return new TargetDecision(null, new TargetRegistryCommands.TargetConflict(cmd.Definition.Id,
                $"target '{cmd.Definition.Id}' is defined in configuration; change it there"));
        if (!cmd.Replace && Runtime.ContainsKey(cmd.Definition.Id))
            return new TargetDecision(null, new TargetRegistryCommands.TargetConflict(cmd.Definition.Id,
                $"target '{cmd.Definition.Id}' already exists; remove it first to redefine it"));
        return new TargetDecision(new TargetRegistryEvents.RuntimeTargetAdded(cmd.Definition), new TargetRegistryCommands.TargetRegistered(cmd.Definition));
    }

    /// <summary>What unregistering means: configured targets stay (409), unknown ones are answered as not existing.</summary>
    public TargetDecision Decide(TargetRegistryCommands.UnregisterTarget cmd)
    {
        if (Configured.ContainsKey(cmd.TargetId))
            return new TargetDecision(null, new TargetRegistryCommands.TargetConflict(cmd.TargetId,
                $"target '{cmd.TargetId}' is defined in configuration; remove it there and restart the node"));
        return Runtime.TryGetValue(cmd.TargetId, out var existing)
            ? new TargetDecision(new TargetRegistryEvents.RuntimeTargetRemoved(existing.Id), new TargetRegistryCommands.TargetUnregistered(existing.Id, true))
            : new TargetDecision(null, new TargetRegistryCommands.TargetUnregistered(cmd.TargetId, false));
    }

    /// <summary>The book after <paramref name="event"/>.</summary>
    public TargetBook Apply(TargetRegistryEvents.ITargetRegistryEvent @event)
    {
        var runtime = new Dictionary<string, TargetDefinition>(Runtime, StringComparer.OrdinalIgnoreCase);
        switch (@event)
        {
            case TargetRegistryEvents.RuntimeTargetAdded added:
                runtime[added.Definition.Id] = added.Definition;
                break;
            case TargetRegistryEvents.RuntimeTargetRemoved removed:
                runtime.Remove(removed.TargetId);
                break;
        }
        return this with { Runtime = runtime };
    }

    /// <summary>The book with the runtime targets of a snapshot.</summary>
    public TargetBook Restore(TargetRegistryEvents.TargetRegistrySnapshot snapshot) =>
        this with { Runtime = snapshot.RuntimeTargets.ToDictionary(t => t.Id, StringComparer.OrdinalIgnoreCase) };
}

/// <summary>A decision: the event to persist (null when nothing changes) and the answer to the sender.</summary>
public sealed record TargetDecision(TargetRegistryEvents.ITargetRegistryEvent? Event, object Reply);
