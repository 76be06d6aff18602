using ConfigMonitor.Actors.Alerts;
using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Tests.Alerts;

public class AlertBookSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static Observation Slow(DateTimeOffset at, AlertSeverity severity = AlertSeverity.Warning, string target = "orders") =>
        new(target, AlertCategory.Performance, "access_time", true, severity, "slow", at, 120, 50);

    private static Observation Fast(DateTimeOffset at, string target = "orders") =>
        new(target, AlertCategory.Performance, "access_time", false, AlertSeverity.Warning, "fast", at, 3, 50);

    private static void Feed(AlertBook book, Observation o)
    {
        foreach (var e in book.Observe(o)) book.Apply(e);
    }

    [Fact]
    public void Should_raise_one_alert_for_a_breach_that_persists_and_resolve_it_on_recovery()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        for (var i = 0; i < 10; i++) Feed(book, Slow(T0.AddMinutes(i)));

        var alert = Assert.Single(book.All(T0.AddDays(10)));
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(T0.AddMinutes(9), alert.LastSeenAt);
        Assert.Equal("orders/performance/access_time", alert.Fingerprint);

        Feed(book, Fast(T0.AddMinutes(10)));

        alert = Assert.Single(book.All(T0.AddDays(10)));
        Assert.Equal(AlertState.Resolved, alert.State);
        Assert.Equal(T0.AddMinutes(10), alert.ResolvedAt);
    }

    [Theory]
    [InlineData(1_001)]
    [InlineData(20_000_000)] // a 20 MB error text from a hostile or broken service
    public void Should_cut_a_long_probe_message_so_no_alert_outgrows_its_limit(int length)
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        var huge = new string('e', length);
        Feed(book, Slow(T0) with { Message = huge });
        Feed(book, Fast(T0.AddMinutes(1)) with { Message = huge });

        var alert = Assert.Single(book.All(T0.AddDays(1)));
        Assert.Equal(AlertState.Resolved, alert.State);
        Assert.True(alert.Message.Length <= 2 * ConfigMonitor.Actors.Protocol.TextLimits.AlertMessage, $"the alert message is {alert.Message.Length} characters");
        Assert.Contains($"({length} characters)", alert.Message);
    }

    [Fact]
    public void Should_raise_a_new_alert_with_a_new_id_when_the_breach_returns_after_recovery()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0));
        Feed(book, Fast(T0.AddMinutes(1)));
        Feed(book, Slow(T0.AddMinutes(2)));

        Assert.Equal(2, book.All(T0.AddDays(10)).Count);
        Assert.NotEqual(book.All(T0.AddDays(10))[0].Id, book.All(T0.AddDays(10))[1].Id);
        Assert.Single(book.All(T0.AddDays(10)), a => a.State == AlertState.Firing);
    }

    [Fact]
    public void Should_ignore_good_observations_when_nothing_is_firing()
    {
        Assert.Empty(new AlertBook(AlertPolicy.Immediate).Observe(Fast(T0)));
    }

    [Fact]
    public void Should_keep_fingerprints_of_different_targets_apart()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0, target: "a"));
        Feed(book, Slow(T0, target: "b"));

        Assert.Equal(2, book.Active(T0.AddDays(10)).Count);
    }

    [Fact]
    public void Should_change_the_severity_of_a_firing_alert_without_raising_another()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0));
        var events = book.Observe(Slow(T0.AddMinutes(1), AlertSeverity.Critical));

        Assert.IsType<AlertSeverityChanged>(Assert.Single(events));
        book.Apply(events[0]);
        Assert.Equal(AlertSeverity.Critical, Assert.Single(book.All(T0.AddDays(10))).Severity);
    }

    [Fact]
    public void Should_answer_null_for_an_unknown_alert_id_and_acknowledge_a_known_one_once()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0));
        var id = book.All(T0.AddDays(10))[0].Id;

        Assert.Null(book.DecideAcknowledge("alert-999", "ops", null, T0));
        var events = book.DecideAcknowledge(id, "ops", "on it", T0.AddMinutes(1))!;
        book.Apply(Assert.Single(events));
        Assert.Empty(book.DecideAcknowledge(id, "someone-else", null, T0.AddMinutes(2))!);

        var alert = book.Find(id, T0)!;
        Assert.True(alert.Acknowledged);
        Assert.Equal("ops", alert.AcknowledgedBy);
        Assert.Equal("on it", alert.AcknowledgeComment);
        Assert.Equal(T0.AddMinutes(1), alert.AcknowledgedAt);
    }

    [Fact]
    public void Should_count_firing_or_unacknowledged_alerts_as_active()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0));
        Feed(book, Fast(T0.AddMinutes(1)));

        Assert.Single(book.Active(T0.AddDays(10))); // resolved but not acknowledged
        book.Apply(book.DecideAcknowledge(book.All(T0.AddDays(10))[0].Id, "ops", null, T0.AddMinutes(2))![0]);
        Assert.Empty(book.Active(T0.AddDays(10)));
    }

    [Fact]
    public void Should_prune_only_acknowledged_alerts_resolved_before_the_cutoff()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0, target: "acked-old"));
        Feed(book, Fast(T0.AddHours(1), target: "acked-old"));
        Feed(book, Slow(T0, target: "unacked-old"));
        Feed(book, Fast(T0.AddHours(1), target: "unacked-old"));
        Feed(book, Slow(T0, target: "acked-firing"));
        foreach (var a in book.All(T0.AddDays(10)).Where(a => a.TargetId != "unacked-old"))
            book.Apply(book.DecideAcknowledge(a.Id, "ops", null, T0.AddHours(2))![0]);

        var events = book.DecidePrune(T0.AddHours(75), T0.AddHours(76));
        foreach (var e in events) book.Apply(e);

        Assert.Equal(["acked-firing", "unacked-old"], book.All(T0.AddDays(10)).Select(a => a.TargetId).Order());
    }

    [Fact]
    public void Should_restore_the_same_state_and_next_id_from_a_snapshot()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Feed(book, Slow(T0, target: "a"));
        Feed(book, Slow(T0, target: "b"));
        var restored = new AlertBook(AlertPolicy.Immediate);
        restored.Restore(book.ToSnapshot());

        Assert.Equal(book.All(T0.AddDays(10)), restored.All(T0.AddDays(10)));
        Assert.Equal(book.NextNumber, restored.NextNumber);
        Assert.Empty(restored.Observe(Slow(T0.AddMinutes(1), target: "a")));
    }
}
