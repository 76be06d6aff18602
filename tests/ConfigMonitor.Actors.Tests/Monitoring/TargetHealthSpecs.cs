using Akka.Actor;
using Akka.TestKit;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Overview;
using ConfigMonitor.Actors.Tests.Adapters.Http;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorQueries;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// A target's health from its loops' last results, through a real monitor probing a real HTTP config server on loopback: the checks
/// follow what the loops saw, the status board is told, and asking for the health sends nothing to the service.
/// </summary>
public sealed class TargetHealthSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private FakeConfigHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeConfigHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    // Every loop probes once at start, then not again for an hour: what the spec sees is the first probe's result.
    private IActorRef StartMonitor(TestProbe board, params (string Field, string Value)[] extra)
    {
        (string, string)[] hourly = [("Performance:Interval", "1h"), ("Health:Interval", "1h"), ("Cache:Interval", "1h"), ("Database:Interval", "1h")];
        var definition = HttpTargets.Read(_server.Url, [.. hourly, .. extra]);
        var monitor = Sys.ActorOf(TargetMonitorActor.Props(definition.Id, CreateTestProbe().Ref, CreateTestProbe().Ref, SystemClock.Instance,
            (system, target) => FacetAdapters.Create(system, FacetConnections.For(system), target), null, new HealthCheckSettings(), board.Ref));
        monitor.Tell(new TargetMonitorCommands.MonitorTarget(definition));
        return monitor;
    }

    /// <summary>The server's request count once it has not changed for <paramref name="quiet"/> (at most a minute of waiting).</summary>
    private int SettledRequestCount(TimeSpan quiet)
    {
        var count = _server.RawTargets.Count;
        var unchanged = System.Diagnostics.Stopwatch.StartNew();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (unchanged.Elapsed < quiet)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), $"the monitor kept sending requests ({count} so far)");
            ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            var now = _server.RawTargets.Count;
            if (now == count) continue;
            count = now;
            unchanged.Restart();
        }
        return count;
    }

    private TargetHealthReport Health(IActorRef monitor)
    {
        monitor.Tell(new GetTargetHealth("t1"));
        return ExpectMsg<TargetHealthReport>();
    }

    [Fact]
    public void Should_judge_configuration_service_unhealthy_from_the_last_failed_read_and_ask_the_service_nothing_to_answer()
    {
        _server.DatabaseDown = true; // reads answer 503, as the reference service does without its database
        var board = CreateTestProbe();
        var monitor = StartMonitor(board);

        var summary = board.FishForMessage<StatusBoardCommands.TargetSummaryChanged>(
            m => m.Summary.State == HealthState.Unhealthy, TimeSpan.FromSeconds(20)).Summary;
        Assert.Equal("t1", summary.Id);
        AwaitAssert(() => Assert.Equal(HealthCheckNames.All.Count, Health(monitor).Checks.Count), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.NotEqual(HealthState.Unknown,
            Health(monitor).Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService).Status), TimeSpan.FromSeconds(10));
        // Each loop's first probe comes at its own offset within the loop start spread (5 s): the count is taken once no request
        // has come for longer than that (a loop that probed late made 7 into 8 on a loaded CI machine).
        var requests = SettledRequestCount(TimeSpan.FromSeconds(6));

        var reports = Enumerable.Range(0, 20).Select(_ => Health(monitor)).ToList();

        Assert.Equal(requests, _server.RawTargets.Count);
        var report = reports[^1];
        Assert.Equal(HealthState.Unhealthy, report.State);
        Assert.Equal(HealthCheckNames.All, report.Checks.Select(c => c.Name));
        var configuration = report.Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService);
        Assert.Equal(HealthState.Unhealthy, configuration.Status);
        Assert.Contains("503", configuration.Error);
        Assert.NotNull(report.CheckedAt);
        Assert.All(reports, r => Assert.Equal(report.CheckedAt, r.CheckedAt));
    }

    [Fact]
    public async Task Should_judge_the_cache_from_its_last_statistics_as_the_live_check_judges_the_same_statistics()
    {
        var board = CreateTestProbe();
        var monitor = StartMonitor(board);
        var settings = new HealthCheckSettings();

        var summary = board.FishForMessage<StatusBoardCommands.TargetSummaryChanged>(
            m => m.Summary.State == HealthState.Healthy, TimeSpan.FromSeconds(20)).Summary;
        Assert.NotNull(summary.LastProbeAt);
        HealthCheckResult lastResults = null!;
        AwaitAssert(() =>
        {
            lastResults = Health(monitor).Checks.Single(c => c.Name == HealthCheckNames.CachePerformance);
            Assert.NotEqual(HealthState.Unknown, lastResults.Status);
        }, TimeSpan.FromSeconds(10));
        var definition = HttpTargets.Read(_server.Url);
        var live = await HealthChecks.CachePerformance(definition, HttpTargets.Adapter(Sys, _server.Url), settings);

        Assert.Equal(HealthState.Healthy, lastResults.Status); // the server's cache: 90 hits of 100, 12 of 100 used
        Assert.Equal(live.Status, lastResults.Status);
        Assert.Equal(live.Message, lastResults.Message);
        Assert.Equal(live.Figures.OrderBy(f => f.Key), lastResults.Figures.OrderBy(f => f.Key));
    }

    [Fact]
    public void Should_be_unknown_while_no_probe_has_finished()
    {
        _server.Hang = true;
        var board = CreateTestProbe();
        var monitor = StartMonitor(board);

        var summary = board.ExpectMsg<StatusBoardCommands.TargetSummaryChanged>().Summary;
        var report = Health(monitor);

        Assert.Equal(HealthState.Unknown, summary.State);
        Assert.Null(summary.LastProbeAt);
        Assert.Equal(HealthState.Unknown, report.State);
        Assert.Null(report.CheckedAt);
        Assert.All(report.Checks.Where(c => c.TargetId is not null), c => Assert.Equal(HealthState.Unknown, c.Status));
    }

    [Fact]
    public void Should_tell_the_board_the_target_is_gone_when_monitoring_stops()
    {
        var board = CreateTestProbe();
        var monitor = StartMonitor(board);
        board.ExpectMsg<StatusBoardCommands.TargetSummaryChanged>();

        monitor.Tell(new TargetMonitorCommands.StopMonitoringTarget("t1"));

        board.FishForMessage<StatusBoardCommands.TargetSummaryRemoved>(m => m.TargetId == "t1", TimeSpan.FromSeconds(10));
    }
}
