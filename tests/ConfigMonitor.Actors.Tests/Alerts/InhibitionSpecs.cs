using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Monitoring;
using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>
/// One outage, one page: inhibition follows the cause (<see cref="Inhibition"/>), whatever order the loops report in.
/// Each step feeds one observation and then does what the AlertManager does after it: notify what is due.
/// </summary>
public class InhibitionSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string Target = "orders";

    private static Observation Obs(AlertCategory category, string rule, bool breached, AlertSeverity severity, DateTimeOffset at, string target = Target) =>
        new(target, category, rule, breached, severity, breached ? $"{rule} bad" : $"{rule} good", at);

    // What each loop reports while the whole service does not answer (a hang, a stopped process).
    private static readonly Func<DateTimeOffset, Observation>[] ServiceDown =
    [
        at => Obs(AlertCategory.Health, HealthLoopActor.ServiceHealthRule, true, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.Performance, PerformanceLoopActor.ReadFailedRule, true, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.Cache, CacheLoopActor.StatsFailedRule, true, AlertSeverity.Warning, at),
        at => Obs(AlertCategory.EventSystem, MaintenanceActor.EventDeliveryRule, true, AlertSeverity.Critical, at),
    ];

    // What each loop reports while only the database is down: the service answers reads from its cache and its statistics.
    private static readonly Func<DateTimeOffset, Observation>[] DatabaseDown =
    [
        at => Obs(AlertCategory.Health, HealthLoopActor.ServiceHealthRule, false, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.EventSystem, MaintenanceActor.EventDeliveryRule, true, AlertSeverity.Critical, at),
        at => Obs(AlertCategory.Cache, CacheLoopActor.UsageRule, false, AlertSeverity.Warning, at),
    ];

    /// <summary>The roots judged the target fine before the outage (their loops have been reporting since it started).</summary>
    private static AlertBook HealthyBefore(DateTimeOffset at, string target = Target)
    {
        var book = Book();
        Step(book, Obs(AlertCategory.Health, HealthLoopActor.ServiceHealthRule, false, AlertSeverity.Critical, at, target), at);
        Step(book, Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, false, AlertSeverity.Critical, at, target), at);
        return book;
    }

    private static AlertBook Book() => new(AlertPolicy.Immediate with { RootCauseWait = TimeSpan.FromMinutes(1) });

    /// <summary>Feeds one observation, then notifies what is due, as the AlertManager does; returns the alerts paged.</summary>
    private static List<Alert> Step(AlertBook book, Observation o, DateTimeOffset now)
    {
        foreach (var e in book.Observe(o)) book.Apply(e);
        return Notify(book, now);
    }

    private static List<Alert> Notify(AlertBook book, DateTimeOffset now)
    {
        var due = book.DueNotifications(now).ToList();
        foreach (var alert in due) book.Apply(new AlertNotified(alert.Id, now));
        return due;
    }

    /// <summary>Every order of a scenario's observations (all permutations), as indexes.</summary>
    private static IEnumerable<int[]> Orders(int count) =>
        count == 1 ? [[0]] : Orders(count - 1).SelectMany(p => Enumerable.Range(0, count).Select(i => p.Take(i).Append(count - 1).Concat(p.Skip(i)).ToArray()));

    /// <summary>Runs a scenario's observations in one order, a tick a second, for three rounds; returns every page.</summary>
    private static (AlertBook Book, List<Alert> Pages, DateTimeOffset End) Run(Func<DateTimeOffset, Observation>[] scenario, int[] order)
    {
        var book = HealthyBefore(T0);
        var pages = new List<Alert>();
        var at = T0;
        for (var round = 0; round < 3; round++)
            foreach (var i in order)
            {
                at = at.AddSeconds(1);
                pages.AddRange(Step(book, scenario[i](at), at));
            }
        return (book, pages, at);
    }

    [Fact]
    public void A_service_that_does_not_answer_pages_once_for_its_health_rule_whatever_order_the_loops_report_in()
    {
        foreach (var order in Orders(ServiceDown.Length))
        {
            var (book, pages, end) = Run(ServiceDown, order);
            // Later ticks, past the wait for a health judgement: still nothing more.
            pages.AddRange(Notify(book, end.AddMinutes(10)));

            var page = Assert.Single(pages);
            Assert.Equal((AlertCategory.Health, HealthLoopActor.ServiceHealthRule), (page.Category, page.Rule));
            var all = book.All(end);
            Assert.Equal(ServiceDown.Length, all.Count); // every symptom is listed, none is notified
            Assert.All(all.Where(a => a.Id != page.Id), a => Assert.Equal($"inhibited:{page.Id}", a.SuppressedBy));
        }
    }

    [Fact]
    public void A_database_that_alone_is_down_pages_once_for_the_database_rule_whatever_order_the_loops_report_in()
    {
        foreach (var order in Orders(DatabaseDown.Length))
        {
            var (book, pages, end) = Run(DatabaseDown, order);
            pages.AddRange(Notify(book, end.AddMinutes(10)));

            var page = Assert.Single(pages);
            Assert.Equal((AlertCategory.Database, DatabaseLoopActor.UnreachableRule), (page.Category, page.Rule));
            // The page goes as soon as the health rule has judged the target: within the rounds, not after the wait.
            var pagedAt = book.Find(page.Id, end)!.LastNotifiedAt;
            Assert.True(pagedAt <= end, $"order {string.Join(",", order)}: paged at {pagedAt}");
            Assert.All(book.All(end).Where(a => a.Id != page.Id), a => Assert.Equal($"inhibited:{page.Id}", a.SuppressedBy));
        }
    }

    [Fact]
    public void A_target_whose_roots_have_not_reported_yet_waits_for_them_too()
    {
        var book = Book(); // a node that just started or took over the alert book: no judgement seen yet
        Assert.Empty(Step(book, Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, T0), T0));
        var page = Assert.Single(Step(book, DatabaseDown[0](T0.AddSeconds(1)), T0.AddSeconds(1)));
        Assert.Equal(AlertCategory.Database, page.Category);
    }

    [Fact]
    public void An_immediate_policy_does_not_wait_for_root_causes()
    {
        var book = new AlertBook(AlertPolicy.Immediate);
        Assert.Single(Step(book, Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, T0), T0));
    }

    [Fact]
    public void An_answer_failure_waits_for_the_health_rule_to_judge_its_target_and_at_most_the_root_cause_wait()
    {
        var book = HealthyBefore(T0.AddSeconds(-1));
        var databaseDown = Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, T0);

        Assert.Empty(Step(book, databaseDown, T0));
        Assert.Equal("awaiting:health/service_health", book.All(T0).Single().SuppressedBy);
        Assert.Empty(Notify(book, T0 + book.Policy.RootCauseWait - TimeSpan.FromSeconds(1)));
        // No health judgement came (a health loop that hangs): the wait is bounded.
        Assert.Single(Notify(book, T0 + book.Policy.RootCauseWait));

        // A threshold breach is never a symptom of an outage: it pages at once, without waiting.
        Assert.Single(Step(book, Obs(AlertCategory.Performance, PerformanceLoopActor.AccessTimeRule, true, AlertSeverity.Warning, T0, "billing"), T0));
    }

    [Fact]
    public void An_answer_failure_waits_for_a_judgement_received_after_it_even_when_one_came_just_before()
    {
        var book = HealthyBefore(T0.AddSeconds(-30));
        // A health verdict received just before the breach may come from a probe that answered before the outage began
        // (an event probe that started earlier and timed out is reported after it).
        Assert.Empty(Step(book, DatabaseDown[0](T0.AddSeconds(1)), T0.AddSeconds(1)));
        Assert.Empty(Step(book, DatabaseDown[2](T0), T0.AddSeconds(1)));
        Assert.Empty(Step(book, DatabaseDown[1](T0.AddSeconds(1)), T0.AddSeconds(1)));
        var page = Assert.Single(Step(book, DatabaseDown[0](T0.AddSeconds(2)), T0.AddSeconds(2)));
        Assert.Equal(AlertCategory.Database, page.Category);
    }

    [Fact]
    public void When_the_root_recovers_what_it_inhibited_pages_only_if_it_is_seen_breaching_afterwards()
    {
        var (book, pages, at) = Run(ServiceDown, [0, 1, 2, 3, 4]);
        Assert.Single(pages);

        // The service answers again; the health rule resolves first, the other loops have not probed yet.
        at = at.AddSeconds(1);
        Assert.Empty(Step(book, ServiceDown[0](at) with { Breached = false }, at));
        Assert.Equal(AlertState.Resolved, book.All(at).Single(a => a.Category == AlertCategory.Health).State);
        Assert.Empty(Notify(book, at.AddMinutes(10))); // the leftovers of the outage do not page in its wake

        // The database loop and the cache loop recover: their alerts resolve without ever having paged.
        at = at.AddSeconds(1);
        Assert.Empty(Step(book, ServiceDown[3](at) with { Breached = false }, at));
        Assert.Equal(AlertState.Resolved, book.All(at).Single(a => a.Category == AlertCategory.Cache).State);

        // The database loop still finds its database down after the service came back: a cause of its own, so it pages.
        at = at.AddSeconds(1);
        var page = Assert.Single(Step(book, ServiceDown[1](at), at));
        Assert.Equal((AlertCategory.Database, DatabaseLoopActor.UnreachableRule), (page.Category, page.Rule));
    }

    [Fact]
    public void Inhibition_stays_within_one_target_and_never_holds_the_monitors_own_memory_alert()
    {
        var at = T0;
        var book = HealthyBefore(at.AddSeconds(-30));
        Step(book, Obs(AlertCategory.Health, HealthLoopActor.ServiceHealthRule, false, AlertSeverity.Critical, at.AddSeconds(-30), "billing"), at.AddSeconds(-30));
        foreach (var report in ServiceDown) Step(book, report(at), at);
        var otherTarget = Step(book, Obs(AlertCategory.Database, DatabaseLoopActor.UnreachableRule, true, AlertSeverity.Critical, at, "billing"), at);
        Step(book, Obs(AlertCategory.Health, HealthLoopActor.ServiceHealthRule, false, AlertSeverity.Critical, at, "billing"), at);
        var memory = Step(book, Obs(AlertCategory.Health, HealthLoopActor.ProcessMemoryRule, true, AlertSeverity.Warning, at), at);

        Assert.Empty(otherTarget); // waits for billing's health judgement …
        Assert.Contains(book.All(at), a => a.TargetId == "billing" && a.LastNotifiedAt == at); // … and pages once it came
        Assert.Equal(HealthLoopActor.ProcessMemoryRule, Assert.Single(memory).Rule);
    }
}
