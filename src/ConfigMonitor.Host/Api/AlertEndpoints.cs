using System.Text.Json;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Api;

/// <summary>A maintenance window and whether it is open now.</summary>
public sealed record MaintenanceWindowView(MaintenanceWindow Window, bool Open);

/// <summary><c>/api/alerts</c>, <c>/api/silences</c>, <c>/api/maintenance-windows</c>: the alert lifecycle through the AlertManager.</summary>
public static class AlertEndpoints
{
    private const string DefaultActor = "api";

    /// <summary>Maps the alert routes; mutations go through <paramref name="mutations"/> (token filter).</summary>
    public static void MapAlertEndpoints(this IEndpointRouteBuilder api, RouteGroupBuilder mutations)
    {
        api.MapGet("/alerts", async (string? state, ActorAsk actors, CancellationToken ct) =>
        {
            object? query = (state ?? "active").ToLowerInvariant() switch
            {
                "active" => AlertQueries.GetActiveAlerts.Instance,
                "all" => AlertQueries.GetAllAlerts.Instance,
                _ => null,
            };
            if (query is null) return JsonBody.Bad($"state '{state}' is not 'active' or 'all'");
            return await actors.AskAsync<AlertManager>(query, answer => answer is AlertQueries.AlertList list
                ? TypedResults.Ok(list.Alerts)
                : ActorAsk.Unexpected(answer), ct);
        });

        api.MapGet("/alerts/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertQueries.GetAlert(id), AlertAnswer, ct));

        mutations.MapPost("/alerts/{id}/ack", async (string id, HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: true, ct);
            if (bad is not null) return bad;
            var problems = new List<string>();
            var by = body is null ? null : JsonBody.String(body.Value, "by", problems);
            var comment = body is null ? null : JsonBody.String(body.Value, "comment", problems);
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(new AlertCommands.AcknowledgeAlert(id, by ?? DefaultActor, comment), AlertAnswer, ct);
        });

        mutations.MapPost("/alerts/{id}/unack", async (string id, HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: true, ct);
            if (bad is not null) return bad;
            var problems = new List<string>();
            var by = body is null ? null : JsonBody.String(body.Value, "by", problems);
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(new AlertCommands.UnacknowledgeAlert(id, by ?? DefaultActor), AlertAnswer, ct);
        });

        api.MapGet("/silences", async (bool? all, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertQueries.GetSilences(all ?? false), answer => answer is AlertQueries.SilenceList list
                ? TypedResults.Ok(list.Silences)
                : ActorAsk.Unexpected(answer), ct));

        mutations.MapPost("/silences", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: false, ct);
            if (body is null) return bad!;
            var problems = new List<string>();
            var matchers = ReadMatchers(body.Value, problems);
            var startsAt = Time(body.Value, "startsAt", problems);
            var endsAt = Time(body.Value, "endsAt", problems);
            var duration = JsonBody.String(body.Value, "duration", problems);
            if (duration is not null)
            {
                if (!Durations.TryParse(duration, out var span) || span <= TimeSpan.Zero)
                    problems.Add($"field 'duration' is '{duration}', which is not a positive duration (write 30m, 2h, 1d)");
                else if (endsAt is not null) problems.Add("give either 'endsAt' or 'duration', not both");
                else endsAt = (startsAt ?? DateTimeOffset.UtcNow) + span;
            }
            if (endsAt is null && duration is null) problems.Add("field 'endsAt' or 'duration' is required");
            var createdBy = JsonBody.String(body.Value, "createdBy", problems) ?? DefaultActor;
            var comment = JsonBody.String(body.Value, "comment", problems) ?? "";
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(new AlertCommands.CreateSilence(matchers, startsAt, endsAt!.Value, createdBy, comment), answer => answer switch
            {
                AlertCommands.SilenceCreated created => TypedResults.Created($"/api/silences/{Uri.EscapeDataString(created.Silence.Id)}", created.Silence),
                AlertCommands.SilenceRejected rejected => JsonBody.Bad(string.Join("; ", rejected.Problems), rejected.Problems),
                _ => ActorAsk.Unexpected(answer),
            }, ct);
        });

        mutations.MapDelete("/silences/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertCommands.ExpireSilence(id, DefaultActor), answer => answer switch
            {
                AlertCommands.SilenceExpired expired => TypedResults.Ok(expired.Silence),
                AlertCommands.SilenceNotFound missing => ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown silence", missing.Reason),
                _ => ActorAsk.Unexpected(answer),
            }, ct));

        api.MapGet("/maintenance-windows", async (ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(AlertQueries.GetMaintenanceWindows.Instance, answer => answer is AlertQueries.MaintenanceWindowList list
                ? TypedResults.Ok(list.Windows.Select(w => new MaintenanceWindowView(w, list.OpenIds.Contains(w.Id))).ToList())
                : ActorAsk.Unexpected(answer), ct));

        mutations.MapPost("/maintenance-windows", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await JsonBody.ReadObjectAsync(request, optional: false, ct);
            if (body is null) return bad!;
            var problems = new List<string>();
            var name = JsonBody.String(body.Value, "name", problems);
            if (string.IsNullOrWhiteSpace(name)) problems.Add("field 'name' is required");
            var matchers = ReadMatchers(body.Value, problems);
            var startsAt = Time(body.Value, "startsAt", problems);
            var endsAt = Time(body.Value, "endsAt", problems);
            var recurrence = ReadRecurrence(body.Value, problems);
            var createdBy = JsonBody.String(body.Value, "createdBy", problems) ?? DefaultActor;
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(new AlertCommands.CreateMaintenanceWindow(name!, matchers, startsAt, endsAt, recurrence, createdBy), answer => answer switch
            {
                AlertCommands.MaintenanceWindowCreated created => TypedResults.Created(
                    $"/api/maintenance-windows/{Uri.EscapeDataString(created.Window.Id)}", created.Window),
                AlertCommands.MaintenanceWindowRejected rejected => JsonBody.Bad(string.Join("; ", rejected.Problems), rejected.Problems),
                _ => ActorAsk.Unexpected(answer),
            }, ct);
        });

        mutations.MapDelete("/maintenance-windows/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertCommands.DeleteMaintenanceWindow(id, DefaultActor), answer => answer switch
            {
                AlertCommands.MaintenanceWindowDeleted => TypedResults.NoContent(),
                AlertCommands.MaintenanceWindowNotFound missing => ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown maintenance window", missing.Reason),
                _ => ActorAsk.Unexpected(answer),
            }, ct));
    }

    private static IResult AlertAnswer(object answer) => answer switch
    {
        AlertQueries.AlertFound found => TypedResults.Ok(found.Alert),
        AlertCommands.AlertAcknowledged acknowledged => TypedResults.Ok(acknowledged.Alert),
        AlertCommands.AlertUnacknowledged unacknowledged => TypedResults.Ok(unacknowledged.Alert),
        AlertCommands.AlertNotFound missing => ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown alert", missing.Reason),
        _ => ActorAsk.Unexpected(answer),
    };

    /// <summary>
    /// Matchers as strings (<c>"target=orders"</c>, <c>"severity=~warn.*"</c>, the CLI's form) or objects
    /// (<c>{"field":"target","value":"orders","isRegex":false}</c>).
    /// </summary>
    public static IReadOnlyList<Matcher> ReadMatchers(JsonElement body, List<string> problems)
    {
        var matchers = new List<Matcher>();
        var list = JsonBody.Property(body, "matchers");
        if (list is null || list.Value.ValueKind != JsonValueKind.Array)
        {
            problems.Add("field 'matchers' must be a list such as [\"target=orders\", \"severity=~warn.*\"]");
            return matchers;
        }
        foreach (var item in list.Value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                if (MatcherText.TryParse(item.GetString()!, out var matcher, out var problem)) matchers.Add(matcher);
                else problems.Add(problem);
            }
            else if (item.ValueKind == JsonValueKind.Object)
            {
                var field = JsonBody.String(item, "field", problems);
                var value = JsonBody.String(item, "value", problems);
                var isRegex = JsonBody.Property(item, "isRegex") is { ValueKind: JsonValueKind.True };
                if (field is null || !Enum.TryParse<MatchField>(field, ignoreCase: true, out var parsed) || int.TryParse(field, out _))
                    problems.Add($"matcher field '{field}' is not one of target, category, severity, rule, group");
                else matchers.Add(new Matcher(parsed, value ?? "", isRegex));
            }
            else problems.Add("each matcher is a string such as \"target=orders\" or an object {field, value, isRegex}");
        }
        return matchers;
    }

    private static DateTimeOffset? Time(JsonElement body, string name, List<string> problems)
    {
        var text = JsonBody.String(body, name, problems);
        if (text is null) return null;
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value))
            return value;
        problems.Add($"field '{name}' is '{text}', which is not a date and time (write 2026-12-01T02:00:00Z)");
        return null;
    }

    private static Recurrence? ReadRecurrence(JsonElement body, List<string> problems)
    {
        var element = JsonBody.Property(body, "recurrence");
        if (element is null || element.Value.ValueKind == JsonValueKind.Null) return null;
        if (element.Value.ValueKind != JsonValueKind.Object)
        {
            problems.Add("field 'recurrence' must be an object {days, startTime, duration, timeZone}");
            return null;
        }
        var r = element.Value;
        var days = new List<DayOfWeek>();
        if (JsonBody.Property(r, "days") is { ValueKind: JsonValueKind.Array } dayList)
            foreach (var day in dayList.EnumerateArray())
                if (day.ValueKind == JsonValueKind.String && Enum.TryParse<DayOfWeek>(day.GetString(), ignoreCase: true, out var d) && !int.TryParse(day.GetString(), out _))
                    days.Add(d);
                else problems.Add($"recurrence day '{day}' is not a day of the week (monday … sunday)");
        var start = JsonBody.String(r, "startTime", problems);
        var startTime = TimeSpan.Zero;
        if (start is null || !TimeSpan.TryParse(start, System.Globalization.CultureInfo.InvariantCulture, out startTime))
            problems.Add($"field 'recurrence.startTime' is '{start}', which is not a time of day such as 02:00");
        var durationText = JsonBody.String(r, "duration", problems);
        var duration = TimeSpan.Zero;
        if (durationText is null || !Durations.TryParse(durationText, out duration))
            problems.Add($"field 'recurrence.duration' is '{durationText}', which is not a duration such as 90m");
        var timeZone = JsonBody.String(r, "timeZone", problems) ?? "UTC";
        return new Recurrence(days, startTime, duration, timeZone);
    }
}

/// <summary>The text form of a matcher: <c>field=value</c> or <c>field=~regex</c>.</summary>
public static class MatcherText
{
    /// <summary>Parses <c>target=orders</c> or <c>severity=~warn.*</c>.</summary>
    public static bool TryParse(string text, out Matcher matcher, out string problem)
    {
        matcher = null!;
        problem = "";
        var equals = text.IndexOf('=');
        if (equals <= 0)
        {
            problem = $"matcher '{text}' is not field=value or field=~regex";
            return false;
        }
        var field = text[..equals].Trim();
        var isRegex = equals + 1 < text.Length && text[equals + 1] == '~';
        var value = text[(equals + (isRegex ? 2 : 1))..].Trim();
        if (!Enum.TryParse<MatchField>(field, ignoreCase: true, out var parsed) || int.TryParse(field, out _))
        {
            problem = $"matcher '{text}': field '{field}' is not one of target, category, severity, rule, group";
            return false;
        }
        matcher = new Matcher(parsed, value, isRegex);
        return true;
    }
}
