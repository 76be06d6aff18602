using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using AspNetHealthReport = Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport;
using HealthReport = ConfigMonitor.Actors.Health.HealthReport;
using HealthQueries = ConfigMonitor.Actors.Health.HealthQueries;
using HealthCheckSettings = ConfigMonitor.Actors.Health.HealthCheckSettings;
using HealthState = ConfigMonitor.Actors.Health.HealthState;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// The seven ConfigMonitor checks as one <see cref="IHealthCheck"/>: asks the HealthChecker and keeps its report for the
/// response writer of <c>/health</c>.
/// </summary>
public sealed class ConfigMonitorHealthCheck(ActorAsk actors, HealthCheckSettings settings) : IHealthCheck
{
    /// <summary>The registration name (and tag) of this check.</summary>
    public const string Name = "configmonitor";

    /// <summary>The data key holding the <see cref="HealthReport"/>.</summary>
    public const string ReportKey = "report";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The checker bounds each check by CheckTimeout; give it that plus a margin to answer.
            var report = await actors.AskAsync<Actors.Hosting.HealthChecker, HealthReport>(new HealthQueries.GetHealthReport(), cancellationToken,
                settings.CheckTimeout + TimeSpan.FromSeconds(5));
            var data = new Dictionary<string, object> { [ReportKey] = report };
            var failing = string.Join(", ", report.Checks.Where(c => !c.Healthy)
                .Select(c => $"{(c.TargetId is null ? c.Name : $"{c.Name} ({c.TargetId})")} {c.Status.ToString().ToLowerInvariant()}"));
            return report.Status switch
            {
                HealthState.Healthy => HealthCheckResult.Healthy("every check is healthy", data),
                HealthState.Degraded => HealthCheckResult.Degraded("degraded: " + failing, data: data),
                _ => HealthCheckResult.Unhealthy("failing: " + failing, data: data),
            };
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"the health checker did not answer: {e.Message}", e);
        }
    }
}

/// <summary><c>/health/live</c>, <c>/health/ready</c> (Akka.Hosting's checks) and <c>/health</c> (the seven checks).</summary>
public static class HealthEndpoints
{
    /// <summary>Maps the three health routes.</summary>
    public static void MapHealthEndpoints(this WebApplication app)
    {
        var strict = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("liveness"),
            ResponseWriter = WriteSummaryAsync,
        });
        // Ready: an Up cluster member, and the journal answers (its check reports Degraded when it does not).
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("ready") || r.Tags.Contains("persistence"),
            ResultStatusCodes = strict,
            ResponseWriter = WriteSummaryAsync,
        });
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = r => r.Name == ConfigMonitorHealthCheck.Name,
            ResultStatusCodes = strict,
            ResponseWriter = WriteReportAsync,
        });
    }

    private static JsonSerializerOptions Json(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

    private static Task WriteSummaryAsync(HttpContext context, AspNetHealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description,
                error = e.Value.Exception?.Message,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json(context)));
    }

    private static Task WriteReportAsync(HttpContext context, AspNetHealthReport report)
    {
        context.Response.ContentType = "application/json";
        var entry = report.Entries.TryGetValue(ConfigMonitorHealthCheck.Name, out var e) ? e : default;
        object body = entry.Data?.TryGetValue(ConfigMonitorHealthCheck.ReportKey, out var r) == true && r is HealthReport full
            ? ApiViews.Of(full)
            : new { status = "unhealthy", checkedAt = DateTimeOffset.UtcNow, durationMs = report.TotalDuration.TotalMilliseconds, error = entry.Description };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json(context)));
    }
}
