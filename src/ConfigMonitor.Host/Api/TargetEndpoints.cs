using System.Text;
using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Host.Api;

/// <summary>A target as the API shows it: its definition and where it comes from (configuration or runtime).</summary>
public sealed record TargetView(string Id, string Source, TargetDefinition Definition, TargetMonitorQueries.TargetStatus? Status = null);

/// <summary>One metric's latest value.</summary>
public sealed record MetricView(string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>A metric summary over a window.</summary>
public sealed record SummaryView(
    string Target, string Metric, string Window, DateTimeOffset From, DateTimeOffset To, long Count,
    double? Avg, double? Min, double? Max, double? P50, double? P95, double? P99);

/// <summary><c>/api/targets</c>: list, show, add and remove targets, and their metrics.</summary>
public static class TargetEndpoints
{
    /// <summary>Maps the target routes; mutations go through <paramref name="mutations"/> (token filter).</summary>
    public static void MapTargetEndpoints(this IEndpointRouteBuilder api, RouteGroupBuilder mutations)
    {
        api.MapGet("/targets", async (ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<TargetRegistry>(TargetRegistryCommands.GetTargets.Instance, answer => answer is TargetRegistryCommands.TargetList list
                ? TypedResults.Ok(list.Targets.Select(t => View(t, list)).ToList())
                : ActorAsk.Unexpected(answer), ct));

        api.MapGet("/targets/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
        {
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            TargetMonitorQueries.TargetStatus? status = null;
            try
            {
                status = await actors.AskAsync<TargetMonitorRegion, TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(target.Id), ct);
            }
            catch (AskTimeoutException)
            {
                // The definition is still worth showing; the status is left out.
            }
            return TypedResults.Ok(target with { Status = status });
        });

        mutations.MapPost("/targets", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: false, ct);
            if (body is null) return bad!;
            TargetDefinition definition;
            try
            {
                definition = ReadDefinition(body.Value);
            }
            catch (InvalidTargetDefinitionException e)
            {
                return JsonBody.Bad(string.Join("; ", e.Problems), e.Problems);
            }
            return await actors.AskAsync<TargetRegistry>(new TargetRegistryCommands.RegisterTarget(definition, Replace: false), answer => answer switch
            {
                TargetRegistryCommands.TargetRegistered ok => TypedResults.Created($"/api/targets/{Uri.EscapeDataString(ok.Definition.Id)}",
                    new TargetView(ok.Definition.Id, "runtime", ok.Definition)),
                TargetRegistryCommands.TargetRejected rejected => JsonBody.Bad(string.Join("; ", rejected.Problems), rejected.Problems),
                TargetRegistryCommands.TargetConflict conflict => ActorAsk.Problem(StatusCodes.Status409Conflict, "Target exists", conflict.Reason),
                _ => ActorAsk.Unexpected(answer),
            }, ct);
        });

        mutations.MapDelete("/targets/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<TargetRegistry>(new TargetRegistryCommands.UnregisterTarget(id), answer => answer switch
            {
                TargetRegistryCommands.TargetUnregistered { Existed: true } => TypedResults.NoContent(),
                TargetRegistryCommands.TargetUnregistered => UnknownTarget(id),
                TargetRegistryCommands.TargetConflict conflict => ActorAsk.Problem(StatusCodes.Status409Conflict, "Target defined in configuration", conflict.Reason),
                _ => ActorAsk.Unexpected(answer),
            }, ct));

        api.MapGet("/targets/{id}/metrics", async (string id, ActorAsk actors, CancellationToken ct) =>
        {
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            return await actors.AskAsync<MetricsStoreRegion>(new MetricsQueries.GetLatestMetrics(target.Id), answer => answer is MetricsQueries.LatestMetrics latest
                ? TypedResults.Ok(latest.Latest.Select(s => new MetricView(s.Metric, s.Value, s.Timestamp)).ToList())
                : ActorAsk.Unexpected(answer), ct);
        });

        api.MapGet("/targets/{id}/metrics/{metric}/recent", async (string id, string metric, ActorAsk actors, CancellationToken ct) =>
        {
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            var recent = await actors.AskAsync<MetricsStoreRegion, MetricsQueries.RecentSamples>(new MetricsQueries.GetRecentSamples(target.Id, metric), ct);
            if (recent.Samples.Count == 0) return await UnknownMetricAsync(actors, target.Id, metric, ct);
            return TypedResults.Ok(recent.Samples.Select(s => new MetricView(s.Metric, s.Value, s.Timestamp)).ToList());
        });

        api.MapGet("/targets/{id}/metrics/{metric}/summary", async (string id, string metric, string? window, ActorAsk actors, CancellationToken ct) =>
        {
            var span = TimeSpan.FromHours(1);
            if (window is not null && (!Durations.TryParse(window, out span) || span <= TimeSpan.Zero))
                return JsonBody.Bad($"window '{window}' is not a positive duration (write 30s, 5m, 1h or 1d)");
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            var latest = await actors.AskAsync<MetricsStoreRegion, MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(target.Id), ct);
            if (!latest.Latest.Any(s => string.Equals(s.Metric, metric, StringComparison.Ordinal))) return UnknownMetric(latest, metric);
            return await actors.AskAsync<MetricsStoreRegion>(new MetricsQueries.GetMetricSummary(target.Id, metric, span), answer => answer is MetricsQueries.MetricSummary s
                ? TypedResults.Ok(new SummaryView(s.TargetId, s.Metric, Durations.Format(span), s.From, s.To, s.Count, s.Average, s.Min, s.Max, s.P50, s.P95, s.P99))
                : ActorAsk.Unexpected(answer), ct);
        });
    }

    private static async Task<IResult> UnknownMetricAsync(ActorAsk actors, string targetId, string metric, CancellationToken ct) =>
        UnknownMetric(await actors.AskAsync<MetricsStoreRegion, MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(targetId), ct), metric);

    private static IResult UnknownMetric(MetricsQueries.LatestMetrics latest, string metric) =>
        ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown metric",
            $"target '{latest.TargetId}' has no metric '{metric}' (it has: {string.Join(", ", latest.Latest.Select(s => s.Metric))})");

    /// <summary>The target with this id from the registry, or a 404 problem.</summary>
    private static async Task<(TargetView? Target, IResult? Problem)> FindAsync(ActorAsk actors, string id, CancellationToken ct)
    {
        if (actors.Find<TargetRegistry>() is null) return (null, ActorAsk.NotReady(nameof(TargetRegistry)));
        TargetRegistryCommands.TargetList list;
        try
        {
            list = await actors.AskAsync<TargetRegistry, TargetRegistryCommands.TargetList>(TargetRegistryCommands.GetTargets.Instance, ct);
        }
        catch (AskTimeoutException)
        {
            return (null, ActorAsk.TimedOut(nameof(TargetRegistry), actors.Timeout));
        }
        var target = list.Targets.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase));
        return target is null ? (null, UnknownTarget(id)) : (View(target, list), null);
    }

    private static TargetView View(TargetDefinition t, TargetRegistryCommands.TargetList list) =>
        new(t.Id, list.ConfiguredIds?.Contains(t.Id, StringComparer.OrdinalIgnoreCase) == true ? "configuration" : "runtime", t);

    private static IResult UnknownTarget(string id) =>
        ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown target", $"no target has id '{id}'");

    /// <summary>
    /// Reads a definition written like a configuration entry (<c>{"id":"orders","endpoint":"/user/x","performance":{"interval":"30s"}}</c>)
    /// through the same reader as configuration, so the API and appsettings.json accept and reject the same things.
    /// </summary>
    public static TargetDefinition ReadDefinition(JsonElement body)
    {
        var wrapped = "{\"Targets\":[" + body.GetRawText() + "]}";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(wrapped));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        var targets = TargetDefinitionReader.Read(configuration.GetSection("Targets"));
        return targets.Count == 1 ? targets[0] : throw new InvalidTargetDefinitionException(["target '#0': field 'Id' is missing"]);
    }
}
