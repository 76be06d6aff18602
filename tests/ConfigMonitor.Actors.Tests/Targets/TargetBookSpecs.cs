using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>The target registry's rules without an actor: configured targets stay, runtime targets come and go as events.</summary>
public sealed class TargetBookSpecs
{
    private static readonly TargetDefinition Demo = TargetDefinition.WithDefaults("demo", "/user/config-service-demo");
    private static readonly TargetDefinition Orders = TargetDefinition.WithDefaults("orders", "/user/orders");

    [Fact]
    public void Should_add_a_runtime_target_as_an_event_and_list_it_beside_the_configured_ones()
    {
        var book = TargetBook.From([Demo]);

        var decision = book.Decide(new TargetRegistryCommands.RegisterTarget(Orders, Replace: false));
        var added = Assert.IsType<TargetRegistryEvents.RuntimeTargetAdded>(decision.Event);
        Assert.IsType<TargetRegistryCommands.TargetRegistered>(decision.Reply);
        book = book.Apply(added);

        Assert.Equal(["demo", "orders"], book.All.Select(t => t.Id));
        Assert.Equal(["demo"], book.ConfiguredIds);
    }

    [Fact]
    public void Should_refuse_an_existing_id_without_replace_and_any_change_to_a_configured_target()
    {
        var book = TargetBook.From([Demo]).Apply(new TargetRegistryEvents.RuntimeTargetAdded(Orders));

        var duplicate = book.Decide(new TargetRegistryCommands.RegisterTarget(Orders, Replace: false));
        Assert.Null(duplicate.Event);
        Assert.Contains("already exists", Assert.IsType<TargetRegistryCommands.TargetConflict>(duplicate.Reply).Reason);

        var redefine = book.Decide(new TargetRegistryCommands.RegisterTarget(Demo with { ProbeKey = "x" }));
        Assert.Null(redefine.Event);
        Assert.Contains("defined in configuration", Assert.IsType<TargetRegistryCommands.TargetConflict>(redefine.Reply).Reason);

        var remove = book.Decide(new TargetRegistryCommands.UnregisterTarget("demo"));
        Assert.Null(remove.Event);
        Assert.Contains("defined in configuration", Assert.IsType<TargetRegistryCommands.TargetConflict>(remove.Reply).Reason);

        Assert.IsType<TargetRegistryEvents.RuntimeTargetAdded>(book.Decide(new TargetRegistryCommands.RegisterTarget(Orders with { ProbeKey = "y" })).Event);
    }

    [Fact]
    public void Should_reject_an_invalid_definition_with_its_problems_and_answer_an_unknown_removal_as_not_existing()
    {
        var book = TargetBook.From([Demo]);

        var invalid = book.Decide(new TargetRegistryCommands.RegisterTarget(TargetDefinition.WithDefaults("bad", "nowhere")));
        Assert.Null(invalid.Event);
        Assert.Contains(Assert.IsType<TargetRegistryCommands.TargetRejected>(invalid.Reply).Problems, p => p.Contains("field 'Endpoint'", StringComparison.Ordinal));

        var unknown = book.Decide(new TargetRegistryCommands.UnregisterTarget("nope"));
        Assert.Null(unknown.Event);
        Assert.False(Assert.IsType<TargetRegistryCommands.TargetUnregistered>(unknown.Reply).Existed);
    }

    [Fact]
    public void Should_remove_a_runtime_target_and_restore_runtime_targets_from_a_snapshot()
    {
        var book = TargetBook.From([Demo]).Apply(new TargetRegistryEvents.RuntimeTargetAdded(Orders));

        var removal = book.Decide(new TargetRegistryCommands.UnregisterTarget("ORDERS"));
        book = book.Apply(Assert.IsType<TargetRegistryEvents.RuntimeTargetRemoved>(removal.Event));
        Assert.Equal(["demo"], book.All.Select(t => t.Id));

        var restored = TargetBook.From([Demo]).Restore(new TargetRegistryEvents.TargetRegistrySnapshot([Orders]));
        Assert.Equal(["demo", "orders"], restored.All.Select(t => t.Id));
    }
}
