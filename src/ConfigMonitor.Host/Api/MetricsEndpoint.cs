using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// <c>GET /metrics</c>: the latest value of every metric of every target, summaries of the timing metrics over 5 minutes,
/// alert counts by severity and state, cluster and target counts, and the node's process figures.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>The window of the summaries.</summary>
    public static readonly TimeSpan SummaryWindow = TimeSpan.FromMinutes(5);

    private static readonly DateTimeOffset ProcessStart = new(Process.GetCurrentProcess().StartTime.ToUniversalTime());

    /// <summary>Maps <c>/metrics</c>.</summary>
    public static void MapMetricsEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", async (ActorSystem system, ActorAsk actors, CancellationToken ct) =>
            Results.Text(await ScrapeAsync(system, actors, ct), PrometheusExposition.ContentType));

    /// <summary>Gathers every figure; a part that does not answer is counted in <c>configmonitor_scrape_errors</c> and left out.</summary>
    public static async Task<string> ScrapeAsync(ActorSystem system, ActorAsk actors, CancellationToken ct)
    {
        var text = new PrometheusExposition();
        var errors = 0;

        IReadOnlyList<TargetDefinition> targets = [];
        try
        {
            targets = (await actors.AllTargetsAsync(ct)).Targets;
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            errors++;
        }
        text.Family("configmonitor_targets", "gauge", "Targets known to the target registry.").Sample("configmonitor_targets", targets.Count);

        // One ask a target: its latest values and the summaries of its timing metrics.
        var latest = await Task.WhenAll(targets.Select(t => Try(() =>
            actors.AskAsync<MetricsStoreRegion, MetricsQueries.MetricsOverview>(new MetricsQueries.GetMetricsOverview(t.Id, SummaryWindow), ct))));
        errors += latest.Count(l => l is null);
        var samples = latest.Where(l => l is not null)
            .SelectMany(l => l!.Latest.Select(s => (Target: l.TargetId, Sample: s)))
            .GroupBy(x => x.Sample.Metric, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var metric in samples)
        {
            var (name, scale) = PrometheusExposition.Convert(metric.Key);
            var type = name.EndsWith("_total", StringComparison.Ordinal) ? "counter" : "gauge";
            text.Family(name, type, $"Latest sample of {metric.Key} per target{UnitNote(scale)}.");
            foreach (var (target, sample) in metric.OrderBy(x => x.Target, StringComparer.Ordinal))
                text.Sample(name, sample.Value * scale, ("target", target));
        }

        // Summaries of the timing metrics: quantiles, sum and count as a Prometheus summary, min and max as gauges.
        var summaries = latest.Where(l => l is not null).SelectMany(l => l!.Summaries).ToList();
        foreach (var metric in summaries.Where(s => s is { Count: > 0 }).GroupBy(s => s!.Metric, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (baseName, scale) = PrometheusExposition.Convert(metric.Key);
            var name = baseName + "_window";
            text.Family(name, "summary", $"{metric.Key} over the last {Durations.Format(SummaryWindow)} per target{UnitNote(scale)}.");
            foreach (var s in metric.OrderBy(s => s!.TargetId, StringComparer.Ordinal))
            {
                foreach (var (quantile, value) in new[] { ("0.5", s!.P50), ("0.95", s.P95), ("0.99", s.P99) })
                    if (value is not null) text.Sample(name, value.Value * scale, ("target", s.TargetId), ("quantile", quantile));
                text.Sample(name + "_sum", (s.Average ?? 0) * s.Count * scale, ("target", s.TargetId));
                text.Sample(name + "_count", s.Count, ("target", s.TargetId));
            }
            foreach (var (suffix, pick) in new (string, Func<MetricsQueries.MetricSummary, double?>)[] { ("min", s => s.Min), ("max", s => s.Max) })
            {
                text.Family($"{baseName}_window_{suffix}", "gauge", $"The {suffix}imum of {metric.Key} over the last {Durations.Format(SummaryWindow)} per target{UnitNote(scale)}.");
                foreach (var s in metric.Where(s => pick(s!) is not null).OrderBy(s => s!.TargetId, StringComparer.Ordinal))
                    text.Sample($"{baseName}_window_{suffix}", pick(s!)!.Value * scale, ("target", s!.TargetId));
            }
        }

        var alerts = await Try(() => actors.AllAlertsAsync(ct));
        if (alerts is null) errors++;
        else
        {
            text.Family("configmonitor_alerts", "gauge", "Retained alerts by severity and state.");
            foreach (var severity in Enum.GetValues<AlertSeverity>())
                foreach (var state in Enum.GetValues<AlertState>())
                    text.Sample("configmonitor_alerts", alerts.Alerts.Count(a => a.Severity == severity && a.State == state),
                        ("severity", AlertNames.Severity(severity)), ("state", state.ToString().ToLowerInvariant()));
            text.Family("configmonitor_alerts_unacknowledged", "gauge", "Alerts not yet acknowledged, by severity.");
            foreach (var severity in Enum.GetValues<AlertSeverity>())
                text.Sample("configmonitor_alerts_unacknowledged", alerts.Alerts.Count(a => a.Severity == severity && !a.Acknowledged),
                    ("severity", AlertNames.Severity(severity)));
        }

        var cluster = Cluster.Get(system).State;
        text.Family("configmonitor_cluster_members", "gauge", "Cluster members as this node sees them, by status.");
        foreach (var status in cluster.Members.GroupBy(m => m.Status.ToString().ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal))
            text.Sample("configmonitor_cluster_members", status.Count(), ("status", status.Key));
        text.Family("configmonitor_cluster_unreachable_members", "gauge", "Members this node cannot reach.")
            .Sample("configmonitor_cluster_unreachable_members", cluster.Unreachable.Count);

        using (var process = Process.GetCurrentProcess())
        {
            text.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").Sample("process_resident_memory_bytes", process.WorkingSet64);
            text.Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
                .Sample("process_cpu_seconds_total", process.TotalProcessorTime.TotalSeconds);
            text.Family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
                .Sample("process_start_time_seconds", ProcessStart.ToUnixTimeMilliseconds() / 1000d);
            text.Family("process_threads", "gauge", "Threads of the process.").Sample("process_threads", process.Threads.Count);
        }
        text.Family("dotnet_gc_heap_bytes", "gauge", "Bytes on the managed heap.").Sample("dotnet_gc_heap_bytes", GC.GetTotalMemory(false));
        text.Family("configmonitor_scrape_errors", "gauge", "Parts of this scrape whose actor did not answer in time (left out).")
            .Sample("configmonitor_scrape_errors", errors);
        return text.ToString();
    }

    private static string UnitNote(double scale) => scale switch
    {
        0.001 => " (recorded in ms, exposed in seconds)",
        1024d * 1024d => " (recorded in MB, exposed in bytes)",
        _ => "",
    };

    private static async Task<T?> Try<T>(Func<Task<T>> ask) where T : class
    {
        try
        {
            return await ask();
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException or ConfigMonitor.Actors.Metrics.MetricsStoreUnavailableException)
        {
            return null;
        }
    }
}
