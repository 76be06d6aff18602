using ConfigMonitor.Actors.Alerts;
using static ConfigMonitor.Actors.Alerts.AlertCommands;
using static ConfigMonitor.Actors.Alerts.AlertEvents;

namespace ConfigMonitor.Actors.Tests.Alerts;

/// <summary>The alert lifecycle rules of the AlertBook: thresholds, flapping, acknowledgements, silences, windows, inhibition, groups, reminders.</summary>
public class AlertLifecycleSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero); // a Monday

    private static Observation Obs(string target, AlertCategory category, string rule, bool breached, DateTimeOffset at,
        AlertSeverity severity = AlertSeverity.Warning) =>
        new(target, category, rule, breached, severity, breached ? "bad" : "good", at);

    private static Observation Slow(DateTimeOffset at, string target = "orders") => Obs(target, AlertCategory.Performance, "access_time", true, at);
    private static Observation Fast(DateTimeOffset at, string target = "orders") => Obs(target, AlertCategory.Performance, "access_time", false, at);
    private static Observation DbDown(DateTimeOffset at, string target = "orders") =>
        Obs(target, AlertCategory.Database, "unreachable", true, at, AlertSeverity.Critical);

    private static Observation Health(string target, bool breached, DateTimeOffset at) =>
        Obs(target, AlertCategory.Health, "service_health", breached, at, AlertSeverity.Critical);

    private static IReadOnlyList<IAlertEvent> Feed(AlertBook book, Observation o)
    {
        var events = book.Observe(o);
        foreach (var e in events) book.Apply(e);
        return events;
    }

    private static void Apply(AlertBook book, IEnumerable<IAlertEvent>? events)
    {
        foreach (var e in events ?? []) book.Apply(e);
    }

    private static AlertBook Book(AlertRule? rule = null, TimeSpan? repeat = null) => new(new AlertPolicy
    {
        WarningRule = rule ?? new AlertRule(3, TimeSpan.Zero, 2),
        CriticalRule = AlertRule.Immediate,
        RepeatInterval = repeat ?? TimeSpan.FromHours(4),
        RootCauseWait = TimeSpan.Zero, // waiting for a root cause: InhibitionSpecs
    });

    [Fact]
    public void Should_stay_pending_until_the_failure_threshold_and_only_then_fire()
    {
        var book = Book();
        Feed(book, Slow(T0));
        Feed(book, Slow(T0.AddMinutes(1)));
        Assert.Equal(AlertState.Pending, book.All(T0).Single().State);
        Assert.Empty(book.DueNotifications(T0.AddMinutes(1)));

        var events = Feed(book, Slow(T0.AddMinutes(2)));

        Assert.IsType<AlertFired>(Assert.Single(events));
        var alert = book.All(T0).Single();
        Assert.Equal(AlertState.Firing, alert.State);
        Assert.Equal(T0.AddMinutes(2), alert.FiredAt);
        Assert.Equal(T0, alert.RaisedAt);
        Assert.Single(book.DueNotifications(T0.AddMinutes(2)));
    }

    [Fact]
    public void Should_forget_a_pending_alert_when_the_breach_ends_before_it_fires()
    {
        var book = Book();
        Feed(book, Slow(T0));
        var events = Feed(book, Fast(T0.AddMinutes(1)));

        Assert.IsType<AlertCancelled>(Assert.Single(events));
        Assert.Empty(book.All(T0));
    }

    [Fact]
    public void Should_not_page_a_flapping_target_that_never_breaches_enough_times_in_a_row()
    {
        var book = Book();
        for (var i = 0; i < 20; i++) Feed(book, i % 2 == 0 ? Slow(T0.AddMinutes(i)) : Fast(T0.AddMinutes(i)));

        Assert.Empty(book.All(T0));
        Assert.Empty(book.DueNotifications(T0.AddHours(1)));
    }

    [Fact]
    public void Should_resolve_only_after_the_success_threshold_of_good_probes_in_a_row()
    {
        var book = Book(new AlertRule(1, TimeSpan.Zero, 3));
        Feed(book, Slow(T0));
        Feed(book, Fast(T0.AddMinutes(1)));
        Feed(book, Fast(T0.AddMinutes(2)));
        Feed(book, Slow(T0.AddMinutes(3))); // the run of good probes is broken
        Feed(book, Fast(T0.AddMinutes(4)));
        Feed(book, Fast(T0.AddMinutes(5)));
        Assert.Equal(AlertState.Firing, book.All(T0).Single().State);

        Feed(book, Fast(T0.AddMinutes(6)));

        var alert = book.All(T0).Single();
        Assert.Equal(AlertState.Resolved, alert.State);
        Assert.Equal(T0.AddMinutes(6), alert.ResolvedAt);
    }

    [Fact]
    public void Should_wait_for_the_for_duration_as_well_as_the_count()
    {
        var book = Book(new AlertRule(2, TimeSpan.FromMinutes(5), 1));
        Feed(book, Slow(T0));
        Feed(book, Slow(T0.AddMinutes(1)));
        Feed(book, Slow(T0.AddMinutes(4)));
        Assert.Equal(AlertState.Pending, book.All(T0).Single().State);

        Feed(book, Slow(T0.AddMinutes(5)));

        Assert.Equal(AlertState.Firing, book.All(T0).Single().State);
    }

    [Fact]
    public void Should_use_a_per_rule_override_before_the_severity_default()
    {
        var policy = new AlertPolicy { WarningRule = new AlertRule(5), Rules = new Dictionary<string, AlertRule> { ["performance/access_time"] = AlertRule.Immediate } };

        Assert.Equal(AlertRule.Immediate, policy.RuleFor(AlertCategory.Performance, "access_time", AlertSeverity.Warning));
        Assert.Equal(5, policy.RuleFor(AlertCategory.Cache, "hit_rate", AlertSeverity.Warning).FailureThreshold);
        Assert.Equal(1, new AlertPolicy().RuleFor(AlertCategory.Database, "unreachable", AlertSeverity.Critical).FailureThreshold);
        Assert.Equal(2, new AlertPolicy().RuleFor(AlertCategory.Cache, "hit_rate", AlertSeverity.Warning).FailureThreshold);
    }

    [Fact]
    public void Should_remind_about_a_firing_unacknowledged_alert_and_stop_once_acknowledged()
    {
        var book = Book(AlertRule.Immediate, repeat: TimeSpan.FromHours(1));
        Feed(book, Slow(T0));
        var alert = book.DueNotifications(T0).Single();
        book.Apply(new AlertNotified(alert.Id, T0));

        Assert.Empty(book.DueNotifications(T0.AddMinutes(59)));
        Assert.Single(book.DueNotifications(T0.AddMinutes(60)));

        Apply(book, book.DecideAcknowledge(alert.Id, "ops", "looking into it", T0.AddMinutes(61)));
        Assert.Empty(book.DueNotifications(T0.AddHours(5)));

        Apply(book, book.DecideUnacknowledge(alert.Id, "ops", T0.AddHours(5)));
        Assert.Single(book.DueNotifications(T0.AddHours(5)));
        Assert.Null(book.Find(alert.Id, T0)!.AcknowledgedBy);
    }

    [Fact]
    public void Should_reset_the_acknowledgement_when_the_alert_resolves_and_fires_again()
    {
        var book = Book(AlertRule.Immediate);
        Feed(book, Slow(T0));
        var first = book.All(T0).Single();
        Apply(book, book.DecideAcknowledge(first.Id, "ops", null, T0));
        Feed(book, Fast(T0.AddMinutes(1)));
        Feed(book, Slow(T0.AddMinutes(2)));

        var again = book.All(T0).Single(a => a.State == AlertState.Firing);
        Assert.NotEqual(first.Id, again.Id);
        Assert.False(again.Acknowledged);
        Assert.Null(book.DecideUnacknowledge("alert-404", "ops", T0));
    }

    [Fact]
    public void Should_mute_matching_alerts_while_a_silence_is_active_and_notify_them_when_it_expires()
    {
        var book = Book(AlertRule.Immediate);
        var (e, problems) = book.DecideSilence(new CreateSilence(
            [new Matcher(MatchField.Target, "ord.*", IsRegex: true), new Matcher(MatchField.Category, "performance")],
            null, T0.AddHours(1), "alice", "deploying"), T0);
        Assert.Empty(problems);
        book.Apply(e!);
        Feed(book, Slow(T0.AddMinutes(1)));
        Feed(book, Slow(T0.AddMinutes(1), target: "billing"));

        var orders = book.All(T0.AddMinutes(1)).Single(a => a.TargetId == "orders");
        Assert.Equal("silence:silence-1", orders.SuppressedBy);
        Assert.Equal(["billing"], book.DueNotifications(T0.AddMinutes(1)).Select(a => a.TargetId));

        Apply(book, book.DecideExpireSilence("silence-1", "alice", T0.AddMinutes(30)));
        Assert.Contains(book.DueNotifications(T0.AddMinutes(30)), a => a.TargetId == "orders");
        Assert.Null(book.DecideExpireSilence("silence-9", "alice", T0));
    }

    [Fact]
    public void Should_end_a_silence_on_time()
    {
        var book = Book(AlertRule.Immediate);
        book.Apply(book.DecideSilence(new CreateSilence([new Matcher(MatchField.Severity, "warning")], null, T0.AddHours(1), "alice", "x"), T0).Event!);
        Feed(book, Slow(T0));

        Assert.Empty(book.DueNotifications(T0.AddMinutes(59)));
        Assert.Single(book.DueNotifications(T0.AddHours(1)));
        Assert.Empty(book.Silences(includeExpired: false, T0.AddHours(1)));
        Assert.Single(book.Silences(includeExpired: true, T0.AddHours(1)));
    }

    [Theory]
    [InlineData(new MatchField[0], "x", false, "a silence needs at least one matcher")]
    [InlineData(new[] { MatchField.Target }, "(", true, "invalid regular expression")]
    public void Should_reject_a_silence_without_matchers_or_with_a_broken_regex(MatchField[] fields, string value, bool regex, string expected)
    {
        var (e, problems) = Book().DecideSilence(new CreateSilence(fields.Select(f => new Matcher(f, value, regex)).ToList(), null, T0.AddHours(1), "a", "c"), T0);

        Assert.Null(e);
        Assert.Contains(problems, p => p.Contains(expected));
    }

    [Fact]
    public void Should_mute_during_a_recurring_maintenance_window_in_its_own_time_zone()
    {
        var book = Book(AlertRule.Immediate);
        // Every Monday 13:00-14:00 Berlin time, which is 12:00-13:00 UTC in winter.
        var (e, problems) = book.DecideMaintenanceWindow(new CreateMaintenanceWindow("weekly patching", [new Matcher(MatchField.Target, "orders")],
            null, null, new Recurrence([DayOfWeek.Monday], TimeSpan.FromHours(13), TimeSpan.FromHours(1), "Europe/Berlin"), "ops"));
        Assert.Empty(problems);
        book.Apply(e!);
        Feed(book, Slow(T0.AddMinutes(10)));

        Assert.StartsWith("maintenance:", book.All(T0.AddMinutes(10)).Single().SuppressedBy);
        Assert.Empty(book.DueNotifications(T0.AddMinutes(10)));
        Assert.Single(book.DueNotifications(T0.AddMinutes(61)));
        Assert.Empty(book.DueNotifications(T0.AddDays(7).AddMinutes(30)));
    }

    [Fact]
    public void Should_mute_during_a_one_off_window_and_reject_a_window_in_an_unknown_time_zone()
    {
        var book = Book(AlertRule.Immediate);
        book.Apply(book.DecideMaintenanceWindow(new CreateMaintenanceWindow("db migration", [new Matcher(MatchField.Category, "database")],
            T0, T0.AddHours(2), null, "ops")).Event!);
        Feed(book, DbDown(T0.AddMinutes(5)));

        Assert.Empty(book.DueNotifications(T0.AddMinutes(5)));
        Assert.Single(book.DueNotifications(T0.AddHours(2)));
        var (bad, problems) = book.DecideMaintenanceWindow(new CreateMaintenanceWindow("x", [new Matcher(MatchField.Target, "a")], null, null,
            new Recurrence([DayOfWeek.Friday], TimeSpan.FromHours(1), TimeSpan.FromHours(1), "Mars/Olympus"), "ops"));
        Assert.Null(bad);
        Assert.Contains("unknown time zone 'Mars/Olympus'", problems.Single());
    }

    [Fact]
    public void Should_inhibit_cache_performance_and_event_alerts_of_a_target_whose_database_is_down()
    {
        var book = Book(AlertRule.Immediate);
        Feed(book, DbDown(T0));
        Feed(book, Health("orders", false, T0)); // the service answers: the database is the cause
        Feed(book, Slow(T0));
        Feed(book, Obs("orders", AlertCategory.Cache, "hit_rate", true, T0));
        Feed(book, Slow(T0, target: "billing"));

        var alerts = book.All(T0);
        var database = alerts.Single(a => a.Category == AlertCategory.Database);
        Assert.Null(database.SuppressedBy);
        Assert.All(alerts.Where(a => a.TargetId == "orders" && a.Category != AlertCategory.Database),
            a => Assert.Equal($"inhibited:{database.Id}", a.SuppressedBy));
        Assert.Null(alerts.Single(a => a.TargetId == "billing").SuppressedBy);
        Assert.Equal(["orders", "billing"], book.DueNotifications(T0).Select(a => a.TargetId));

        Feed(book, Obs("orders", AlertCategory.Database, "unreachable", false, T0.AddMinutes(1), AlertSeverity.Critical));
        // Still firing but not seen breaching since the database came back: they stay quiet until they are.
        Assert.Equal(["billing"], book.DueNotifications(T0.AddMinutes(1)).Select(a => a.TargetId));
        Feed(book, Slow(T0.AddMinutes(2)));
        Assert.Equal([AlertCategory.Performance, AlertCategory.Performance],
            book.DueNotifications(T0.AddMinutes(2)).Select(a => a.Category));
    }

    [Fact]
    public void Should_raise_one_group_alert_when_enough_members_fail_and_hold_back_the_member_pages()
    {
        var book = Book(AlertRule.Immediate);
        book.SetGroups(new Dictionary<string, IReadOnlyList<string>> { ["eu"] = ["a", "b", "c", "d"] });
        Feed(book, DbDown(T0, "a"));
        Assert.Empty(book.DecideGroup("eu", T0));
        Feed(book, DbDown(T0, "b"));
        Feed(book, DbDown(T0, "c"));

        Apply(book, book.DecideGroup("eu", T0));

        var group = book.OpenFor(AlertBook.GroupFingerprint("eu"))!;
        Assert.Equal("3 of 4 targets in group 'eu' are failing: a, b, c", group.Message);
        Assert.Equal(AlertSeverity.Critical, group.Severity);
        Assert.Equal([group.Id], book.DueNotifications(T0).Select(a => a.Id));
        Assert.All(book.All(T0).Where(a => a.Id != group.Id), a => Assert.Equal($"grouped:{group.Id}", a.SuppressedBy));

        Feed(book, Obs("b", AlertCategory.Database, "unreachable", false, T0.AddMinutes(1), AlertSeverity.Critical));
        Feed(book, Obs("c", AlertCategory.Database, "unreachable", false, T0.AddMinutes(1), AlertSeverity.Critical));
        var resolve = book.DecideGroup("eu", T0.AddMinutes(1));
        Assert.IsType<AlertResolved>(Assert.Single(resolve));
    }

    [Fact]
    public void Should_keep_silences_windows_and_ids_across_a_snapshot()
    {
        var book = Book(AlertRule.Immediate);
        book.Apply(book.DecideSilence(new CreateSilence([new Matcher(MatchField.Target, "orders")], null, T0.AddHours(1), "a", "c"), T0).Event!);
        book.Apply(book.DecideMaintenanceWindow(new CreateMaintenanceWindow("w", [new Matcher(MatchField.Target, "x")], T0, T0.AddHours(1), null, "a")).Event!);
        Feed(book, Slow(T0));

        var restored = Book(AlertRule.Immediate);
        restored.Restore(book.ToSnapshot());

        Assert.Equal(book.All(T0), restored.All(T0));
        Assert.Single(restored.Silences(false, T0));
        Assert.Single(restored.Windows);
        Assert.Equal("silence-3", restored.DecideSilence(new CreateSilence([new Matcher(MatchField.Target, "y")], null, T0.AddHours(1), "a", "c"), T0).Event switch
        {
            SilenceAdded added => added.Silence.Id,
            _ => null,
        });
    }
}
