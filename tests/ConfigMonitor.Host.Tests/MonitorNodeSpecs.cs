using Akka.Actor;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Host.Tests;

/// <summary>A whole node in process: real cluster, real SQLite file, real demo service; no mocks.</summary>
public sealed class MonitorNodeSpecs : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = TempDirectory.ForNode();

    [Fact]
    public async Task Should_record_demo_metrics_report_every_health_check_and_stop_cleanly()
    {
        var host = await TestNode.BuildAsync(TestNode.FastSettings(_data.Path));
        try
        {
            await host.StartAsync();
            var registry = host.Registry();
            var metrics = await registry.GetAsync<TargetRegion>();
            var health = await registry.GetAsync<HealthChecker>();

            IReadOnlyList<MetricSample> latest = [];
            await Eventually.AssertAsync(async () =>
            {
                latest = (await metrics.Ask<MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics("demo"), AskTimeout)).Latest;
                return latest.Any(s => s.Metric == MetricNames.ConfigAccessMs) && latest.Any(s => s.Metric == MetricNames.EventDelivered);
            }, WaitTimeout, "the demo target's store should hold config_access_ms and event_delivered samples");

            var report = await health.Ask<HealthReport>(new HealthQueries.GetHealthReport(), TimeSpan.FromSeconds(30));
            var names = report.Checks.Select(c => c.Name).Distinct().ToList();
            Assert.All(HealthCheckNames.All, name => Assert.Contains(name, names));

            var targets = await registry.Get<TargetRegistry>()
                .Ask<TargetRegistryCommands.TargetList>(TargetRegistryCommands.GetTargets.Instance, AskTimeout);
            Assert.Contains(targets.Targets, t => t.Id == "demo");
        }
        finally
        {
            await host.StopWithinAsync(TestNode.StopTimeout);
            await host.DisposeAsync();
        }
        Assert.True(File.Exists(Path.Combine(_data.Path, "configmonitor.db")), "the node should keep its journal in the data folder");
    }

    [Theory]
    [InlineData("ConfigMonitor:Targets:demo:Performance:Interval", "soon", "target 'demo'", "field 'Performance:Interval'")]
    [InlineData("ConfigMonitor:Targets:broken:Adapter", "zookeeper", "target 'broken'", "field 'Adapter'")]
    [InlineData("ConfigMonitor:Targets:broken:Cache:Kind", "redis", "target 'broken'", "field 'Cache:Endpoint'")]
    public async Task Should_refuse_to_build_a_node_with_a_malformed_target(string key, string value, string target, string field)
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings[key] = value;
        if (key.Contains(":broken:", StringComparison.Ordinal))
            settings["ConfigMonitor:Targets:broken:Endpoint"] = "/user/nowhere";

        var error = await Assert.ThrowsAsync<InvalidTargetDefinitionException>(() => TestNode.BuildAsync(settings));

        Assert.Contains(target, error.Message);
        Assert.Contains(field, error.Message);
        Assert.Contains(error.Problems, p => p.Contains(target, StringComparison.Ordinal) && p.Contains(field, StringComparison.Ordinal));
        // Validation comes before anything is prepared: no data folder, no SQLite file.
        Assert.False(Directory.Exists(_data.Path), "a refused node must not create its data folder");
    }

    public void Dispose() => _data.Dispose();
}
