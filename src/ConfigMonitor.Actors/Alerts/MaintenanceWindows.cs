using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Alerts;

/// <summary>A weekly recurrence: on these days, from a local start time, for a duration, in a time zone (IANA id, e.g. Europe/Berlin).</summary>
public sealed record Recurrence(IReadOnlyList<DayOfWeek> Days, TimeSpan StartTime, TimeSpan Duration, string TimeZone);

/// <summary>
/// A period during which probes still run and record but the alerts of matching targets are not notified.
/// One-off (<see cref="StartsAt"/>..<see cref="EndsAt"/>) or recurring (<see cref="Recurrence"/>, within StartsAt..EndsAt when those are set).
/// </summary>
public sealed record MaintenanceWindow(
    string Id, string Name, IReadOnlyList<Matcher> Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, Recurrence? Recurrence,
    string CreatedBy, DateTimeOffset? DeletedAt = null)
{
    /// <summary>True when the window is open at <paramref name="now"/>.</summary>
    public bool IsOpenAt(DateTimeOffset now)
    {
        if (DeletedAt is not null) return false;
        if (StartsAt is { } start && now < start) return false;
        if (EndsAt is { } end && now >= end) return false;
        if (Recurrence is not { } r) return StartsAt is not null && EndsAt is not null;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        // An occurrence that started on an earlier day may still be open (a window across midnight, or longer than a day).
        for (var daysBack = 0; daysBack <= Math.Ceiling(r.Duration.TotalDays); daysBack++)
        {
            var day = local.Date.AddDays(-daysBack);
            if (!r.Days.Contains(day.DayOfWeek)) continue;
            var occurrenceLocal = day + r.StartTime;
            var occurrenceStart = new DateTimeOffset(occurrenceLocal, zone.GetUtcOffset(occurrenceLocal));
            if (occurrenceStart <= now && now < occurrenceStart + r.Duration) return true;
        }
        return false;
    }

    /// <summary>The problems of a window someone asks to create.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = Matchers.Select(m => m.Problem()).OfType<string>().ToList();
        if (Matchers.Count == 0) problems.Add("a maintenance window needs at least one matcher");
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("a maintenance window needs a name");
        if (Recurrence is null && (StartsAt is null || EndsAt is null)) problems.Add("a one-off maintenance window needs a start and an end");
        if (StartsAt is { } s && EndsAt is { } e && e <= s) problems.Add($"a maintenance window must end after it starts ({s:u} .. {e:u})");
        if (Recurrence is { } r)
        {
            if (r.Days.Count == 0) problems.Add("a recurring maintenance window needs at least one day");
            if (r.Duration <= TimeSpan.Zero) problems.Add("a recurring maintenance window needs a positive duration");
            if (r.StartTime < TimeSpan.Zero || r.StartTime >= TimeSpan.FromDays(1)) problems.Add("a recurring start time must be within the day (00:00 to 23:59)");
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _)) problems.Add($"unknown time zone '{r.TimeZone}' (use an IANA id such as Europe/Berlin)");
        }
        return problems;
    }
}
