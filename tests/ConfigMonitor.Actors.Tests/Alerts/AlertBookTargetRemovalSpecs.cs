using ConfigMonitor.Actors.Alerts;
using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>The AlertBook's rules for a target the registry removed: its open alerts close, others stay, late observations do not re-open.</summary>
public class AlertBookTargetRemovalSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);

    // Under the default policy a warning waits for a second breach (pending), a critical breach fires at once.
    private static Observation Pending(string target, DateTimeOffset at) =>
        new(target, AlertCategory.Performance, "access_time", true, AlertSeverity.Warning, "slow", at, 120, 50);

    private static Observation Firing(string target, DateTimeOffset at) =>
        new(target, AlertCategory.Database, "unreachable", true, AlertSeverity.Critical, "database round trip failed", at);

    private static Observation Good(string target, DateTimeOffset at) =>
        new(target, AlertCategory.Database, "unreachable", false, AlertSeverity.Critical, "database answers", at);

    private static void Feed(AlertBook book, Observation o) => Apply(book, book.Observe(o));

    private static void Apply(AlertBook book, IEnumerable<IAlertEvent> events)
    {
        foreach (var e in events) book.Apply(e);
    }

    /// <summary>Two targets, each with a pending and a firing alert.</summary>
    private static AlertBook TwoTargetsFailing()
    {
        var book = new AlertBook(new AlertPolicy());
        foreach (var target in new[] { "orders", "payments" })
        {
            Feed(book, Pending(target, T0));
            Feed(book, Firing(target, T0));
        }
        Assert.Equal(4, book.All(T0).Count(a => a.IsOpen));
        return book;
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("ORDERS")] // target ids are case-insensitive in the registry
    public void Should_cancel_the_pending_and_resolve_the_firing_alerts_of_a_removed_target_and_leave_other_targets_alone(string removed)
    {
        var book = TwoTargetsFailing();
        var othersBefore = book.All(T0.AddMinutes(5)).Where(a => a.TargetId == "payments").ToList();

        var events = book.DecideTargetRemoved(removed, T0.AddMinutes(5));
        Apply(book, events);

        Assert.Collection(events,
            e => Assert.IsType<AlertCancelled>(e),
            e => Assert.Equal("target 'orders' was removed from the registry; its monitoring stopped", Assert.IsType<AlertResolved>(e).Message),
            e => Assert.Equal(new TargetRetired(removed, T0.AddMinutes(5)), e));
        var orders = Assert.Single(book.All(T0.AddMinutes(5)), a => a.TargetId == "orders"); // the pending one is forgotten, as any cancelled alert
        Assert.Equal(AlertState.Resolved, orders.State);
        Assert.Equal(T0.AddMinutes(5), orders.ResolvedAt);
        Assert.EndsWith("— resolved: target 'orders' was removed from the registry; its monitoring stopped", orders.Message);
        Assert.DoesNotContain(book.All(T0.AddMinutes(5)), a => a.TargetId == "orders" && a.IsOpen);
        Assert.Equal(othersBefore, book.All(T0.AddMinutes(5)).Where(a => a.TargetId == "payments").ToList());
        Assert.True(book.IsRetired("orders"));
        Assert.False(book.IsRetired("payments"));
    }

    [Fact]
    public void Should_retire_a_target_without_alerts_once_and_decide_nothing_when_told_again()
    {
        var book = TwoTargetsFailing();

        var first = book.DecideTargetRemoved("inventory", T0);
        Apply(book, first);
        Apply(book, book.DecideTargetRemoved("orders", T0));

        Assert.Equal([new TargetRetired("inventory", T0)], first);
        Assert.Empty(book.DecideTargetRemoved("inventory", T0.AddMinutes(1)));
        Assert.Empty(book.DecideTargetRemoved("orders", T0.AddMinutes(1)));
    }

    [Theory]
    [InlineData(true, true)]   // a critical breach, which would fire at once
    [InlineData(true, false)]  // a warning breach, which would go pending
    [InlineData(false, true)]  // a good result
    public void Should_not_open_or_change_anything_for_an_observation_that_arrives_after_the_target_was_removed(bool breached, bool critical)
    {
        var book = TwoTargetsFailing();
        Apply(book, book.DecideTargetRemoved("orders", T0.AddMinutes(5)));
        var before = book.All(T0.AddMinutes(6));

        var late = critical ? Firing("orders", T0.AddMinutes(6)) : Pending("orders", T0.AddMinutes(6));
        var events = book.Observe(late with { Breached = breached });

        Assert.Empty(events);
        Assert.Equal(before, book.All(T0.AddMinutes(6)));
        Assert.Null(book.OpenFor(late.Fingerprint));
    }

    [Fact]
    public void Should_keep_a_removed_target_retired_through_a_snapshot_and_read_a_snapshot_written_before_retirement_existed()
    {
        var book = TwoTargetsFailing();
        Apply(book, book.DecideTargetRemoved("orders", T0.AddMinutes(5)));

        var restored = new AlertBook(new AlertPolicy());
        restored.Restore(book.ToSnapshot());
        var old = new AlertBook(new AlertPolicy());
        old.Restore(book.ToSnapshot() with { RetiredTargets = null });

        Assert.True(restored.IsRetired("orders"));
        Assert.Empty(restored.Observe(Firing("orders", T0.AddMinutes(6))));
        Assert.Equal(book.All(T0.AddMinutes(6)), old.All(T0.AddMinutes(6)));
        Assert.False(old.IsRetired("orders"));
    }

    [Fact]
    public void Should_close_on_a_registry_read_the_alerts_of_targets_it_no_longer_lists_and_keep_those_it_lists()
    {
        var book = TwoTargetsFailing();
        var next = book.NextNumber;

        var events = book.DecideRegistryRead(["payments", "inventory"], next, book.Retirements, Quiet, T0.AddMinutes(5));
        Apply(book, events);

        Assert.Equal(["AlertCancelled", "AlertResolved", "TargetRetired"], events.Select(e => e.GetType().Name));
        Assert.DoesNotContain(book.All(T0.AddMinutes(5)), a => a.TargetId == "orders" && a.IsOpen);
        Assert.Equal(2, book.All(T0.AddMinutes(5)).Count(a => a.TargetId == "payments" && a.IsOpen));
        Assert.Empty(book.DecideRegistryRead(["payments", "inventory"], book.NextNumber, book.Retirements, Quiet, T0.AddMinutes(6)));
    }

    [Fact]
    public void Should_not_close_on_a_registry_read_the_alerts_of_an_unlisted_target_still_seen_breaching()
    {
        var book = TwoTargetsFailing();
        Feed(book, Firing("orders", T0.AddMinutes(4) + TimeSpan.FromSeconds(30))); // its firing alert was seen 30 s before the read

        var early = book.DecideRegistryRead(["payments"], book.NextNumber, book.Retirements, Quiet, T0.AddMinutes(5));
        var quiet = book.DecideRegistryRead(["payments"], book.NextNumber, book.Retirements, Quiet, T0.AddMinutes(5) + TimeSpan.FromSeconds(30));

        Assert.Empty(early);
        Assert.Equal(["AlertCancelled", "AlertResolved", "TargetRetired"], quiet.Select(e => e.GetType().Name));
    }

    [Fact]
    public void Should_not_close_on_a_registry_read_an_alert_raised_after_the_read_began()
    {
        var book = TwoTargetsFailing();
        var next = book.NextNumber;
        var retirements = book.Retirements;
        Feed(book, Firing("new-target", T0.AddMinutes(1))); // registered while the read was under way, so the answer does not list it

        var events = book.DecideRegistryRead(["orders", "payments"], next, retirements, Quiet, T0.AddMinutes(2));

        Assert.Empty(events);
        Assert.False(book.IsRetired("new-target"));
    }

    [Fact]
    public void Should_never_close_a_group_alert_on_a_registry_read_or_a_removal()
    {
        var book = new AlertBook(new AlertPolicy());
        book.SetGroups(new Dictionary<string, IReadOnlyList<string>> { ["eu"] = ["eu-1", "eu-2", "eu-3"] });
        Feed(book, Firing("eu-1", T0));
        Feed(book, Firing("eu-2", T0));
        Apply(book, book.DecideGroup("eu", T0));
        var group = book.OpenFor(AlertBook.GroupFingerprint("eu"));
        Assert.NotNull(group);

        var read = book.DecideRegistryRead(["eu-1", "eu-2", "eu-3"], book.NextNumber, book.Retirements, Quiet, T0.AddMinutes(1));
        var removal = book.DecideTargetRemoved(AlertBook.GroupTarget("eu"), T0.AddMinutes(1));

        Assert.Empty(read);
        Assert.Empty(removal);
        Assert.Equal(group, book.OpenFor(AlertBook.GroupFingerprint("eu")));
    }

    [Fact]
    public void Should_resolve_the_group_alert_when_removing_a_member_leaves_too_few_failing()
    {
        var book = new AlertBook(new AlertPolicy());
        book.SetGroups(new Dictionary<string, IReadOnlyList<string>> { ["eu"] = ["eu-1", "eu-2", "eu-3"] });
        Feed(book, Firing("eu-1", T0));
        Feed(book, Firing("eu-2", T0));
        Apply(book, book.DecideGroup("eu", T0));

        Apply(book, book.DecideTargetRemoved("eu-2", T0.AddMinutes(1)));
        var after = book.DecideGroup("eu", T0.AddMinutes(1));

        Assert.IsType<AlertResolved>(Assert.Single(after));
    }

    [Fact]
    public void Should_accept_observations_again_once_a_read_begun_after_the_removal_lists_the_target_again()
    {
        var book = TwoTargetsFailing();
        var readBegunBefore = book.Retirements;
        Apply(book, book.DecideTargetRemoved("orders", T0.AddMinutes(5)));

        // A read that began before the removal may list the target as it was: it stays retired.
        Apply(book, book.DecideRegistryRead(["orders", "payments"], book.NextNumber, readBegunBefore, Quiet, T0.AddMinutes(6)));
        Assert.True(book.IsRetired("orders"));
        Assert.Empty(book.Observe(Firing("orders", T0.AddMinutes(6))));

        // The target was registered again: a read begun after the removal lists it.
        Apply(book, book.DecideRegistryRead(["Orders", "payments"], book.NextNumber, book.Retirements, Quiet, T0.AddMinutes(7)));
        Assert.False(book.IsRetired("orders"));
        var raised = Assert.IsType<AlertRaised>(Assert.Single(book.Observe(Firing("orders", T0.AddMinutes(8)))));
        Assert.Equal(AlertState.Firing, raised.Alert.State);
    }
}
