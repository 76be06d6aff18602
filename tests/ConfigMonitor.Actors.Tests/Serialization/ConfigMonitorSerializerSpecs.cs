using Akka.Actor;
using Akka.Serialization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Serialization;
using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Serialization;

public sealed class ConfigMonitorSerializerSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Bindings, output: output)
{
    // The same binding the node makes through AddConfigMonitorSerializer, written as HOCON for a plain test system.
    internal const string Bindings = """
        akka.actor {
          serializers.configmonitor = "ConfigMonitor.Actors.Serialization.ConfigMonitorSerializer, ConfigMonitor.Actors"
          serialization-bindings { "ConfigMonitor.Actors.Protocol.IConfigMonitorMessage, ConfigMonitor.Actors" = configmonitor }
          serialization-identifiers { "ConfigMonitor.Actors.Serialization.ConfigMonitorSerializer, ConfigMonitor.Actors" = 4711 }
        }
        """;

    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.FromHours(1));

    private static readonly Alert SampleAlert = new("alert-7", "orders", AlertCategory.EventSystem, "event_delivery", AlertSeverity.Critical,
        "change event lost", T0, T0.AddMinutes(5), T0.AddMinutes(9), true, T0.AddMinutes(6), "alice",
        AlertState.Resolved, T0.AddMinutes(1), "looking", "eu", T0.AddMinutes(1), "silence:silence-3");

    private static readonly TargetDefinition SampleTarget = TargetDefinition.WithDefaults("orders", "/user/config-service") with
    {
        ProbeTimeout = TimeSpan.FromMilliseconds(1500),
        Cache = new CacheSettings { Interval = TimeSpan.FromMinutes(3), MinHitRate = 0.75, MaxUsage = 0.85 },
    };

    // Every reach field of every facet set, so the derived sections' inherited fields are shown to round-trip.
    private static readonly TargetDefinition FacetedTarget = TargetDefinition.WithDefaults("mixed", "http://127.0.0.1:5080") with
    {
        Adapter = "http",
        Config = new ConfigFacetSettings { Kind = "http", Preset = "reference", Path = "/config/{key}", Pointer = "/value", Secret = "env:TOKEN" },
        Cache = new CacheSettings { Kind = "redis", Endpoint = "127.0.0.1:6379", Secret = "file:/run/redis", MinHitRate = 0.6 },
        Database = new DatabaseSettings { Kind = "sql", Provider = "postgresql", Endpoint = "Host=db;Username=mon", Query = "SELECT COUNT(*) FROM t" },
        EventProbe = new EventProbeSettings { Kind = "sql", Provider = "postgresql", Endpoint = "Host=db", Channel = "cfg_events", Key = "probe" },
    };

    private static readonly MetricSample[] SampleSamples = [new("config_access_ms", 3.25, T0), new("cache_hit_rate", 0.5, T0.AddSeconds(1))];

    /// <summary>
    /// A sample of every message. The golden payload files (GoldenPayloadSpecs) hold what these wrote, per manifest in this
    /// order: a sample whose manifest has a golden file is never edited or removed; add a new one after it instead.
    /// </summary>
    internal static IEnumerable<object> Samples(IActorRef actor)
    {
        yield return new GetConfig("app.name", "fallback");
        yield return new ConfigValue("app.name", "shop", true);
        yield return new GetConfigWithMetadata("app.name");
        yield return new ConfigEntry("app.name", "shop", true, "the app", T0, 4, true);
        yield return GetCacheStats.Instance;
        yield return new CacheStats(80, 20, 12, 100);
        yield return ProbeDatabase.Instance;
        yield return new DatabaseProbeResult(1, 11);
        yield return new Subscribe("monitor.event-probe", actor);
        yield return new Subscribed("sub-1", "monitor.event-probe");
        yield return new NotifyChange("k", null, "v");
        yield return new ChangeNotified("k", 2);
        yield return new ConfigChanged("sub-1", "k", "old", "new", T0);
        yield return new Unsubscribe("sub-1");
        yield return new Unsubscribed("sub-1", true);
        yield return new ConfigServiceError("get_config", "database unavailable");
        yield return SampleTarget;
        yield return new TargetRegistryCommands.RegisterTarget(SampleTarget);
        yield return new TargetRegistryCommands.TargetRegistered(SampleTarget);
        yield return new TargetRegistryCommands.TargetRejected("x", ["target 'x': field 'Endpoint' is missing"]);
        yield return new TargetRegistryCommands.UnregisterTarget("orders");
        yield return new TargetRegistryCommands.TargetUnregistered("orders", true);
        yield return TargetRegistryCommands.GetTargets.Instance;
        yield return new TargetRegistryCommands.TargetList([SampleTarget]);
        yield return new TargetRegistryCommands.TargetList([SampleTarget], ["orders"]);
        yield return new TargetRegistryCommands.GetTargets(50, "m");
        yield return new TargetRegistryCommands.GetTarget("Orders");
        yield return new TargetRegistryCommands.TargetList([SampleTarget], ["orders"], 250, "orders");
        yield return new TargetRegistryCommands.RegisterTarget(SampleTarget, Replace: false);
        yield return new TargetRegistryCommands.TargetConflict("orders", "target 'orders' already exists; remove it first to redefine it");
        yield return new TargetRegistryEvents.RuntimeTargetAdded(SampleTarget);
        yield return new TargetRegistryEvents.RuntimeTargetRemoved("orders");
        yield return new TargetRegistryEvents.TargetRegistrySnapshot([SampleTarget]);
        yield return new TargetDirectoryEntry(SampleTarget, Configured: true);
        yield return new TargetDirectoryEntry(FacetedTarget, Configured: false);
        yield return new TargetMonitorCommands.MonitorTarget(SampleTarget);
        yield return new TargetMonitorCommands.StopMonitoringTarget("orders");
        yield return new TargetMonitorQueries.GetTargetStatus("orders");
        var loop = new TargetMonitorQueries.LoopStatus("cache", 12, T0, T0.AddSeconds(-30), 2, "timed out");
        yield return loop;
        yield return new TargetMonitorQueries.TargetStatus("orders", true, "akka.tcp://configmonitor@127.0.0.1:4053", [loop]);
        var facet = new FacetStatus("cache", "redis", "127.0.0.1:6379", 3, T0, 1, "timed out");
        yield return facet;
        yield return new TargetMonitorQueries.TargetStatus("orders", true, "akka.tcp://configmonitor@127.0.0.1:4053", [loop]) { Facets = [facet] };
        yield return new TargetMonitorCommands.EventProbeReported("orders", T0, "change event lost");
        yield return FacetedTarget;
        yield return new TargetRegistryEvents.RuntimeTargetAdded(FacetedTarget);
        yield return new MetricsCommands.RecordSamples("orders", SampleSamples);
        yield return new MetricsCommands.PruneMetrics("orders", T0);
        yield return new MetricsCommands.MetricsPruned("orders", 10, 4);
        yield return new MetricsCommands.FlushMetrics("orders");
        yield return new MetricsCommands.MetricsFlushed("orders", 30);
        yield return HandOffTarget.Instance;
        yield return new MetricsQueries.GetLatestMetrics("orders");
        yield return new MetricsQueries.LatestMetrics("orders", SampleSamples);
        yield return new MetricsQueries.GetMetricSummary("orders", "config_access_ms", TimeSpan.FromHours(1));
        yield return new MetricsQueries.GetRecentSamples("orders", "config_access_ms");
        yield return new MetricsQueries.GetMetricsOverview("orders", TimeSpan.FromMinutes(5));
        yield return new MetricsQueries.MetricsOverview("orders",
            [new MetricSample("config_access_ms", 1.5, new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero))],
            [new MetricsQueries.MetricSummary("orders", "config_access_ms", new DateTimeOffset(2026, 11, 29, 11, 55, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero), 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5)]);
        yield return new MetricsQueries.RecentSamples("orders", "config_access_ms",
            [new MetricSample("config_access_ms", 1.5, new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero))]);
        yield return new MetricsQueries.MetricSummary("orders", "m", T0, T0.AddHours(1), 3, 2, 1, 3, 2, 3, 3);
        yield return new MetricsQueries.MetricSummary("orders", "m", T0, T0.AddHours(1), 0, null, null, null, null, null, null);
        yield return new MetricsQueries.GetMetricSeries("orders", "config_access_ms", TimeSpan.FromHours(24));
        yield return new MetricsQueries.GetMetricSeries("orders", "config_access_ms", TimeSpan.FromHours(6), 120);
        yield return new MetricsQueries.MetricSeriesAnswer("orders", "config_access_ms", T0.AddHours(-24), T0, 3600,
            [new MetricsQueries.SeriesPoint(T0.AddHours(-24), 3600, 120, 12.5, 3, 48.25, 30, 45.5),
             new MetricsQueries.SeriesPoint(T0.AddMinutes(-1), 60, 2, 7, 6, 8, 8, 8)],
            new MetricsQueries.MetricSummary("orders", "config_access_ms", T0.AddHours(-24), T0, 122, 12.4, 3, 48.25, 11, 30, 45.5));
        yield return new MetricsQueries.MetricSeriesAnswer("orders", "m", T0.AddHours(-1), T0, 0, [],
            new MetricsQueries.MetricSummary("orders", "m", T0.AddHours(-1), T0, 0, null, null, null, null, null, null));
        yield return new MetricsEvents.SamplesRecorded(SampleSamples);
        yield return new MetricsEvents.MetricsSnapshot(SampleSamples);
        yield return new MetricsEvents.SampleBatchRecorded(SampleSamples);
        var rollups = new MetricRollups();
        rollups.Add(SampleSamples);
        yield return new MetricsEvents.RollupSnapshot(rollups.ToBytes());
        yield return new Observation("orders", AlertCategory.Cache, "hit_rate", true, AlertSeverity.Warning, "low", T0, 0.4, 0.8);
        yield return SampleAlert;
        yield return new AlertChanged(AlertChangeKind.Resolved, SampleAlert);
        yield return new AlertCommands.AcknowledgeAlert("alert-7", "alice");
        yield return new AlertCommands.AlertAcknowledged(SampleAlert);
        yield return new AlertCommands.AlertNotFound("alert-9", "no alert has id 'alert-9'");
        yield return new AlertCommands.PruneAlerts(T0);
        yield return new AlertCommands.AlertsPruned(1, 2);
        yield return new AlertCommands.SubscribeToAlerts(actor);
        yield return new AlertCommands.SubscribedToAlerts(actor);
        yield return new AlertCommands.UnsubscribeFromAlerts(actor);
        yield return AlertQueries.GetActiveAlerts.Instance;
        yield return AlertQueries.GetAllAlerts.Instance;
        yield return new AlertQueries.GetAlert("alert-7");
        yield return new AlertQueries.AlertList([SampleAlert]);
        yield return new AlertQueries.GetActiveAlerts(10, 20);
        yield return new AlertQueries.GetAllAlerts(10, 20);
        yield return new AlertQueries.AlertList([SampleAlert], 51, 50);
        yield return new AlertQueries.AlertFound(SampleAlert);
        yield return new AlertEvents.AlertRaised(SampleAlert);
        yield return new AlertEvents.AlertSeverityChanged("alert-7", AlertSeverity.Info, "better", T0);
        yield return new AlertEvents.AlertResolved("alert-7", T0, "fine");
        yield return new AlertEvents.AlertWasAcknowledged("alert-7", T0, "bob");
        yield return new AlertEvents.AlertsDropped(["alert-1", "alert-2"], T0);
        yield return new AlertEvents.AlertBookSnapshot([SampleAlert], 8);
        var silence = new Silence("silence-3", [new Matcher(MatchField.Target, "orders"), new Matcher(MatchField.Severity, "warn.*", true)],
            T0, T0.AddHours(2), "alice", "deploy", T0.AddHours(1));
        var window = new MaintenanceWindow("maintenance-4", "nightly", [new Matcher(MatchField.Group, "eu")], null, null,
            new Recurrence([DayOfWeek.Saturday, DayOfWeek.Sunday], TimeSpan.FromHours(2), TimeSpan.FromMinutes(90), "Europe/Berlin"), "bob");
        yield return new AlertEvents.AlertFired("alert-7", T0);
        yield return new AlertEvents.AlertCancelled("alert-7", T0);
        yield return new AlertEvents.AlertWasUnacknowledged("alert-7", T0, "bob");
        yield return new AlertEvents.AlertNotified("alert-7", T0);
        yield return new AlertEvents.SilenceAdded(silence);
        yield return new AlertEvents.SilenceEnded("silence-3", T0, "alice");
        yield return new AlertEvents.MaintenanceWindowAdded(window);
        yield return new AlertEvents.MaintenanceWindowRemoved("maintenance-4", T0, "bob");
        yield return new AlertEvents.MutesDropped(["silence-1"], ["maintenance-2"]);
        yield return new AlertEvents.AlertBookSnapshot([SampleAlert], 8, [silence], [window], 5);
        yield return new AlertCommands.TargetRemoved("orders");
        yield return new AlertEvents.TargetRetired("orders", T0);
        yield return new AlertEvents.AlertBookSnapshot([SampleAlert], 8, [silence], [window], 5, [new AlertEvents.TargetRetired("orders", T0)]);
        yield return new AlertCommands.UnacknowledgeAlert("alert-7", "bob");
        yield return new AlertCommands.AlertUnacknowledged(SampleAlert);
        yield return new AlertCommands.CreateSilence(silence.Matchers, null, T0.AddHours(1), "alice", "deploy");
        yield return new AlertCommands.SilenceCreated(silence);
        yield return new AlertCommands.SilenceRejected(["a silence needs at least one matcher"]);
        yield return new AlertCommands.ExpireSilence("silence-3", "alice");
        yield return new AlertCommands.SilenceExpired(silence);
        yield return new AlertCommands.SilenceNotFound("silence-9", "no silence has id 'silence-9'");
        yield return new AlertCommands.CreateMaintenanceWindow("nightly", window.Matchers, T0, T0.AddDays(30), window.Recurrence, "bob");
        yield return new AlertCommands.MaintenanceWindowCreated(window);
        yield return new AlertCommands.MaintenanceWindowRejected(["unknown time zone 'Mars/Olympus'"]);
        yield return new AlertCommands.DeleteMaintenanceWindow("maintenance-4", "bob");
        yield return new AlertCommands.MaintenanceWindowDeleted("maintenance-4");
        yield return new AlertCommands.MaintenanceWindowNotFound("maintenance-9", "no maintenance window has id 'maintenance-9'");
        yield return new AlertCommands.UpdateTargetGroups(new Dictionary<string, IReadOnlyList<string>> { ["eu"] = ["orders", "billing"] });
        yield return new AlertQueries.GetSilences(true);
        yield return new AlertQueries.SilenceList([silence]);
        yield return new AlertQueries.GetSilences(false, 5, 10);
        yield return new AlertQueries.SilenceList([silence], 30, 20);
        yield return AlertQueries.GetMaintenanceWindows.Instance;
        yield return new AlertQueries.MaintenanceWindowList([window], ["maintenance-4"]);
        var notification = new ConfigMonitor.Actors.Notifications.Notification("n-1", ConfigMonitor.Actors.Notifications.NotificationKind.Reminder, SampleAlert, T0);
        yield return notification;
        yield return new ConfigMonitor.Actors.Notifications.OutboxCommands.RefreshFiring([SampleAlert]);
        yield return ConfigMonitor.Actors.Notifications.OutboxCommands.GetOutboxStatus.Instance;
        yield return new ConfigMonitor.Actors.Notifications.OutboxCommands.OutboxStatus(new Dictionary<string, int> { ["ops-webhook"] = 2 }, 10, 3);
        yield return new ConfigMonitor.Actors.Notifications.OutboxEvents.NotificationQueued(notification, ["log", "ops-webhook"]);
        yield return new ConfigMonitor.Actors.Notifications.OutboxEvents.NotificationDelivered("n-1", "log", T0);
        yield return new ConfigMonitor.Actors.Notifications.OutboxEvents.NotificationAbandoned("n-1", "ops-webhook", T0, "gave up after 24h");
        yield return new ConfigMonitor.Actors.Notifications.OutboxEvents.OutboxSnapshot([new ConfigMonitor.Actors.Notifications.OutboxEvents.PendingNotification(notification, ["ops-webhook"])]);
        yield return new EventProbeResult("orders", true, 4.5, null, T0);
        yield return MaintenanceCommands.RunRetention.Instance;
        yield return new MaintenanceCommands.RetentionCompleted(T0, T0, 3, 100, 2, ["metrics of x: timed out"]);
        yield return MaintenanceCommands.RunEventProbes.Instance;
        yield return new HealthQueries.GetHealthReport("orders");
        var check = new HealthCheckResult("disk_space", null, HealthState.Degraded, "plenty", new Dictionary<string, double> { ["free_percent"] = 42.5 }, null, 0.3);
        yield return check;
        yield return HealthReport.Of(T0, 12.5, [check]);
        // a target's alert evaluation (in its entity)
        var firing = new RuleRecord(AlertCategory.Performance, "read_failed", RulePhase.Firing, 1, 1, AlertSeverity.Critical, "no answer",
            T0, T0.AddSeconds(5), T0.AddSeconds(10));
        var ended = new RuleRecord(AlertCategory.Health, "service_health", RulePhase.Quiet, 0, 0, AlertSeverity.Critical, "down",
            T0, T0, T0.AddSeconds(5), T0.AddSeconds(30), "answers again");
        yield return new TargetAlertReport("orders", 3, false, [new RuleReport(firing, ServiceRootJudged: true)]);
        yield return new TargetAlertReport("orders", 4, true, [new RuleReport(firing), new RuleReport(ended)], Fresh: true);
        yield return new TargetAlertReportReceived("orders", 4);
        yield return new TargetAlertReportReceived("orders", 4, [firing]);
        yield return new ForgetTargetAlerts("orders");
        yield return new TargetAlertEvents.RuleRecorded(firing);
        yield return new TargetAlertEvents.RuleRecorded(ended);
        yield return new TargetAlertEvents.RulesCleared(T0);
        yield return new TargetAlertEvents.TargetAlertsSnapshot([ended, firing]);
        // The status page: a target's health from its last results, and the status board's page (asked across nodes).
        yield return new TargetMonitorQueries.GetTargetHealth("orders");
        yield return new TargetMonitorQueries.TargetHealthReport("orders", HealthState.Unhealthy, "akka.tcp://configmonitor@127.0.0.1:4053", T0,
            [new HealthCheckResult("configuration_service", "orders", HealthState.Unhealthy, "configuration_service failed: refused",
                new Dictionary<string, double>(), "refused", 0),
             new HealthCheckResult("event_system", "orders", HealthState.Unknown, "unknown: no event round trip has finished yet",
                new Dictionary<string, double>(), null, 0)]);
        yield return new TargetMonitorQueries.TargetHealthReport("orders", HealthState.Unknown, "akka.tcp://configmonitor@127.0.0.1:4053", null, []);
        yield return new ConfigMonitor.Actors.Overview.StatusBoardQueries.GetStatusPage(HealthState.Degraded, "eu", "ord", "orders", 50);
        yield return new ConfigMonitor.Actors.Overview.StatusBoardQueries.GetStatusPage(null, null, null, null, 100);
        var summary = new ConfigMonitor.Actors.Overview.TargetSummary("orders", HealthState.NotApplicable, T0, "eu", "akka.tcp://configmonitor@127.0.0.1:4053");
        var counts = new ConfigMonitor.Actors.Overview.StateCounts(6, 1, 1, 1, 1, 2);
        yield return new ConfigMonitor.Actors.Overview.StatusBoardQueries.StatusPage(counts, counts with { Total = 1, Healthy = 0, Degraded = 0, Unhealthy = 0, Unknown = 0 },
            ["eu", "us"], [summary, summary with { Id = "pending", State = HealthState.Unknown, LastProbeAt = null, Group = null }], true);
        yield return summary;
        yield return counts;
        yield return new AlertQueries.GetTargetAlerts("orders");
        yield return new AlertQueries.GetTargetAlerts("Orders", ActiveOnly: false, Limit: 10, Offset: 20);
    }

    [Fact]
    public void Should_round_trip_every_message_event_and_snapshot_through_the_configmonitor_serializer()
    {
        foreach (var message in Samples(TestActor))
        {
            var serializer = Assert.IsType<ConfigMonitorSerializer>(Sys.Serialization.FindSerializerFor(message));
            var manifest = serializer.Manifest(message);
            var bytes = serializer.ToBinary(message);
            var back = serializer.FromBinary(bytes, manifest);

            Assert.IsType(message.GetType(), back);
            Assert.Equal(Convert.ToBase64String(bytes), Convert.ToBase64String(serializer.ToBinary(back)));
        }
    }

    [Fact]
    public void Should_have_a_sample_for_every_manifest()
    {
        var sampled = Samples(TestActor).Select(s => s.GetType()).ToHashSet();
        Assert.Empty(ConfigMonitorSerializer.Manifests.Keys.Where(t => !sampled.Contains(t)).Select(t => t.FullName));
    }

    [Fact]
    public void Should_have_a_unique_manifest_for_every_message_type_of_the_library()
    {
        var messageTypes = typeof(IConfigMonitorMessage).Assembly.GetTypes()
            .Where(t => typeof(IConfigMonitorMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });

        Assert.Empty(messageTypes.Where(t => !ConfigMonitorSerializer.Manifests.ContainsKey(t)).Select(t => t.FullName));
        Assert.Equal(ConfigMonitorSerializer.Manifests.Count, ConfigMonitorSerializer.Manifests.Values.Distinct().Count());
    }

    [Fact]
    public void Should_resolve_actor_references_back_to_the_same_actor()
    {
        var message = new Subscribe("k", TestActor);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);

        var back = (Subscribe)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

        Assert.Equal(TestActor, back.Subscriber);
    }

    [Fact]
    public void Should_refuse_a_payload_larger_than_the_maximum_naming_the_message_type_and_its_size()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        var justUnder = new AlertCommands.SilenceRejected([new string('x', ConfigMonitorSerializer.MaxPayloadBytes - 100)]);
        Assert.True(serializer.ToBinary(justUnder).Length <= ConfigMonitorSerializer.MaxPayloadBytes);

        var oversize = new AlertCommands.SilenceRejected([new string('x', ConfigMonitorSerializer.MaxPayloadBytes)]);
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.ToBinary(oversize));
        Assert.Contains("SilenceRejected", error.Message);
        Assert.Contains($"{ConfigMonitorSerializer.MaxPayloadBytes} bytes", error.Message);
        Assert.Matches(@"is \d+ bytes", error.Message);
        Assert.True(ConfigMonitorSerializer.MaxPayloadBytes < 4 * 1024 * 1024, "the maximum must stay below the cluster's 4 MiB frame");
    }

    [Fact]
    public void Should_fit_a_full_page_of_maximal_targets_alerts_and_silences_under_the_maximum()
    {
        // Every character escaped as \uXXXX in JSON: the worst case of the page-size arithmetic.
        static string Max(int length) => new('\u00e9', length);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        var target = TargetDefinition.WithDefaults(Max(TextLimits.Id), Max(TextLimits.Endpoint)) with
        {
            Adapter = Max(TextLimits.Kind), ProbeKey = Max(TextLimits.Key), Group = Max(TextLimits.Group),
            EventProbe = new EventProbeSettings { Key = Max(TextLimits.Key) },
        };
        var targets = Enumerable.Repeat(target, TargetRegistryCommands.MaxTargetsPerPage).ToList();
        var alert = SampleAlert with
        {
            Id = Max(TextLimits.Id), TargetId = Max(TextLimits.Id), Rule = Max(TextLimits.Id), Message = Max(2000),
            AcknowledgedBy = Max(TextLimits.Actor), AcknowledgeComment = Max(TextLimits.Comment), Group = Max(TextLimits.Group),
            SuppressedBy = Max(TextLimits.Name),
        };
        var silence = new Silence(Max(TextLimits.Id),
            Enumerable.Repeat(new Matcher(MatchField.Target, Max(TextLimits.Matcher)), TextLimits.MatchersPerRule).ToList(),
            T0, T0.AddHours(2), Max(TextLimits.Actor), Max(TextLimits.Comment), T0.AddHours(1));
        var pages = new object[]
        {
            new TargetRegistryCommands.TargetList(targets, targets.Select(t => t.Id).ToList(), 10_000, target.Id),
            new AlertQueries.AlertList(Enumerable.Repeat(alert, AlertQueries.MaxAlertsPerPage).ToList(), 10_000, 50),
            new AlertQueries.SilenceList(Enumerable.Repeat(silence, AlertQueries.MaxSilencesPerPage).ToList(), 10_000, 20),
        };
        foreach (var page in pages)
        {
            var size = serializer.ToBinary(page).Length;
            Output?.WriteLine($"{page.GetType().Name}: {size} bytes");
            Assert.True(size < ConfigMonitorSerializer.MaxPayloadBytes, $"{page.GetType().Name} page is {size} bytes");
        }
    }

    [Fact]
    public void Should_read_list_queries_written_before_paging_as_the_first_page()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        var empty = "{}"u8.ToArray();
        Assert.Equal(TargetRegistryCommands.GetTargets.Instance, serializer.FromBinary(empty, "tg"));
        Assert.Equal(AlertQueries.GetActiveAlerts.Instance, serializer.FromBinary(empty, "aqa"));
        Assert.Equal(AlertQueries.GetAllAlerts.Instance, serializer.FromBinary(empty, "aql"));
        var silences = Assert.IsType<AlertQueries.GetSilences>(serializer.FromBinary("{\"includeExpired\":true}"u8.ToArray(), "sq"));
        Assert.Equal(new AlertQueries.GetSilences(true), silences);
    }

    [Fact]
    public void Should_read_an_alert_book_snapshot_written_before_targets_could_be_retired_as_one_with_none_retired()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        var old = "{\"alerts\":[],\"nextNumber\":8,\"silences\":[],\"windows\":[],\"nextMuteNumber\":5}"u8.ToArray();

        var snapshot = Assert.IsType<AlertEvents.AlertBookSnapshot>(serializer.FromBinary(old, "AB"));

        Assert.Null(snapshot.RetiredTargets);
        Assert.Equal(8, snapshot.NextNumber);
        Assert.Equal(5, snapshot.NextMuteNumber);
    }

    [Fact]
    public void Should_read_a_runtime_target_written_before_facets_as_an_actor_target_on_every_facet()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        // RuntimeTargetAdded as the version before facets wrote it (no config, provider, secret or reach fields).
        var old = """
            {"definition":{"id":"orders","adapter":"actor","endpoint":"akka.tcp://svc@10.0.0.5:4053/user/config","probeKey":"app.name",
            "probeTimeout":"00:00:01.5","performance":{"interval":"00:00:30","accessTimeThresholdMs":25},
            "health":{"interval":"00:00:30","maxProcessMemoryMb":500},"cache":{"interval":"00:03:00","minHitRate":0.75,"maxUsage":0.85,"minRequests":20},
            "database":{"interval":"00:01:00","responseTimeThresholdMs":100},"eventProbe":{"key":"monitor.event-probe","timeout":"00:00:05"},"group":"eu"}}
            """u8.ToArray();

        var added = Assert.IsType<TargetRegistryEvents.RuntimeTargetAdded>(serializer.FromBinary(old, "TA"));

        var t = added.Definition;
        Assert.Equal(("orders", "eu", 0.75, TimeSpan.FromMilliseconds(1500)), (t.Id, t.Group, t.Cache.MinHitRate, t.ProbeTimeout));
        Assert.Empty(TargetDefinitionReader.Validate(t));
        Assert.All(TargetFacets.Resolve(t), f => Assert.Equal(("actor", "akka.tcp://svc@10.0.0.5:4053/user/config"), (f.Kind, f.Endpoint)));
        Assert.Null(t.Cache.Kind);
        Assert.Null(t.Secret);
    }

    [Fact]
    public void Should_write_a_target_without_facet_fields_as_the_version_before_facets_can_read_it()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(SampleTarget);
        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new TargetRegistryEvents.RuntimeTargetAdded(SampleTarget)));

        // Unset reach fields are left out, so a node of the previous version (rolling upgrade) reads what this one writes.
        foreach (var field in new[] { "\"kind\"", "\"provider\"", "\"secret\"", "\"query\"", "\"path\"" })
            Assert.DoesNotContain(field, json);
    }

    [Fact]
    public void Should_refuse_an_unknown_manifest_with_a_clear_error()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(GetCacheStats.Instance);

        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "zz"));
        Assert.Contains("Unknown ConfigMonitor manifest 'zz'", error.Message);
    }

    [Fact]
    public void Should_keep_the_stored_form_of_a_batch_of_samples_stable()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new MetricsEvents.SamplesRecorded(SampleSamples));
        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new MetricsEvents.SamplesRecorded([SampleSamples[0]])));

        Assert.Equal("MSR", serializer.Manifest(new MetricsEvents.SamplesRecorded(SampleSamples)));
        Assert.Equal("""{"samples":[{"metric":"config_access_ms","value":3.25,"timestamp":"2026-11-29T12:00:00+01:00"}]}""", json);
    }

    [Fact]
    public void Should_store_a_batch_of_samples_in_the_compact_binary_layout_and_read_it_back_as_the_same_instants()
    {
        var samples = Enumerable.Range(0, 100).SelectMany(i => SampleSamples.Select(s => s with { Timestamp = s.Timestamp.AddSeconds(5 * i) })).ToArray();
        var batch = new MetricsEvents.SampleBatchRecorded(samples);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(batch);

        var bytes = serializer.ToBinary(batch);
        var back = (MetricsEvents.SampleBatchRecorded)serializer.FromBinary(bytes, "MSB");

        Assert.Equal("MSB", serializer.Manifest(batch));
        Assert.Equal(samples, back.Samples);
        Assert.True(bytes.Length < serializer.ToBinary(new MetricsEvents.SamplesRecorded(samples)).Length / 5,
            $"{bytes.Length} bytes is not compact");
    }

    [Fact]
    public void Should_still_read_the_json_batches_and_snapshots_written_before_rollups()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new MetricsEvents.SamplesRecorded(SampleSamples));
        var json = """{"samples":[{"metric":"config_access_ms","value":3.25,"timestamp":"2026-11-29T12:00:00+01:00"}]}"""u8.ToArray();

        var batch = (MetricsEvents.SamplesRecorded)serializer.FromBinary(json, "MSR");
        var snapshot = (MetricsEvents.MetricsSnapshot)serializer.FromBinary(json, "MSS");

        Assert.Equal(SampleSamples[0], Assert.Single(batch.Samples));
        Assert.Equal(SampleSamples[0], Assert.Single(snapshot.Samples));
    }
}
