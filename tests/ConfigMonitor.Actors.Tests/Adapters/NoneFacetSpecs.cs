using ConfigMonitor.Actors.Protocol;
using Akka.Actor;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Adapters;

/// <summary>
/// A facet of kind none: its loop is off (no sample, no observation), its check is "not applicable" with the reason, and it
/// never makes a report worse; the facets the target has are still probed for real (the reference service's actor).
/// </summary>
public sealed class NoneFacetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();

    private TargetDefinition Target(IActorRef service) => ReferenceServices.Target("orders", service, interval: TimeSpan.FromSeconds(1)) with
    {
        Cache = new CacheSettings { Kind = FacetKinds.None, Interval = TimeSpan.FromSeconds(1) },
        EventProbe = new EventProbeSettings { Kind = FacetKinds.None },
    };

    [Fact]
    public async Task A_target_without_cache_and_events_should_run_no_cache_loop_and_report_those_checks_not_applicable()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = Target(service);
        Assert.Empty(TargetDefinitionReader.Validate(target));
        var store = CreateTestProbe();
        var alerts = CreateTestProbe();
        var monitor = Sys.ActorOf(TargetMonitorActor.Props("orders", store.Ref, alerts.Ref, SystemClock.Instance, FacetAdapters.Default));
        monitor.Tell(new TargetMonitorCommands.MonitorTarget(target));

        // Samples arrive from the facets the target has, and none of the cache's.
        var metrics = new HashSet<string>();
        await AwaitAssertAsync(() =>
        {
            while (store.HasMessages) foreach (var s in store.ExpectMsg<MetricsCommands.RecordSamples>().Samples) metrics.Add(s.Metric);
            Assert.Contains(MetricNames.ConfigAccessMs, metrics);
            Assert.Contains(MetricNames.DatabaseResponseMs, metrics);
            Assert.Contains(MetricNames.HealthOk, metrics);
        }, Timeout, TimeSpan.FromMilliseconds(100));
        Assert.DoesNotContain(metrics, m => m.StartsWith("cache_", StringComparison.Ordinal));
        while (alerts.HasMessages)
            Assert.NotEqual(ConfigMonitor.Actors.Alerts.AlertCategory.Cache, alerts.ExpectMsg<ConfigMonitor.Actors.Alerts.Observation>().Category);

        var status = await monitor.Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus("orders"), Timeout);
        Assert.DoesNotContain(status.Loops, l => l.Loop == LoopNames.Cache);
        Assert.Equal(["config actor", "cache none", "database actor", "events none"], status.Facets.Select(f => $"{f.Facet} {f.Kind}"));
        Assert.True(status.Facets.Single(f => f.Facet == FacetNames.Config).Probes > 0);

        var registry = Sys.ActorOf(TargetRegistryActor.Props([target], CreateTestProbe().Ref));
        var settings = new HealthCheckSettings { MaxProcessMemoryMb = 64 * 1024, MinDiskFreePercent = 0.001, CheckTimeout = TimeSpan.FromSeconds(3) };
        var checker = Sys.ActorOf(HealthCheckerActor.Props(settings, registry, monitor, SystemClock.Instance, FacetAdapters.Default));
        HealthReport report = null!;
        await AwaitAssertAsync(async () =>
        {
            report = await checker.Ask<HealthReport>(new HealthQueries.GetHealthReport(), Timeout);
            Assert.Equal(HealthState.Healthy, report.Status);
        }, Timeout, TimeSpan.FromMilliseconds(200));
        foreach (var name in new[] { HealthCheckNames.CachePerformance, HealthCheckNames.EventSystem })
        {
            var check = report.Checks.Single(c => c.Name == name);
            Assert.Equal(HealthState.NotApplicable, check.Status);
            Assert.Empty(check.Figures);
            Assert.Contains("not applicable: this target has no", check.Message);
        }
        Assert.Equal(HealthState.Healthy, report.Checks.Single(c => c.Name == HealthCheckNames.DatabaseConnectivity).Status);
        Assert.DoesNotContain("cache_hit_rate", report.Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService).Figures.Keys);
    }

    [Fact]
    public void A_report_of_only_not_applicable_and_healthy_checks_should_be_healthy_and_an_unhealthy_one_should_still_win()
    {
        HealthCheckResult Check(HealthState state) => new("c", "t", state, "m", new Dictionary<string, double>(), null, 0);
        Assert.Equal(HealthState.Healthy, HealthReport.Of(DateTimeOffset.UtcNow, 0, [Check(HealthState.NotApplicable), Check(HealthState.Healthy)]).Status);
        Assert.Equal(HealthState.Healthy, HealthReport.Of(DateTimeOffset.UtcNow, 0, [Check(HealthState.NotApplicable)]).Status);
        Assert.Equal(HealthState.Unhealthy, HealthReport.Of(DateTimeOffset.UtcNow, 0, [Check(HealthState.NotApplicable), Check(HealthState.Unhealthy)]).Status);
        Assert.True(Check(HealthState.NotApplicable).Healthy);
    }

    [Fact]
    public async Task The_event_probe_should_skip_a_target_without_an_events_facet_and_record_nothing()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc2");
        var withEvents = ReferenceServices.Target("with-events", service);
        var without = Target(service) with { Id = "without-events" };
        var registry = Sys.ActorOf(TargetRegistryActor.Props([withEvents, without], CreateTestProbe().Ref));
        var targets = CreateTestProbe();
        var maintenance = Sys.ActorOf(MaintenanceActor.Props(new MaintenanceSettings { EventProbeInterval = TimeSpan.FromHours(1) }, registry,
            targets.Ref, CreateTestProbe().Ref, SystemClock.Instance, FacetAdapters.Default));

        maintenance.Tell(MaintenanceCommands.RunEventProbes.Instance);

        var result = ExpectMsg<EventProbeResult>(Timeout);
        Assert.Equal("with-events", result.TargetId);
        Assert.True(result.Delivered, result.Error);
        ExpectNoMsg(TimeSpan.FromSeconds(1));
        // Samples, the events facet's status and the observation: each for the target that has an events facet.
        var told = targets.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => (IWithTargetId)m);
        Assert.NotEmpty(told);
        Assert.All(told, m => Assert.Equal("with-events", m.TargetId));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _data.Dispose();
    }
}
