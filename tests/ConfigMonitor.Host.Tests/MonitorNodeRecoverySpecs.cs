using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.ConfigService;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests;

/// <summary>Two nodes, one after the other, on the same data folder: what the first learned, the second remembers.</summary>
public sealed class MonitorNodeRecoverySpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LongWindow = TimeSpan.FromDays(1);
    private static readonly string UnreachableFingerprint =
        AlertFingerprint.Of("demo", AlertCategory.Database, DatabaseLoopActor.UnreachableRule);

    private readonly TempDirectory _data = TempDirectory.ForNode();

    [Fact]
    public async Task Should_recover_acknowledged_alerts_and_samples_flushed_only_by_shutdown()
    {
        // Node 1: samples are persisted only by the shutdown hand-off (no timed flush, no full batch).
        var firstSettings = TestNode.FastSettings(_data.Path);
        firstSettings["ConfigMonitor:Metrics:FlushInterval"] = "1h";
        firstSettings["ConfigMonitor:Metrics:BatchSize"] = "1000000";
        var first = await TestNode.BuildAsync(firstSettings);
        Alert acknowledged;
        long firstCount;
        try
        {
            await first.StartAsync();
            var registry = first.Registry();
            var metrics = await registry.GetAsync<TargetRegion>();
            var alerts = await registry.GetAsync<AlertManager>();

            await Eventually.AssertAsync(async () =>
                (await Summary(metrics)).Count > 0, WaitTimeout, "node 1 should record config_access_ms samples");

            var fault = await first.System().ActorSelection("/user/" + MonitorNode.DemoServiceName)
                .Ask<ConfigServiceFaults.FaultApplied>(new ConfigServiceFaults.SetDatabaseAvailable(false), AskTimeout);
            Assert.NotNull(fault);

            Alert? raised = null;
            await Eventually.AssertAsync(async () =>
            {
                var list = await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, AskTimeout);
                raised = list.Alerts.FirstOrDefault(a => a.Fingerprint == UnreachableFingerprint);
                return raised is not null;
            }, WaitTimeout, $"an alert {UnreachableFingerprint} should fire while the demo database is down");

            var answer = await alerts.Ask<object>(new AlertCommands.AcknowledgeAlert(raised!.Id, "host-tests"), AskTimeout);
            acknowledged = Assert.IsType<AlertCommands.AlertAcknowledged>(answer).Alert;
            Assert.True(acknowledged.Acknowledged);

            firstCount = (await Summary(metrics)).Count;
            Assert.True(firstCount > 0);
        }
        finally
        {
            await first.StopWithinAsync(TestNode.StopTimeout);
            await first.DisposeAsync();
        }

        // Node 2: same folder, and no demo service, so its loops add no config_access_ms sample of their own:
        // every sample it counts came back from the journal.
        var secondSettings = TestNode.FastSettings(_data.Path);
        secondSettings["ConfigMonitor:Demo:Enabled"] = "false";
        var second = await TestNode.BuildAsync(secondSettings);
        try
        {
            await second.StartAsync();
            var registry = second.Registry();
            var metrics = await registry.GetAsync<TargetRegion>();
            var alerts = await registry.GetAsync<AlertManager>();

            Alert? recovered = null;
            await Eventually.AssertAsync(async () =>
            {
                var list = await alerts.Ask<AlertQueries.AlertList>(AlertQueries.GetAllAlerts.Instance, AskTimeout);
                recovered = list.Alerts.FirstOrDefault(a => a.Id == acknowledged.Id);
                return recovered is not null;
            }, WaitTimeout, $"node 2 should recover alert {acknowledged.Id}");
            Assert.Equal(UnreachableFingerprint, recovered!.Fingerprint);
            Assert.True(recovered.Acknowledged, "the acknowledgement should survive the restart");
            Assert.Equal("host-tests", recovered.AcknowledgedBy);
            Assert.Equal(acknowledged.AcknowledgedAt, recovered.AcknowledgedAt);

            var secondCount = (await Summary(metrics)).Count;
            output.WriteLine($"config_access_ms samples: node 1 saw {firstCount} before stopping, node 2 recovered {secondCount}");
            Assert.True(secondCount >= firstCount,
                $"node 2 should recover at least node 1's {firstCount} config_access_ms samples, but has {secondCount}");
        }
        finally
        {
            await second.StopWithinAsync(TestNode.StopTimeout);
            await second.DisposeAsync();
        }
    }

    private static Task<MetricsQueries.MetricSummary> Summary(IActorRef metrics) =>
        metrics.Ask<MetricsQueries.MetricSummary>(
            new MetricsQueries.GetMetricSummary("demo", MetricNames.ConfigAccessMs, LongWindow), AskTimeout);

    public void Dispose() => _data.Dispose();
}
