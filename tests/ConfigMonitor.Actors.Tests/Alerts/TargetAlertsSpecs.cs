using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Monitoring;
using static ConfigMonitor.Actors.Alerts.AlertEvents;
using static ConfigMonitor.Actors.Alerts.TargetAlertEvents;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>
/// A target's own alert evaluation (<see cref="TargetAlerts"/>, pure) and the AlertManager's book following its reports
/// (<see cref="AlertBook.DecideReport"/>): what is stored, what is reported, and that the book ends where direct evaluation
/// would, whatever reports are lost, repeated or merged on the way.
/// </summary>
public sealed class TargetAlertsSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly AlertPolicy Policy = new()
    {
        WarningRule = new AlertRule(FailureThreshold: 3, SuccessThreshold: 2),
        CriticalRule = new AlertRule(FailureThreshold: 1, SuccessThreshold: 2),
        RootCauseWait = TimeSpan.FromMinutes(1),
    };

    private static Observation Slow(DateTimeOffset at, bool breached = true, AlertSeverity severity = AlertSeverity.Warning, string target = "orders") =>
        new(target, AlertCategory.Performance, "config_access_ms", breached, severity, breached ? "reads take 900 ms" : "reads take 4 ms", at);

    private static Observation ReadFailed(DateTimeOffset at, bool breached = true) =>
        new("orders", AlertCategory.Performance, PerformanceLoopActor.ReadFailedRule, breached, AlertSeverity.Critical,
            breached ? "read failed: connection refused" : "reads answer", at);

    private static Observation ServiceHealth(DateTimeOffset at, bool breached) =>
        new("orders", AlertCategory.Health, HealthLoopActor.ServiceHealthRule, breached, AlertSeverity.Critical,
            breached ? "the service does not answer" : "the service answers", at);

    /// <summary>Processes and applies at once (as the actor does once the events are stored); returns the events and the report.</summary>
    private static (IReadOnlyList<ITargetAlertEvent> Events, TargetAlertReport? Report) Feed(TargetAlerts state, Observation o)
    {
        var (events, keys) = state.Process(o);
        foreach (var e in events) state.Apply(e);
        return (events, state.Report(keys));
    }

    [Fact]
    public void Should_store_and_report_nothing_for_a_healthy_target_or_one_that_keeps_failing_the_same_way()
    {
        var state = new TargetAlerts("orders", Policy);
        for (var i = 0; i < 200; i++)
        {
            var (events, report) = Feed(state, Slow(T0.AddSeconds(i), breached: false));
            Assert.Empty(events);
            Assert.Null(report);
        }

        var written = Enumerable.Range(0, 200).Select(i => Feed(state, Slow(T0.AddMinutes(10).AddSeconds(i))).Events.Count).ToList();

        // pending, second breach, firing at the third; then nothing while it keeps breaching the same way
        Assert.Equal([1, 1, 1], written.Take(3));
        Assert.All(written.Skip(3), count => Assert.Equal(0, count));
        Assert.Equal(RulePhase.Firing, state.RuleOf("performance/config_access_ms")!.Phase);
        Assert.Equal(3, state.RuleOf("performance/config_access_ms")!.Breaches);
    }

    [Fact]
    public void Should_go_pending_then_firing_then_resolve_after_the_success_threshold_keeping_the_episode()
    {
        var state = new TargetAlerts("orders", Policy);
        var first = Feed(state, Slow(T0));
        Feed(state, Slow(T0.AddSeconds(5)));
        var fired = Feed(state, Slow(T0.AddSeconds(10)));
        var worse = Feed(state, Slow(T0.AddSeconds(15), severity: AlertSeverity.Critical));
        var oneGood = Feed(state, Slow(T0.AddSeconds(20), breached: false));
        var resolved = Feed(state, Slow(T0.AddSeconds(25), breached: false));

        Assert.Equal(RulePhase.Pending, Assert.IsType<RuleRecorded>(Assert.Single(first.Events)).Rule.Phase);
        var firing = Assert.IsType<RuleRecorded>(Assert.Single(fired.Events)).Rule;
        Assert.Equal((RulePhase.Firing, T0, (DateTimeOffset?)T0.AddSeconds(10)), (firing.Phase, firing.RaisedAt!.Value, firing.FiredAt));
        Assert.Equal(AlertSeverity.Critical, Assert.IsType<RuleRecorded>(Assert.Single(worse.Events)).Rule.Severity);
        Assert.Equal(1, Assert.IsType<RuleRecorded>(Assert.Single(oneGood.Events)).Rule.Goods);
        var ended = Assert.IsType<RuleRecorded>(Assert.Single(resolved.Events)).Rule;
        Assert.Equal((RulePhase.Quiet, T0, (DateTimeOffset?)T0.AddSeconds(25), "reads take 4 ms"),
            (ended.Phase, ended.RaisedAt!.Value, ended.EndedAt, ended.EndMessage));
        Assert.Empty(Feed(state, Slow(T0.AddSeconds(30), breached: false)).Events); // quiet stays quiet without a write
    }

    [Fact]
    public void Should_hold_a_rule_with_a_for_duration_pending_without_writing_until_the_duration_has_passed()
    {
        var policy = Policy with { Rules = new Dictionary<string, AlertRule> { ["performance/config_access_ms"] = new(2, TimeSpan.FromMinutes(1), 1) } };
        var state = new TargetAlerts("orders", policy);
        var written = Enumerable.Range(0, 12).Select(i => Feed(state, Slow(T0.AddSeconds(10 * i)))).ToList();

        Assert.Equal([1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], written.Select(w => w.Events.Count));
        Assert.Equal(T0.AddMinutes(1), state.RuleOf("performance/config_access_ms")!.FiredAt);
    }

    [Fact]
    public void Should_tell_once_that_the_root_judged_an_answer_failure_raised_before_it_and_not_for_a_judgement_before_the_raise()
    {
        var state = new TargetAlerts("orders", Policy);
        Feed(state, ServiceHealth(T0, breached: false)); // before the failure: does not count
        var raised = Feed(state, ReadFailed(T0.AddSeconds(1))).Report!;
        var judged = Feed(state, ServiceHealth(T0.AddSeconds(2), breached: false)).Report;
        var again = Feed(state, ServiceHealth(T0.AddSeconds(3), breached: false)).Report;

        Assert.False(Assert.Single(raised.Rules).ServiceRootJudged);
        var rule = Assert.Single(judged!.Rules);
        Assert.True(rule.ServiceRootJudged);
        Assert.Equal(PerformanceLoopActor.ReadFailedRule, rule.Rule.Rule);
        Assert.Null(again);
    }

    [Fact]
    public void Should_report_again_until_confirmed_and_send_a_full_report_with_every_rule_after_recovery()
    {
        var state = new TargetAlerts("orders", Policy);
        var first = Feed(state, Slow(T0)).Report!;
        var second = Feed(state, ReadFailed(T0)).Report!;

        Assert.Equal((1L, 2L), (first.Version, second.Version));
        Assert.Equal(2, state.Unconfirmed()!.Rules.Count);
        state.Confirm(1);
        Assert.Equal(PerformanceLoopActor.ReadFailedRule, Assert.Single(state.Unconfirmed()!.Rules).Rule.Rule);
        state.Confirm(2);
        Assert.Null(state.Unconfirmed());

        var recovered = new TargetAlerts("orders", Policy);
        recovered.Restore(state.ToSnapshot());
        var full = recovered.FullReport(fresh: false);
        Assert.True(full.Full);
        Assert.False(full.Fresh);
        Assert.Equal(2, full.Rules.Count);
        Assert.Equal(full.Version, recovered.Unconfirmed()!.Version);
        recovered.Confirm(full.Version);
        Assert.Null(recovered.Unconfirmed());
        Assert.True(new TargetAlerts("new", Policy).FullReport(fresh: true).Fresh);
    }

    [Fact]
    public void Should_forget_every_rule_when_the_target_is_removed()
    {
        var state = new TargetAlerts("orders", Policy);
        Feed(state, ReadFailed(T0));
        foreach (var e in state.DecideForget(T0.AddMinutes(1))) state.Apply(e);

        Assert.Empty(state.Rules);
        Assert.Empty(state.DecideForget(T0.AddMinutes(2)));
    }

    [Fact]
    public void Should_adopt_the_open_alerts_of_a_target_evaluated_before_by_the_alert_manager_and_carry_on_without_paging_again()
    {
        var book = new AlertBook(Policy);
        foreach (var e in book.Observe(ReadFailed(T0))) book.Apply(e); // evaluated by the AlertManager (an earlier build)
        var before = Assert.Single(book.All(T0));

        var entity = new TargetAlerts("orders", Policy);
        var fresh = entity.FullReport(fresh: true);
        Assert.Empty(book.DecideReport(fresh, T0.AddSeconds(10)));
        foreach (var e in entity.DecideAdopt(book.OpenRulesOf("orders", fresh))) entity.Apply(e);
        var still = Feed(entity, ReadFailed(T0.AddSeconds(30)));
        var events = still.Report is { } r ? book.DecideReport(r, T0.AddSeconds(30)) : [];

        Assert.Empty(still.Events);
        Assert.Empty(events);
        Assert.Equal(RulePhase.Firing, entity.RuleOf($"performance/{PerformanceLoopActor.ReadFailedRule}")!.Phase);
        Assert.Equal(before.RaisedAt, entity.RuleOf($"performance/{PerformanceLoopActor.ReadFailedRule}")!.RaisedAt);
    }

    [Fact]
    public void Should_close_open_alerts_a_later_full_report_does_not_list_and_ignore_a_report_older_than_the_alert()
    {
        var book = new AlertBook(Policy);
        var entity = new TargetAlerts("orders", Policy);
        var raised = Feed(entity, ReadFailed(T0)).Report!;
        foreach (var e in book.DecideReport(raised, T0)) book.Apply(e);
        foreach (var e in entity.DecideForget(T0.AddMinutes(1))) entity.Apply(e);

        var closing = book.DecideReport(entity.FullReport(fresh: false), T0.AddMinutes(1));
        Assert.IsType<AlertResolved>(Assert.Single(closing));
        foreach (var e in closing) book.Apply(e);

        var later = new TargetAlerts("orders", Policy);
        var newer = Feed(later, ReadFailed(T0.AddMinutes(5))).Report!;
        foreach (var e in book.DecideReport(newer, T0.AddMinutes(5))) book.Apply(e);
        Assert.Empty(book.DecideReport(raised, T0.AddMinutes(6))); // the first episode's report, repeated late
        Assert.Equal(T0.AddMinutes(5), Assert.Single(book.Active(T0.AddMinutes(6)), a => a.State == AlertState.Firing).RaisedAt);
    }

    /// <summary>
    /// The property behind the design: for random observation sequences (three rules, breaches and goods, severity changes), a
    /// book following an entity's reports through a channel that repeats them (and, for odd seeds, loses them; the entity re-sends
    /// what is unconfirmed) ends with the same open alerts, in the same states, as a book evaluating the same observations
    /// directly; without loss it has recorded every episode the direct book recorded, fired or not.
    /// </summary>
    [Fact]
    public void Should_end_where_direct_evaluation_ends_whatever_reports_are_lost_or_repeated()
    {
        for (var seed = 1; seed <= 300; seed++)
        {
            var random = new Random(seed);
            var lossy = seed % 2 == 1;
            var direct = new AlertBook(Policy);
            var followed = new AlertBook(Policy);
            var entity = new TargetAlerts("orders", Policy);
            var at = T0;
            for (var step = 0; step < 60; step++)
            {
                at = at.AddSeconds(5);
                var o = random.Next(3) switch
                {
                    0 => Slow(at, random.Next(3) > 0, random.Next(4) == 0 ? AlertSeverity.Critical : AlertSeverity.Warning),
                    1 => ReadFailed(at, random.Next(2) == 0),
                    _ => ServiceHealth(at, random.Next(3) == 0),
                };
                foreach (var e in direct.Observe(o)) direct.Apply(e);
                var (events, keys) = entity.Process(o);
                foreach (var e in events) entity.Apply(e);
                var report = entity.Report(keys);
                if (lossy && random.Next(3) == 0) report = null; // lost
                if (report is null && random.Next(2) == 0) report = entity.Unconfirmed(); // the re-send timer
                var copies = report is null ? 0 : random.Next(4) == 0 ? 2 : 1;
                for (var copy = 0; copy < copies; copy++)
                {
                    foreach (var e in followed.DecideReport(report!, at)) followed.Apply(e);
                    entity.Confirm(report!.Version);
                }
            }
            // Every re-send delivered at the end (the channel recovers).
            while (entity.Unconfirmed() is { } rest)
            {
                foreach (var e in followed.DecideReport(rest, at)) followed.Apply(e);
                entity.Confirm(rest.Version);
            }

            static IEnumerable<string> Open(AlertBook b, DateTimeOffset now) =>
                b.All(now).Where(a => a.IsOpen).Select(a => $"{a.Rule} {a.State} {a.Severity} {a.RaisedAt:O}").Order();
            Assert.True(Open(direct, at).SequenceEqual(Open(followed, at)),
                $"seed {seed}: direct [{string.Join("; ", Open(direct, at))}] followed [{string.Join("; ", Open(followed, at))}]");
            if (lossy) continue;
            static IEnumerable<string> Episodes(AlertBook b, DateTimeOffset now) =>
                b.All(now).Select(a => $"{a.Rule} {a.State} {a.RaisedAt:O} fired {a.FiredAt:O} ended {a.ResolvedAt:O}").Order();
            Assert.True(Episodes(direct, at).SequenceEqual(Episodes(followed, at)),
                $"seed {seed}: direct [{string.Join("; ", Episodes(direct, at))}] followed [{string.Join("; ", Episodes(followed, at))}]");
        }
    }
}
