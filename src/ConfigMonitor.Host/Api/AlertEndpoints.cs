using System.Globalization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Api;

/// <summary><c>/api/alerts</c>, <c>/api/silences</c>, <c>/api/maintenance-windows</c>: the alert lifecycle through the AlertManager.</summary>
public static class AlertEndpoints
{
    private const string DefaultActor = "api";

    /// <summary>Maps the alert routes; mutations go through <paramref name="mutations"/> (token filter).</summary>
    public static void MapAlertEndpoints(this IEndpointRouteBuilder api, RouteGroupBuilder mutations)
    {
        api.MapGet("/alerts", async (string? state, string? target, string? limit, string? cursor, ActorAsk actors, CancellationToken ct) =>
        {
            var (size, badLimit) = Paging.Limit(limit, AlertQueries.MaxAlertsPerPage);
            if (badLimit is not null) return badLimit;
            var (offset, badCursor) = Paging.Offset(cursor);
            if (badCursor is not null) return badCursor;
            if (target is not null && TextLimits.Check(target, TextLimits.Id) is { } badTarget) return JsonBody.Bad($"parameter 'target' {badTarget}");
            if (target is { Length: 0 }) return JsonBody.Bad("parameter 'target' is empty; name a target id, or leave the parameter out for every target's alerts");
            bool? activeOnly = (state ?? "active").ToLowerInvariant() switch { "active" => true, "all" => false, _ => null };
            if (activeOnly is not { } active) return JsonBody.Bad($"parameter 'state' is '{TextLimits.Quote(state!, 40)}', which is not 'active' or 'all'");
            object query = target is not null ? new AlertQueries.GetTargetAlerts(target, active, size, offset)
                : active ? new AlertQueries.GetActiveAlerts(size, offset) : new AlertQueries.GetAllAlerts(size, offset);
            return await actors.AskAsync<AlertManager>(query, answer => answer is AlertQueries.AlertList list
                ? TypedResults.Ok(new Page<AlertView>(list.Alerts.Select(ApiViews.Of).ToList(), list.Total, list.NextOffset?.ToString(CultureInfo.InvariantCulture)))
                : ActorAsk.Unexpected(answer), ct);
        });

        api.MapGet("/alerts/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertQueries.GetAlert(id), AlertAnswer, ct));

        mutations.MapPost("/alerts/{id}/ack", async (string id, HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await RequestReader.ReadAsync<AcknowledgeRequest>(request, optional: true, ct);
            if (body is null) return bad!;
            return await actors.AskAsync<AlertManager>(new AlertCommands.AcknowledgeAlert(id, body.By ?? DefaultActor, body.Comment), AlertAnswer, ct);
        });

        mutations.MapPost("/alerts/{id}/unack", async (string id, HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await RequestReader.ReadAsync<UnacknowledgeRequest>(request, optional: true, ct);
            if (body is null) return bad!;
            return await actors.AskAsync<AlertManager>(new AlertCommands.UnacknowledgeAlert(id, body.By ?? DefaultActor), AlertAnswer, ct);
        });

        // Query parameters bind as strings and are read here: a typed parameter that fails to bind answers a problem naming nothing.
        api.MapGet("/silences", async (string? all, string? limit, string? cursor, ActorAsk actors, CancellationToken ct) =>
        {
            var (everything, badAll) = QueryFlag("all", all);
            if (badAll is not null) return badAll;
            var (size, badLimit) = Paging.Limit(limit, AlertQueries.MaxSilencesPerPage);
            if (badLimit is not null) return badLimit;
            var (offset, badCursor) = Paging.Offset(cursor);
            if (badCursor is not null) return badCursor;
            return await actors.AskAsync<AlertManager>(new AlertQueries.GetSilences(everything, size, offset), answer => answer is AlertQueries.SilenceList list
                ? TypedResults.Ok(new Page<SilenceView>(list.Silences.Select(ApiViews.Of).ToList(), list.Total, list.NextOffset?.ToString(CultureInfo.InvariantCulture)))
                : ActorAsk.Unexpected(answer), ct);
        });

        mutations.MapPost("/silences", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await RequestReader.ReadAsync<SilenceRequest>(request, optional: false, ct);
            if (body is null) return bad!;
            var problems = new List<string>();
            var matchers = ReadMatchers(body.Matchers, problems);
            var endsAt = body.EndsAt;
            if (!StartsWithinAYear(body.StartsAt, problems)) return JsonBody.Bad(string.Join("; ", problems), problems);
            if (body.Duration is not null)
            {
                if (Durations.Check(body.Duration, DurationLimits.Silence, out var span) is { } wrong) problems.Add($"field 'duration' {wrong}");
                else if (endsAt is not null) problems.Add("give either 'endsAt' or 'duration', not both");
                else endsAt = (body.StartsAt ?? DateTimeOffset.UtcNow) + span;
            }
            else if (endsAt is null) problems.Add("field 'endsAt' or 'duration' is required");
            if (endsAt is not null && body.Duration is null) CheckSpan(body.StartsAt ?? DateTimeOffset.UtcNow, endsAt.Value, body.StartsAt is null ? "now" : "'startsAt'", problems);
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(
                new AlertCommands.CreateSilence(matchers, body.StartsAt, endsAt!.Value, body.CreatedBy ?? DefaultActor, body.Comment ?? ""), answer => answer switch
                {
                    AlertCommands.SilenceCreated created => TypedResults.Created($"/api/silences/{Uri.EscapeDataString(created.Silence.Id)}", ApiViews.Of(created.Silence)),
                    AlertCommands.SilenceRejected rejected => JsonBody.Bad(string.Join("; ", rejected.Problems), rejected.Problems),
                    _ => ActorAsk.Unexpected(answer),
                }, ct);
        });

        mutations.MapDelete("/silences/{id}", async (string id, ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(new AlertCommands.ExpireSilence(id, DefaultActor), answer => answer switch
            {
                AlertCommands.SilenceExpired expired => TypedResults.Ok(ApiViews.Of(expired.Silence)),
                AlertCommands.SilenceNotFound missing => ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown silence", missing.Reason),
                _ => ActorAsk.Unexpected(answer),
            }, ct));

        api.MapGet("/maintenance-windows", async (ActorAsk actors, CancellationToken ct) =>
            await actors.AskAsync<AlertManager>(AlertQueries.GetMaintenanceWindows.Instance, answer => answer is AlertQueries.MaintenanceWindowList list
                ? TypedResults.Ok(list.Windows.Select(w => new MaintenanceWindowStateView(ApiViews.Of(w), list.OpenIds.Contains(w.Id))).ToList())
                : ActorAsk.Unexpected(answer), ct));

        mutations.MapPost("/maintenance-windows", async (HttpRequest request, ActorAsk actors, CancellationToken ct) =>
        {
            var (body, bad) = await RequestReader.ReadAsync<MaintenanceWindowRequest>(request, optional: false, ct);
            if (body is null) return bad!;
            var problems = new List<string>();
            if (string.IsNullOrWhiteSpace(body.Name)) problems.Add("field 'name' is required");
            var matchers = ReadMatchers(body.Matchers, problems);
            if (body.Matchers is { Count: 0 }) problems.Add("field 'matchers' is empty; a maintenance window needs at least one matcher");
            var recurrence = ReadRecurrence(body.Recurrence, problems);
            // Every mistake in one answer: each check runs whatever the others found.
            var startsInTime = StartsWithinAYear(body.StartsAt, problems);
            if (body.Recurrence is not null && (body.StartsAt is not null || body.EndsAt is not null))
                problems.Add("give either 'startsAt' and 'endsAt' (a one-off window) or 'recurrence' (a weekly one), not both");
            else if (body.Recurrence is null && (body.StartsAt is null || body.EndsAt is null))
                problems.Add($"field '{(body.StartsAt is null ? "startsAt" : "endsAt")}' is missing; a one-off window needs 'startsAt' and 'endsAt' (or give 'recurrence' for a weekly one)");
            else if (recurrence is null && body.StartsAt is { } startsAt && body.EndsAt is { } endsAt)
            {
                if (endsAt <= DateTimeOffset.UtcNow) problems.Add($"field 'endsAt' is {endsAt:u}, which is not in the future: a window must end in the future");
                else if (startsInTime) CheckSpan(startsAt, endsAt, "'startsAt'", problems);
            }
            if (problems.Count > 0) return JsonBody.Bad(string.Join("; ", problems), problems);
            return await actors.AskAsync<AlertManager>(
                new AlertCommands.CreateMaintenanceWindow(body.Name!, matchers, body.StartsAt, body.EndsAt, recurrence, body.CreatedBy ?? DefaultActor), answer => answer switch
                {
                    AlertCommands.MaintenanceWindowCreated created => TypedResults.Created(
                        $"/api/maintenance-windows/{Uri.EscapeDataString(created.Window.Id)}", ApiViews.Of(created.Window)),
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
        AlertQueries.AlertFound found => TypedResults.Ok(ApiViews.Of(found.Alert)),
        AlertCommands.AlertAcknowledged acknowledged => TypedResults.Ok(ApiViews.Of(acknowledged.Alert)),
        AlertCommands.AlertUnacknowledged unacknowledged => TypedResults.Ok(ApiViews.Of(unacknowledged.Alert)),
        AlertCommands.AlertNotFound missing => ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown alert", missing.Reason),
        _ => ActorAsk.Unexpected(answer),
    };

    /// <summary>The matchers of a silence or window (given as strings or objects); a missing list or a bad matcher is a problem.</summary>
    public static IReadOnlyList<Matcher> ReadMatchers(IReadOnlyList<MatcherInput>? given, List<string> problems)
    {
        var matchers = new List<Matcher>();
        if (given is null)
        {
            problems.Add("field 'matchers' must be a list such as [\"target=orders\", \"severity=~warn.*\"]");
            return matchers;
        }
        foreach (var input in given)
        {
            var (matcher, problem) = input.Parse();
            if (matcher is not null) matchers.Add(matcher);
            else problems.Add(problem!);
        }
        return matchers;
    }

    /// <summary>A silence or one-off window ends after it starts, and lasts at most <see cref="DurationLimits.Silence"/>'s maximum (365 d).</summary>
    /// <summary>
    /// A silence or window starts within a year from now (one that starts later is a plan, not a silence); this also keeps
    /// every date the handlers compute from it far from DateTimeOffset's end, so no addition can overflow.
    /// </summary>
    private static bool StartsWithinAYear(DateTimeOffset? startsAt, List<string> problems)
    {
        if (startsAt is not { } start || start - DateTimeOffset.UtcNow <= DurationLimits.Silence.Max) return true;
        problems.Add($"field 'startsAt' is {start:u}, more than {Durations.Format(DurationLimits.Silence.Max)} from now; a silence or window starts within a year");
        return false;
    }

    private static void CheckSpan(DateTimeOffset startsAt, DateTimeOffset endsAt, string from, List<string> problems)
    {
        if (endsAt <= startsAt) problems.Add($"field 'endsAt' is {endsAt:u}, which is not after {from} ({startsAt:u})");
        else if (endsAt - startsAt > DurationLimits.Silence.Max)
        {
            // A printed duration must parse back, so a span past the grammar's largest is shown by the latest allowed end instead.
            var span = endsAt - startsAt;
            var how = span <= Durations.Largest ? $"{Durations.Format(span)} after {from}" : $"later than {startsAt + DurationLimits.Silence.Max:u}";
            problems.Add($"field 'endsAt' is {endsAt:u}, {how}; the longest allowed is {Durations.Format(DurationLimits.Silence.Max)}");
        }
    }

    /// <summary>A true/false query parameter (absent is false); anything else is a 400 naming the parameter and its values.</summary>
    public static (bool Value, IResult? Problem) QueryFlag(string name, string? text)
    {
        if (text is null) return (false, null);
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) return (true, null);
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) return (false, null);
        return (false, JsonBody.Bad($"parameter '{name}' is '{Shorten(text)}', which is not true or false"));
    }

    private static string Shorten(string text) => ConfigMonitor.Actors.Protocol.TextLimits.Quote(text, 40);

    private static Recurrence? ReadRecurrence(RecurrenceRequest? r, List<string> problems)
    {
        if (r is null) return null;
        var days = new List<DayOfWeek>();
        foreach (var day in r.Days ?? [])
            if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var d) || int.TryParse(day, out _))
                problems.Add($"field 'recurrence.days' has '{day}', which is not a day of the week (monday … sunday)");
            else if (days.Contains(d)) problems.Add($"field 'recurrence.days' has {d.ToString().ToLowerInvariant()} twice; give each day once");
            else days.Add(d);
        var startTime = TimeSpan.Zero;
        if (r.StartTime is null || !TimeOnly.TryParseExact(r.StartTime, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
            problems.Add($"field 'recurrence.startTime' is '{r.StartTime}', which is not a time of day (write HH:mm or HH:mm:ss, such as 02:00)");
        else startTime = start.ToTimeSpan();
        var duration = TimeSpan.Zero;
        if (Durations.Check(r.Duration, DurationLimits.RecurringWindow, out var span) is { } wrong) problems.Add($"field 'recurrence.duration' {wrong}");
        else duration = span;
        return new Recurrence(days, startTime, duration, string.IsNullOrWhiteSpace(r.TimeZone) ? "UTC" : r.TimeZone.Trim());
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
