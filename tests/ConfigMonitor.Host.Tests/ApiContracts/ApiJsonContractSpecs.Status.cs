using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Overview;
using ConfigMonitor.Host.Api;

namespace ConfigMonitor.Host.Tests.ApiContracts;

// The status page's answers (GET /api/status, GET /api/targets/{id}/health): maximal and minimal samples.
public sealed partial class ApiJsonContractSpecs
{
    private static readonly DateTimeOffset StatusAt = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    private static IEnumerable<(string Name, object Answer)> StatusAnswers()
    {
        const string node = "akka.tcp://configmonitor@10.0.0.5:4053";
        var counts = new StateCounts(7, 2, 1, 1, 1, 2);
        var page = new StatusBoardQueries.StatusPage(counts, new StateCounts(2, 1, 0, 0, 0, 1), ["eu", "us"],
            [new TargetSummary("orders", HealthState.Healthy, StatusAt, "eu", node), new TargetSummary("payments", HealthState.Unknown, null, null, node)], true);
        yield return ("status.page.json", ApiViews.Of(page, StatusEndpoints.Cursor("payments"), ["akka.tcp://configmonitor@10.0.0.6:4053"]));
        yield return ("status.empty.json", ApiViews.Of(new StatusBoardQueries.StatusPage(StateCounts.None, StateCounts.None, [], [], false), null, []));
        yield return ("target.health.json", ApiViews.Of(new TargetMonitorQueries.TargetHealthReport("orders", HealthState.Unhealthy, node, StatusAt,
        [
            new HealthCheckResult("configuration_service", "orders", HealthState.Unhealthy, "configuration_service failed: 503 Service Unavailable",
                new Dictionary<string, double>(), "503 Service Unavailable", 0),
            new HealthCheckResult("database_connectivity", "orders", HealthState.Degraded, "SELECT 1 in 80 ms (above the 50 ms threshold)",
                new Dictionary<string, double> { ["response_ms"] = 80, ["max_response_ms"] = 50 }, null, 0),
            new HealthCheckResult("cache_performance", "orders", HealthState.NotApplicable, "not applicable: this target has no cache facet",
                new Dictionary<string, double>(), null, 0),
            new HealthCheckResult("event_system", "orders", HealthState.Unknown, "unknown: no event round trip has finished yet",
                new Dictionary<string, double>(), null, 0),
        ])));
        yield return ("target.health.pending.json", ApiViews.Of(new TargetMonitorQueries.TargetHealthReport("orders", HealthState.Unknown, node, null, [])));
    }
}
