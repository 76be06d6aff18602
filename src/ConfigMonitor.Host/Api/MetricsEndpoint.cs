using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// <c>GET /metrics</c>: what this node does, for Prometheus to scrape every node (<see cref="NodeMetrics"/>): the targets it
/// monitors, its process figures, and the cluster-wide figures when it is the leader.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>Maps <c>/metrics</c>.</summary>
    public static void MapMetricsEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", async (NodeMetrics metrics, CancellationToken ct) =>
            Results.Bytes(await metrics.ScrapeAsync(ct), NodeMetrics.ContentType));
}
