using System.Text;
using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Host.Api;

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
        api.MapGet("/targets", async (string? limit, string? cursor, ActorAsk actors, CancellationToken ct) =>
        {
            var (size, bad) = Paging.Limit(limit, TargetRegistryCommands.MaxTargetsPerPage);
            if (bad is not null) return bad;
            if (cursor is not null && TextLimits.Check(cursor, TextLimits.Id) is { } tooLong) return JsonBody.Bad($"parameter 'cursor' {tooLong}");
            return await actors.AskAsync<TargetDirectory>(new TargetRegistryCommands.GetTargets(size, cursor), answer => answer is TargetRegistryCommands.TargetList list
                ? TypedResults.Ok(new Page<TargetView>(list.Targets.Select(t => ApiViews.Of(t, Source(t, list))).ToList(), list.Total, list.Next))
                : ActorAsk.Unexpected(answer), ct);
        });

        api.MapGet("/targets/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
        {
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            TargetMonitorQueries.TargetStatus? status = null;
            try
            {
                status = await actors.AskAsync<TargetRegion, TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(target.Definition.Id), ct);
            }
            catch (AskTimeoutException)
            {
                // The definition is still worth showing; the status is left out.
            }
            return TypedResults.Ok(ApiViews.Of(target.Definition, target.Source, status));
        });

        mutations.MapPost("/targets", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: false, ct);
            if (body is null) return bad!;
            var kinds = TargetJsonKinds.Check(body.Value);
            if (kinds.Count > 0) return JsonBody.Bad(string.Join("; ", kinds), kinds);
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
                    ApiViews.Of(ok.Definition, RuntimeSource)),
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
            return await actors.AskAsync<TargetRegion>(new MetricsQueries.GetLatestMetrics(target.Definition.Id), answer => answer is MetricsQueries.LatestMetrics latest
                ? TypedResults.Ok(latest.Latest.Select(s => new MetricView(s.Metric, s.Value, s.Timestamp)).ToList())
                : ActorAsk.Unexpected(answer), ct);
        });

        api.MapGet("/targets/{id}/metrics/{metric}/recent", async (string id, string metric, ActorAsk actors, CancellationToken ct) =>
        {
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            var recent = await actors.AskAsync<TargetRegion, MetricsQueries.RecentSamples>(new MetricsQueries.GetRecentSamples(target.Definition.Id, metric), ct);
            if (recent.Samples.Count == 0) return await UnknownMetricAsync(actors, target.Definition.Id, metric, ct);
            return TypedResults.Ok(recent.Samples.Select(s => new MetricView(s.Metric, s.Value, s.Timestamp)).ToList());
        });

        api.MapGet("/targets/{id}/metrics/{metric}/summary", async (string id, string metric, string? window, ConfigMonitorOptions options,
            ActorAsk actors, CancellationToken ct) =>
        {
            var span = TimeSpan.FromHours(1);
            var range = DurationLimits.SummaryWindow(options.Maintenance.MetricsRetention);
            if (window is not null && Durations.Check(window, range, out span) is { } wrong)
                return JsonBody.Bad(Durations.TryParse(window, out _)
                    ? $"parameter 'window' {wrong} (the most is the metrics retention, ConfigMonitor:Maintenance:MetricsRetention)"
                    : $"parameter 'window' {wrong}");
            if (span > range.Max) span = range.Max;
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            var latest = await actors.AskAsync<TargetRegion, MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(target.Definition.Id), ct);
            if (!latest.Latest.Any(s => string.Equals(s.Metric, metric, StringComparison.Ordinal))) return UnknownMetric(latest, metric);
            return await actors.AskAsync<TargetRegion>(new MetricsQueries.GetMetricSummary(target.Definition.Id, metric, span), answer => answer is MetricsQueries.MetricSummary s
                ? TypedResults.Ok(new SummaryView(s.TargetId, s.Metric, Durations.Format(span), s.From, s.To, s.Count, s.Average, s.Min, s.Max, s.P50, s.P95, s.P99))
                : ActorAsk.Unexpected(answer), ct);
        });
        // A chart's series: the store's rollup buckets over the window, the thresholds drawn on it, and the summary of the same buckets.
        api.MapGet("/targets/{id}/metrics/{metric}/series", async (string id, string metric, string? window, ConfigMonitorOptions options,
            ActorAsk actors, CancellationToken ct) =>
        {
            var span = TimeSpan.FromHours(1);
            var range = DurationLimits.SummaryWindow(options.Maintenance.MetricsRetention);
            if (window is not null && Durations.Check(window, range, out span) is { } wrong)
                return JsonBody.Bad($"parameter 'window' {wrong}; the charts offer {string.Join(", ", SeriesWindows.Select(MetricSeriesView.WindowLabel))} " +
                                    $"(any duration from {range} is accepted; the most is the metrics retention, ConfigMonitor:Maintenance:MetricsRetention)");
            var (target, problem) = await FindAsync(actors, id, ct);
            if (target is null) return problem!;
            var latest = await actors.AskAsync<TargetRegion, MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(target.Definition.Id), ct);
            if (!latest.Latest.Any(s => string.Equals(s.Metric, metric, StringComparison.Ordinal))) return UnknownMetric(latest, metric);
            return await actors.AskAsync<TargetRegion>(new MetricsQueries.GetMetricSeries(target.Definition.Id, metric, span), answer => answer is MetricsQueries.MetricSeriesAnswer series
                ? TypedResults.Ok(MetricSeriesView.Of(series, span, MetricThresholds.For(target.Definition, metric)))
                : ActorAsk.Unexpected(answer), ct);
        });
    }

    /// <summary>The windows the target page's charts offer (the route accepts any summary window).</summary>
    public static readonly IReadOnlyList<TimeSpan> SeriesWindows = [TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromHours(24)];

    private static async Task<IResult> UnknownMetricAsync(ActorAsk actors, string targetId, string metric, CancellationToken ct) =>
        UnknownMetric(await actors.AskAsync<TargetRegion, MetricsQueries.LatestMetrics>(new MetricsQueries.GetLatestMetrics(targetId), ct), metric);

    private static IResult UnknownMetric(MetricsQueries.LatestMetrics latest, string metric) =>
        ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown metric",
            $"target '{latest.TargetId}' has no metric '{metric}' (it has: {string.Join(", ", latest.Latest.Select(s => s.Metric))})");

    /// <summary>The target with this id from this node's directory, or a 404 problem.</summary>
    private static async Task<(FoundTarget? Target, IResult? Problem)> FindAsync(ActorAsk actors, string id, CancellationToken ct)
    {
        if (actors.Find<TargetDirectory>() is not { } registry) return (null, ActorAsk.NotReady(nameof(TargetDirectory)));
        TargetRegistryCommands.TargetList list;
        try
        {
            list = await registry.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTarget(id), actors.Timeout, ct);
        }
        catch (AskTimeoutException)
        {
            return (null, ActorAsk.TimedOut(nameof(TargetDirectory), actors.Timeout));
        }
        var target = list.Targets.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase));
        return target is null ? (null, UnknownTarget(id)) : (new FoundTarget(target, Source(target, list)), null);
    }

    private const string RuntimeSource = "runtime";

    /// <summary>A target found in the directory, and where it comes from.</summary>
    private sealed record FoundTarget(TargetDefinition Definition, string Source);

    private static string Source(TargetDefinition t, TargetRegistryCommands.TargetList list) =>
        list.ConfiguredIds?.Contains(t.Id, StringComparer.OrdinalIgnoreCase) == true ? "configuration" : RuntimeSource;

    private static IResult UnknownTarget(string id) =>
        ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown target", $"no target has id '{id}'");

    /// <summary>
    /// Reads a definition written like a configuration entry (<c>{"id":"orders","endpoint":"/user/x","performance":{"interval":"30s"}}</c>)
    /// through the same reader as configuration, so the API and appsettings.json accept and reject the same things. A field
    /// given twice (the configuration reader would throw a FormatException) or an unreadable text is refused with the field's name.
    /// </summary>
    public static TargetDefinition ReadDefinition(JsonElement body)
    {
        if (JsonBody.Problems(body) is { Count: > 0 } problems) throw new InvalidTargetDefinitionException(problems);
        // The configuration reader flattens "Performance:Interval" and {"performance":{"interval"}} to one key: a body
        // writes sections nested, so a ':' in a name is refused (it could also give one setting twice).
        var colon = ColonNames(body, "").ToList();
        if (colon.Count > 0)
            throw new InvalidTargetDefinitionException(colon.Select(n =>
                $"field '{n}' has ':' in its name; write sections nested, e.g. {{\"performance\": {{\"interval\": \"30s\"}}}}").ToList());
        var wrapped = "{\"Targets\":[" + body.GetRawText() + "]}";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(wrapped));
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        }
        catch (FormatException e)
        {
            // A last guard: whatever the configuration provider refuses is the client's input, never a 500.
            throw new InvalidTargetDefinitionException([$"the target cannot be read as configuration: {e.Message.Replace("Targets:0:", "", StringComparison.Ordinal)}"]);
        }
        var targets = TargetDefinitionReader.Read(configuration.GetSection("Targets"));
        return targets.Count == 1 ? targets[0] : throw new InvalidTargetDefinitionException(["target '#0': field 'Id' is missing"]);
    }

    private static IEnumerable<string> ColonNames(JsonElement element, string prefix)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject())
            {
                var name = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
                if (property.Name.Contains(':', StringComparison.Ordinal)) yield return name;
                foreach (var nested in ColonNames(property.Value, name)) yield return nested;
            }
        else if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray())
            foreach (var nested in ColonNames(item, prefix))
                yield return nested;
    }
}

/// <summary>
/// The JSON kinds a target definition body may use, checked before the configuration reader sees it (that reader turns
/// <c>"id": 5</c> into "5" silently): text and durations must be JSON strings, numbers may be numbers or numeric strings,
/// flags true/false, sections objects. Found by reflection over <see cref="TargetDefinition"/>; unknown fields are left to the reader.
/// </summary>
public static class TargetJsonKinds
{
    /// <summary>What is wrong with the kinds of <paramref name="body"/>'s fields (empty when nothing).</summary>
    public static List<string> Check(JsonElement body)
    {
        var problems = new List<string>();
        Check(body, typeof(TargetDefinition), "", problems);
        return problems;
    }

    private static void Check(JsonElement body, Type type, string prefix, List<string> problems)
    {
        var properties = type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var field in body.EnumerateObject())
        {
            if (!properties.TryGetValue(field.Name, out var property)) continue;
            var name = prefix + property.Name;
            var value = field.Value;
            if (value.ValueKind == JsonValueKind.Null) continue;
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            string? expected = null;
            if (t == typeof(string)) expected = value.ValueKind == JsonValueKind.String ? null : "a JSON string";
            else if (t == typeof(TimeSpan)) expected = value.ValueKind == JsonValueKind.String ? null : "a duration as a JSON string such as \"30s\"";
            else if (t == typeof(bool)) expected = value.ValueKind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.String ? null : "true or false";
            else if (t == typeof(int) || t == typeof(long) || t == typeof(double))
                expected = value.ValueKind is JsonValueKind.Number or JsonValueKind.String ? null : "a number";
            else if (t.IsClass && t.Namespace == typeof(TargetDefinition).Namespace)
            {
                if (value.ValueKind == JsonValueKind.Object) Check(value, t, name + ":", problems);
                else expected = "a JSON object";
            }
            if (expected is not null) problems.Add($"field '{name}' must be {expected}, not {RequestReader.Kind(value)}");
        }
    }
}
