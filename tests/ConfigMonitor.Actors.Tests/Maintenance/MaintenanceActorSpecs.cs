using Akka.Actor;
using Akka.TestKit;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;

namespace ConfigMonitor.Actors.Tests.Maintenance;

public sealed class MaintenanceActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _data = new();

    private static MaintenanceSettings Quiet => new() { RetentionInterval = TimeSpan.FromHours(1), EventProbeInterval = TimeSpan.FromHours(1) };

    /// <summary>The singleton over one target; the probe plays the target region (the target's entity gets all three messages).</summary>
    private (IActorRef Maintenance, TestProbe Targets) StartEventProbing(ActorSystem system, TargetDefinition target)
    {
        var targets = CreateTestProbe(system);
        var registry = system.ActorOf(TargetRegistryActor.Props([target], CreateTestProbe(system).Ref));
        var maintenance = system.ActorOf(MaintenanceActor.Props(Quiet, registry, targets.Ref, CreateTestProbe(system).Ref, SystemClock.Instance,
            ConfigMonitorHosting.ActorAdapters));
        return (maintenance, targets);
    }

    /// <summary>What an event probe tells the target's entity, in its order: the samples, the events facet's status, the observation.</summary>
    private static async Task<(MetricsCommands.RecordSamples Samples, TargetMonitorCommands.EventProbeReported Status, Observation Observation)> ToldAsync(TestProbe targets) =>
        (await targets.ExpectMsgAsync<MetricsCommands.RecordSamples>(Timeout), await targets.ExpectMsgAsync<TargetMonitorCommands.EventProbeReported>(Timeout),
            await targets.ExpectMsgAsync<Observation>(Timeout));

    [Fact]
    public async Task Should_time_a_full_event_round_trip_and_observe_it_as_delivered()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var (maintenance, targets) = StartEventProbing(Sys, ReferenceServices.Target("orders", service));

        maintenance.Tell(MaintenanceCommands.RunEventProbes.Instance);
        var result = await ExpectMsgAsync<EventProbeResult>(Timeout);
        var (samples, status, observation) = await ToldAsync(targets);
        Assert.Null(status.Error);

        Assert.True(result.Delivered, result.Error);
        Assert.Null(result.Error);
        Assert.InRange(result.RoundTripMs!.Value, 0, 500);
        Assert.Equal(1, samples.Samples.Single(s => s.Metric == MetricNames.EventDelivered).Value);
        Assert.Contains(samples.Samples, s => s.Metric == MetricNames.EventRoundTripMs);
        Assert.Equal((AlertCategory.EventSystem, MaintenanceActor.EventDeliveryRule, false), (observation.Category, observation.Rule, observation.Breached));
    }

    [Fact]
    public async Task Should_raise_a_critical_observation_when_the_change_event_is_lost()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetDropEvents(true));
        var (maintenance, targets) = StartEventProbing(Sys, ReferenceServices.Target("orders", service));

        maintenance.Tell(MaintenanceCommands.RunEventProbes.Instance);
        var result = await ExpectMsgAsync<EventProbeResult>(Timeout);
        var (samples, status, observation) = await ToldAsync(targets);

        Assert.False(result.Delivered);
        Assert.Contains("did not arrive within 500ms", result.Error);
        Assert.True(observation.Breached);
        Assert.Equal(AlertSeverity.Critical, observation.Severity);
        Assert.Equal(0, samples.Samples.Single().Value);
        Assert.Contains("did not arrive", status.Error);
    }

    [Fact]
    public async Task Should_report_a_hanging_event_system_as_lost_without_waiting_for_ever()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetHang(true));
        var (maintenance, targets) = StartEventProbing(Sys, ReferenceServices.Target("orders", service));

        maintenance.Tell(MaintenanceCommands.RunEventProbes.Instance);
        var result = await ExpectMsgAsync<EventProbeResult>(Timeout);

        Assert.False(result.Delivered);
        Assert.StartsWith("subscribe_to_changes failed", result.Error);
        Assert.True((await ToldAsync(targets)).Observation.Breached);
    }

    [Fact]
    public async Task Should_prune_metrics_and_acknowledged_alerts_past_their_retention()
    {
        var clock = new ManualClock(T0);
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var system = node.System;
        var target = TargetDefinition.WithDefaults("orders", "/user/none");
        var metrics = system.ActorOf(MetricsStoreActor.Props("orders", new MetricsStoreSettings(), clock));
        var alerts = system.ActorOf(AlertManagerActor.Props(clock, AlertPolicy.Immediate));
        var registry = system.ActorOf(TargetRegistryActor.Props([target], CreateTestProbe(system).Ref));
        metrics.Tell(new MetricsCommands.RecordSamples("orders",
            [new MetricSample("m", 1, T0.AddHours(-30)), new MetricSample("m", 2, T0.AddHours(-25)), new MetricSample("m", 3, T0.AddHours(-1))]));
        alerts.Tell(new Observation("orders", AlertCategory.Cache, "usage", true, AlertSeverity.Warning, "full", T0.AddHours(-80)));
        alerts.Tell(new Observation("orders", AlertCategory.Cache, "usage", false, AlertSeverity.Warning, "ok", T0.AddHours(-79)));
        var alert = (await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, Timeout)).Alerts.Single();
        await alerts.Ask<AlertCommands.AlertAcknowledged>(new AlertCommands.AcknowledgeAlert(alert.Id, "ops"), Timeout);
        var maintenance = system.ActorOf(MaintenanceActor.Props(Quiet, registry, metrics, alerts, clock, ConfigMonitorHosting.ActorAdapters));

        var done = await maintenance.Ask<MaintenanceCommands.RetentionCompleted>(MaintenanceCommands.RunRetention.Instance, Timeout);

        Assert.Equal((1, 2, 1), (done.Targets, done.SamplesRemoved, done.AlertsRemoved));
        Assert.Empty(done.Errors);
        Assert.Equal(T0.AddHours(-24), done.MetricsCutoff);
        Assert.Equal(T0.AddHours(-72), done.AlertsCutoff);
        Assert.Empty((await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, Timeout)).Alerts);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
