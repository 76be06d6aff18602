using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Targets;

/// <summary>A target definition that cannot be used; the message names the target and the field.</summary>
public sealed class InvalidTargetDefinitionException(IReadOnlyList<string> problems)
    : Exception("Invalid target definition(s); the node will not start half-configured:" + Environment.NewLine
                + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    /// <summary>One line per problem: "target 'x': field 'Y' ...".</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads targets from a configuration section (appsettings, environment, command line: the usual .NET precedence).
/// The section holds either an array (<c>Targets:0:Id = demo</c>) or entries keyed by id (<c>Targets:demo:Endpoint = …</c>).
/// Every problem of every target is collected, so one start-up attempt reports them all.
/// </summary>
public static partial class TargetDefinitionReader
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ValidId();

    private static readonly HashSet<string> KnownFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "Id", "Adapter", "Endpoint", "ProbeKey", "ProbeTimeout", "Group",
        "Performance:Interval", "Performance:AccessTimeThresholdMs",
        "Health:Interval", "Health:MaxProcessMemoryMb",
        "Cache:Interval", "Cache:MinHitRate", "Cache:MaxUsage", "Cache:MinRequests",
        "Database:Interval", "Database:ResponseTimeThresholdMs",
        "EventProbe:Key", "EventProbe:Timeout",
    };

    /// <summary>Reads every target of <paramref name="section"/>; throws <see cref="InvalidTargetDefinitionException"/> listing every problem.</summary>
    public static IReadOnlyList<TargetDefinition> Read(IConfigurationSection section)
    {
        var problems = new List<string>();
        var targets = new List<TargetDefinition>();
        foreach (var entry in section.GetChildren())
        {
            var target = ReadOne(entry, problems);
            if (target is null) continue;
            if (targets.Any(t => string.Equals(t.Id, target.Id, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"target '{target.Id}': field 'Id' is defined twice; target ids must be unique");
            else
                targets.Add(target);
        }
        if (problems.Count > 0) throw new InvalidTargetDefinitionException(problems);
        return targets;
    }

    /// <summary>Checks one definition built in code (for example through the actor API); returns its problems.</summary>
    public static IReadOnlyList<string> Validate(TargetDefinition t)
    {
        var problems = new List<string>();
        var name = string.IsNullOrWhiteSpace(t.Id) ? "(no id)" : t.Id;
        void Problem(string field, string what) => problems.Add($"target '{name}': field '{field}' {what}");
        if (string.IsNullOrWhiteSpace(t.Id) || !ValidId().IsMatch(t.Id))
            Problem("Id", "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (!string.Equals(t.Adapter, TargetDefinition.ActorAdapter, StringComparison.OrdinalIgnoreCase))
            Problem("Adapter", $"is '{t.Adapter}', but the only adapter is '{TargetDefinition.ActorAdapter}'");
        if (string.IsNullOrWhiteSpace(t.Endpoint) || !(t.Endpoint.StartsWith("/user/") || t.Endpoint.StartsWith("akka")))
            Problem("Endpoint", $"is '{t.Endpoint}'; an actor target needs an actor path such as '/user/config-service' or 'akka.tcp://sys@host:port/user/config-service'");
        if (string.IsNullOrWhiteSpace(t.ProbeKey)) Problem("ProbeKey", "must not be empty");
        Positive("ProbeTimeout", t.ProbeTimeout);
        Positive("Performance:Interval", t.Performance.Interval);
        Positive("Health:Interval", t.Health.Interval);
        Positive("Cache:Interval", t.Cache.Interval);
        Positive("Database:Interval", t.Database.Interval);
        Positive("EventProbe:Timeout", t.EventProbe.Timeout);
        if (t.Performance.AccessTimeThresholdMs <= 0) Problem("Performance:AccessTimeThresholdMs", "must be greater than 0");
        if (t.Database.ResponseTimeThresholdMs <= 0) Problem("Database:ResponseTimeThresholdMs", "must be greater than 0");
        if (t.Health.MaxProcessMemoryMb <= 0) Problem("Health:MaxProcessMemoryMb", "must be greater than 0");
        if (t.Cache.MinHitRate is < 0 or > 1) Problem("Cache:MinHitRate", "must be between 0 and 1");
        if (t.Cache.MaxUsage is <= 0 or > 1) Problem("Cache:MaxUsage", "must be greater than 0 and at most 1");
        if (string.IsNullOrWhiteSpace(t.EventProbe.Key)) Problem("EventProbe:Key", "must not be empty");
        return problems;

        void Positive(string field, TimeSpan value)
        {
            if (value <= TimeSpan.Zero) Problem(field, "must be a positive duration");
        }
    }

    private static TargetDefinition? ReadOne(IConfigurationSection entry, List<string> problems)
    {
        var keyedById = !int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        var id = entry["Id"] ?? (keyedById ? entry.Key : null);
        var name = id ?? $"#{entry.Key}";
        var before = problems.Count;
        void Problem(string field, string what) => problems.Add($"target '{name}': field '{field}' {what}");

        if (id is null) Problem("Id", "is missing");
        else if (keyedById && !string.Equals(id, entry.Key, StringComparison.OrdinalIgnoreCase))
            Problem("Id", $"is '{id}' but the entry is keyed '{entry.Key}'; drop the Id or make them equal");

        foreach (var leaf in entry.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null))
            if (!KnownFields.Contains(leaf.Key))
                Problem(leaf.Key, $"is not a known field (known: {string.Join(", ", KnownFields)})");

        var defaults = TargetDefinition.WithDefaults(id ?? "", entry["Endpoint"] ?? "");
        var values = new ConfigurationValues(entry, Problem);
        TimeSpan Duration(string field, TimeSpan fallback) => values.Duration(field, fallback, allowZero: true);
        double Number(string field, double fallback) => values.Number(field, fallback);
        long Count(string field, long fallback) => values.Integer(field, (int)Math.Min(fallback, int.MaxValue), 0, int.MaxValue);

        var target = defaults with
        {
            Adapter = entry["Adapter"] ?? defaults.Adapter,
            ProbeKey = entry["ProbeKey"] ?? defaults.ProbeKey,
            Group = string.IsNullOrWhiteSpace(entry["Group"]) ? null : entry["Group"]!.Trim(),
            ProbeTimeout = Duration("ProbeTimeout", defaults.ProbeTimeout),
            Performance = new PerformanceSettings
            {
                Interval = Duration("Performance:Interval", defaults.Performance.Interval),
                AccessTimeThresholdMs = Number("Performance:AccessTimeThresholdMs", defaults.Performance.AccessTimeThresholdMs),
            },
            Health = new HealthSettings
            {
                Interval = Duration("Health:Interval", defaults.Health.Interval),
                MaxProcessMemoryMb = Number("Health:MaxProcessMemoryMb", defaults.Health.MaxProcessMemoryMb),
            },
            Cache = new CacheSettings
            {
                Interval = Duration("Cache:Interval", defaults.Cache.Interval),
                MinHitRate = Number("Cache:MinHitRate", defaults.Cache.MinHitRate),
                MaxUsage = Number("Cache:MaxUsage", defaults.Cache.MaxUsage),
                MinRequests = Count("Cache:MinRequests", defaults.Cache.MinRequests),
            },
            Database = new DatabaseSettings
            {
                Interval = Duration("Database:Interval", defaults.Database.Interval),
                ResponseTimeThresholdMs = Number("Database:ResponseTimeThresholdMs", defaults.Database.ResponseTimeThresholdMs),
            },
            EventProbe = new EventProbeSettings
            {
                Key = entry["EventProbe:Key"] ?? defaults.EventProbe.Key,
                Timeout = Duration("EventProbe:Timeout", defaults.EventProbe.Timeout),
            },
        };
        if (id is not null && entry["Endpoint"] is null) Problem("Endpoint", "is missing; an actor target needs an actor path such as '/user/config-service'");
        else if (id is not null) problems.AddRange(Validate(target).Where(p => !problems.Contains(p)));
        return problems.Count == before ? target : null;
    }
}
