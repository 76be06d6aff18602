using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Actor;
using ConfigMonitor.Actors.Protocol;
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

    private static readonly HashSet<string> KnownFields = new(
        new[]
        {
            "Id", "Adapter", "Endpoint", "Provider", "Secret", "ProbeKey", "ProbeTimeout", "Group",
            "Performance:Interval", "Performance:AccessTimeThresholdMs",
            "Health:Interval", "Health:MaxProcessMemoryMb",
            "Cache:Interval", "Cache:MinHitRate", "Cache:MaxUsage", "Cache:MinRequests",
            "Database:Interval", "Database:ResponseTimeThresholdMs", "Database:MaxStorageUsage",
            "EventProbe:Key", "EventProbe:Timeout",
        }.Concat(FacetNames.All.SelectMany(f => FacetFields.All.Select(field => $"{FacetNames.Section(f)}:{field}"))),
        StringComparer.OrdinalIgnoreCase);

    // The known fields next to an unknown one: those of its section ("Cache:Colour" → the Cache fields), or the top-level
    // fields and the section names, so the refusal stays a readable line.
    private static IEnumerable<string> KnownNear(string field)
    {
        var colon = field.IndexOf(':');
        var section = colon < 0 ? null : field[..(colon + 1)];
        var near = section is null ? [] : KnownFields.Where(k => k.StartsWith(section, StringComparison.OrdinalIgnoreCase)).ToList();
        return near.Count > 0 ? near
            : KnownFields.Where(k => !k.Contains(':')).Concat(KnownFields.Where(k => k.Contains(':')).Select(k => k[..k.IndexOf(':')] + ":…").Distinct());
    }

    /// <summary>Reads every target of <paramref name="section"/>; throws <see cref="InvalidTargetDefinitionException"/> listing every problem.</summary>
    public static IReadOnlyList<TargetDefinition> Read(IConfigurationSection section) => Read(section, []);

    /// <summary>
    /// The same, leaving out the entries keyed <paramref name="except"/> (the node leaves out the demo target when the demo is off).
    /// Given the configuration's <paramref name="root"/>, every key under the section is listed in one pass over its providers:
    /// Microsoft.Extensions.Configuration lists a section's children by scanning every key of every provider, so walking each
    /// entry's keys made reading N targets cost N × (all keys) — 13 minutes for 10,000 targets in appsettings.json.
    /// </summary>
    public static IReadOnlyList<TargetDefinition> Read(IConfigurationSection section, IReadOnlyCollection<string> except, IConfigurationRoot? root = null)
    {
        var problems = new List<string>();
        var targets = new List<TargetDefinition>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var keysByEntry = root is null ? null : KeysByEntry(root, section.Path);
        foreach (var entry in section.GetChildren())
        {
            if (except.Contains(entry.Key, StringComparer.OrdinalIgnoreCase)) continue;
            var target = ReadOne(entry, problems, keysByEntry?.GetValueOrDefault(entry.Key) ?? (keysByEntry is null ? null : []));
            if (target is null) continue;
            if (!ids.Add(target.Id))
                problems.Add($"target '{target.Id}': field 'Id' is defined twice; target ids must be unique");
            else
                targets.Add(target);
        }
        if (problems.Count > 0) throw new InvalidTargetDefinitionException(problems);
        return targets;
    }

    // The providers in order, those of a chained configuration (the host's, in a web application's) in its place.
    private static IEnumerable<IConfigurationProvider> Flatten(IConfigurationRoot root)
    {
        foreach (var provider in root.Providers)
        {
            if (provider is ChainedConfigurationProvider { Configuration: IConfigurationRoot chained })
                foreach (var inner in Flatten(chained)) yield return inner;
            else yield return provider;
        }
    }

    private static readonly System.Reflection.PropertyInfo? ProviderData =
        typeof(ConfigurationProvider).GetProperty("Data", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    /// <summary>
    /// Every key under <paramref name="path"/> of <paramref name="root"/>, relative to its entry and grouped by the entry's key
    /// (case-insensitive, as configuration keys are), read from each provider's own key table once; null when a provider does
    /// not keep one (then each entry's keys are walked as before).
    /// </summary>
    private static Dictionary<string, List<string>>? KeysByEntry(IConfigurationRoot root, string path)
    {
        var providers = Flatten(root).ToList();
        if (ProviderData is null || providers.Any(p => p is not ConfigurationProvider)) return null;
        var prefix = path + ConfigurationPath.KeyDelimiter;
        var byEntry = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            if (ProviderData.GetValue(provider) is not IDictionary<string, string?> data) return null;
            foreach (var key in data.Keys)
            {
                if (!key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
                var rest = key[prefix.Length..];
                var colon = rest.IndexOf(':');
                if (colon <= 0 || colon == rest.Length - 1) continue;
                var entry = rest[..colon];
                if (!byEntry.TryGetValue(entry, out var keys)) byEntry[entry] = keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                keys.Add(rest[(colon + 1)..]);
            }
        }
        return byEntry.ToDictionary(e => e.Key, e => e.Value.ToList(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Checks one definition, read from configuration or built in code (the API and the target registry's commands);
    /// returns its problems. Every text field is checked against <see cref="TextLimits"/>, every duration against
    /// <see cref="DurationLimits"/>, and a long value is quoted shortened, so no problem line grows with its input.
    /// </summary>
    public static IReadOnlyList<string> Validate(TargetDefinition t)
    {
        var problems = new List<string>();
        var name = string.IsNullOrWhiteSpace(t.Id) ? "(no id)" : Shorten(t.Id);
        void Problem(string field, string what) => problems.Add($"target '{name}': field '{field}' {what}");

        var idTooLong = TooLong("Id", t.Id, TextLimits.Id);
        if (!idTooLong && (string.IsNullOrWhiteSpace(t.Id) || !ValidId().IsMatch(t.Id)))
            Problem("Id", $"is '{Shorten(t.Id)}'; it must be 1-{TextLimits.Id} letters, digits, '.', '_' or '-', starting with a letter or digit");
        var tooLong = TooLong("Adapter", t.Adapter, TextLimits.Kind) | TooLong("Endpoint", t.Endpoint, TextLimits.Endpoint)
                      | TooLong("Provider", t.Provider, TextLimits.Kind) | TooLong("Secret", t.Secret, TextLimits.Endpoint);
        foreach (var facet in FacetNames.All)
        {
            var settings = TargetFacets.SettingsOf(t, facet);
            foreach (var field in FacetFields.All)
                tooLong |= TooLong($"{FacetNames.Section(facet)}:{field}", FacetFields.Value(settings, field), FacetFields.Limit(field));
        }
        // Reach (kinds, endpoints, kind-specific fields) is judged once every text fits, so no message quotes a huge value.
        if (!tooLong)
            foreach (var (field, what) in TargetFacets.Problems(t))
                Problem(field, what);
        if (!TooLong("ProbeKey", t.ProbeKey, TextLimits.Key) && string.IsNullOrWhiteSpace(t.ProbeKey))
            Problem("ProbeKey", "must not be empty");
        TooLong("Group", t.Group, TextLimits.Group);
        if (!TooLong("EventProbe:Key", t.EventProbe.Key, TextLimits.Key) && string.IsNullOrWhiteSpace(t.EventProbe.Key))
            Problem("EventProbe:Key", "must not be empty");

        var intervals = new[]
        {
            ("Performance:Interval", t.Performance.Interval), ("Health:Interval", t.Health.Interval),
            ("Cache:Interval", t.Cache.Interval), ("Database:Interval", t.Database.Interval),
        };
        foreach (var (field, interval) in intervals) Within(field, interval, DurationLimits.LoopInterval);
        if (Within("ProbeTimeout", t.ProbeTimeout, DurationLimits.ProbeTimeout))
        {
            // The four loops all probe with ProbeTimeout: a probe must end before its loop's next tick.
            var (shortestField, shortest) = intervals.MinBy(i => i.Item2);
            if (t.ProbeTimeout > shortest)
                Problem("ProbeTimeout", $"is '{Durations.Format(t.ProbeTimeout)}', longer than '{shortestField}' of " +
                                        $"'{Durations.Format(shortest)}', the shortest interval of the loops it serves; " +
                                        $"make it at most {Durations.Format(shortest)}");
        }
        Within("EventProbe:Timeout", t.EventProbe.Timeout, DurationLimits.ProbeTimeout);

        // Upper limits catch a typo: a threshold above an hour, or memory above 16 TiB, can never be crossed.
        const double HourMs = 3_600_000, MaxMemoryMb = 16 * 1024 * 1024;
        if (t.Performance.AccessTimeThresholdMs is <= 0 or > HourMs)
            Problem("Performance:AccessTimeThresholdMs", $"must be greater than 0 and at most {HourMs:0} (an hour); it is {t.Performance.AccessTimeThresholdMs.ToString(CultureInfo.InvariantCulture)}");
        if (t.Database.ResponseTimeThresholdMs is <= 0 or > HourMs)
            Problem("Database:ResponseTimeThresholdMs", $"must be greater than 0 and at most {HourMs:0} (an hour); it is {t.Database.ResponseTimeThresholdMs.ToString(CultureInfo.InvariantCulture)}");
        if (t.Health.MaxProcessMemoryMb is <= 0 or > MaxMemoryMb)
            Problem("Health:MaxProcessMemoryMb", $"must be greater than 0 and at most {MaxMemoryMb:0} (16 TiB); it is {t.Health.MaxProcessMemoryMb.ToString(CultureInfo.InvariantCulture)}");
        if (t.Cache.MinHitRate is < 0 or > 1) Problem("Cache:MinHitRate", "must be between 0 and 1");
        if (t.Cache.MaxUsage is <= 0 or > 1) Problem("Cache:MaxUsage", "must be greater than 0 and at most 1");
        if (t.Cache.MinRequests < 0) Problem("Cache:MinRequests", "must be 0 or more");
        if (t.Database.MaxStorageUsage is <= 0 or > 1) Problem("Database:MaxStorageUsage", "must be greater than 0 and at most 1");
        return problems;

        bool TooLong(string field, string? text, int limit)
        {
            if (TextLimits.Check(text, limit) is not { } wrong) return false;
            Problem(field, wrong);
            return true;
        }

        bool Within(string field, TimeSpan value, DurationRange range)
        {
            if (value >= range.Min && value <= range.Max) return true;
            Problem(field, $"is '{Durations.Format(value)}', outside {range}");
            return false;
        }
    }

    /// <summary>
    /// What is wrong with <paramref name="endpoint"/> as the address of an actor target; null when it is a valid actor path:
    /// <c>/user/name[/child…]</c>, or an absolute <c>akka.tcp://system@host:port/user/name</c> that Akka parses.
    /// </summary>
    public static string? EndpointProblem(string? endpoint)
    {
        const string Example = "an actor path such as '/user/config-service' or 'akka.tcp://system@host:4053/user/config-service'";
        if (string.IsNullOrWhiteSpace(endpoint)) return $"is missing; an actor target needs {Example}";
        if (endpoint.StartsWith('/'))
        {
            var elements = endpoint.Split('/');
            // "/user/a/b" splits into "", "user", "a", "b".
            if (elements.Length < 3 || elements[1] != "user")
                return $"is '{Shorten(endpoint)}', which is not under '/user/'; write {Example}";
            var bad = elements.Skip(2).FirstOrDefault(e => e is "." or ".." || !ActorPath.IsValidPathElement(e));
            return bad is null ? null
                : $"is '{Shorten(endpoint)}', whose element '{Shorten(bad)}' is not a valid actor name " +
                  "(letters, digits and -_.*$+:@&=,!~';, not starting with '$'); write " + Example;
        }
        // Strictly by our own grammar first: Akka's parser accepts some garbage (spaces, '..', a query) and throws on other
        // (a non-numeric '#uid'), and a target's endpoint is user input.
        var match = RemoteActorPath().Match(endpoint);
        if (!match.Success)
            return $"is '{Shorten(endpoint)}', which {Diagnose(endpoint) ?? "is not an actor path (protocol akka.tcp or akka.ssl.tcp, a system name of letters, digits, '-' and '_', '@', a host, ':', a port, then /user/…, with no query or '#')"}; write " + Example;
        var address = new Address(match.Groups["protocol"].Value, match.Groups["system"].Value, match.Groups["host"].Value.Trim('[', ']'),
            int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
        if (HostAndPortProblem(address) is { } hostAndPort)
            return $"is '{Shorten(endpoint)}', which {hostAndPort}; write {Example}";
        if (Uri.CheckHostName(address.Host) == UriHostNameType.Unknown)
            return $"is '{Shorten(endpoint)}', whose host '{Shorten(address.Host)}' is not a host name or IP address; write {Example}";
        var badElement = match.Groups["path"].Value.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .FirstOrDefault(e => e is "." or ".." || !ActorPath.IsValidPathElement(e));
        if (badElement is not null)
            return $"is '{Shorten(endpoint)}', whose element '{Shorten(badElement)}' is not a valid actor name " +
                   "(letters, digits and -_.*$+:@&=,!~';, not starting with '$'); write " + Example;
        return null;
    }

    // The likeliest mistake of an endpoint our grammar refused, in words, when Akka's parser can tell (it throws on some input).
    private static string? Diagnose(string endpoint)
    {
        try
        {
            if (!ActorPath.TryParse(endpoint, out var path) || path is null) return null;
            if (!path.Address.Protocol.StartsWith("akka", StringComparison.Ordinal))
                return $"is not an actor address (it uses '{Shorten(path.Address.Protocol)}://')";
            if (HostAndPortProblem(path.Address) is { } hostAndPort) return hostAndPort;
            if (path.Elements.Count < 2 || path.Elements[0] != "user") return "is not under '/user/'";
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^(?<protocol>akka\.tcp|akka\.ssl\.tcp)://(?<system>[A-Za-z0-9][A-Za-z0-9_-]*)@(?<host>\[[0-9A-Fa-f:.]+\]|[^:/@\s\[\]#?]*):(?<port>[0-9]{1,5})(?<path>/user(/[^/?#\s]+)+)$", RegexOptions.CultureInvariant)]
    private static partial Regex RemoteActorPath();

    /// <summary>
    /// What is wrong with the host and port of a remote Akka address (the words after "which"); null when it names a host
    /// and a port from 1 to 65535.
    /// </summary>
    public static string? HostAndPortProblem(Address address)
    {
        if (address.Host is null && address.Port is null) return "names no host and port";
        if (string.IsNullOrWhiteSpace(address.Host)) return "names no host (nothing between '@' and ':')";
        if (address.Port is not { } port) return "names no port";
        if (port is < 1 or > 65535) return $"names port {port}, outside 1 to 65535";
        return null;
    }

    // Every value quoted in a refusal is redacted first: a refused endpoint may carry a password.
    private static string Shorten(string? text) => TextLimits.Quote(text is null ? null : Redaction.Redact(text), 80);

    private static TargetDefinition? ReadOne(IConfigurationSection entry, List<string> problems, IReadOnlyList<string>? keys)
    {
        var keyedById = !int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        var id = entry["Id"] ?? (keyedById ? entry.Key : null);
        var name = Shorten(id ?? $"#{entry.Key}");
        var before = problems.Count;
        void Problem(string field, string what) => problems.Add($"target '{name}': field '{field}' {what}");

        if (id is null) Problem("Id", "is missing");
        else if (keyedById && !string.Equals(id, entry.Key, StringComparison.OrdinalIgnoreCase))
            Problem("Id", $"is '{id}' but the entry is keyed '{entry.Key}'; drop the Id or make them equal");

        var leaves = keys is null
            ? entry.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null).Select(kv => kv.Key)
            : keys.Where(k => entry[k] is not null);
        // In key order (Cache:Colour before Colour), however the keys were listed.
        foreach (var leaf in leaves.Order(ConfigurationKeyComparer.Instance))
            if (!KnownFields.Contains(leaf))
                Problem(Shorten(leaf), $"is not a known field (known: {string.Join(", ", KnownNear(leaf))})");

        var defaults = TargetDefinition.WithDefaults(id ?? "", entry["Endpoint"] ?? "");
        var values = new ConfigurationValues(entry, Problem);
        TimeSpan Interval(string field, TimeSpan fallback) => values.Duration(field, fallback, DurationLimits.LoopInterval);
        TimeSpan Timeout(string field, TimeSpan fallback) => values.Duration(field, fallback, DurationLimits.ProbeTimeout);
        double Number(string field, double fallback) => values.Number(field, fallback);
        long Count(string field, long fallback) => values.Integer(field, (int)Math.Min(fallback, int.MaxValue), 0, int.MaxValue);

        T Reach<T>(T settings, string section) where T : FacetSettings
        {
            foreach (var field in FacetFields.All)
                if (entry[$"{section}:{field}"] is { } text)
                    settings = FacetFields.With(settings, field, field is "Kind" or "Provider" or "Preset" ? text.Trim() : text);
            return settings;
        }

        var target = defaults with
        {
            Adapter = entry["Adapter"]?.Trim() ?? defaults.Adapter,
            Provider = entry["Provider"]?.Trim(),
            Secret = entry["Secret"],
            Config = Reach(new ConfigFacetSettings(), "Config"),
            ProbeKey = entry["ProbeKey"] ?? defaults.ProbeKey,
            Group = string.IsNullOrWhiteSpace(entry["Group"]) ? null : entry["Group"]!.Trim(),
            ProbeTimeout = Timeout("ProbeTimeout", defaults.ProbeTimeout),
            Performance = new PerformanceSettings
            {
                Interval = Interval("Performance:Interval", defaults.Performance.Interval),
                AccessTimeThresholdMs = Number("Performance:AccessTimeThresholdMs", defaults.Performance.AccessTimeThresholdMs),
            },
            Health = new HealthSettings
            {
                Interval = Interval("Health:Interval", defaults.Health.Interval),
                MaxProcessMemoryMb = Number("Health:MaxProcessMemoryMb", defaults.Health.MaxProcessMemoryMb),
            },
            Cache = Reach(new CacheSettings(), "Cache") with
            {
                Interval = Interval("Cache:Interval", defaults.Cache.Interval),
                MinHitRate = Number("Cache:MinHitRate", defaults.Cache.MinHitRate),
                MaxUsage = Number("Cache:MaxUsage", defaults.Cache.MaxUsage),
                MinRequests = Count("Cache:MinRequests", defaults.Cache.MinRequests),
            },
            Database = Reach(new DatabaseSettings(), "Database") with
            {
                Interval = Interval("Database:Interval", defaults.Database.Interval),
                ResponseTimeThresholdMs = Number("Database:ResponseTimeThresholdMs", defaults.Database.ResponseTimeThresholdMs),
                MaxStorageUsage = Number("Database:MaxStorageUsage", defaults.Database.MaxStorageUsage),
            },
            EventProbe = Reach(new EventProbeSettings(), "EventProbe") with
            {
                Key = entry["EventProbe:Key"] ?? defaults.EventProbe.Key,
                Timeout = Timeout("EventProbe:Timeout", defaults.EventProbe.Timeout),
            },
        };
        if (entry["ProbeTimeout"] is null)
        {
            // Unset, the probe timeout follows the loops: the default, or the shortest interval when that is shorter.
            var shortest = new[] { target.Performance.Interval, target.Health.Interval, target.Cache.Interval, target.Database.Interval }.Min();
            if (shortest < target.ProbeTimeout) target = target with { ProbeTimeout = shortest };
        }
        if (id is not null) problems.AddRange(Validate(target).Where(p => !problems.Contains(p)));
        if (id is not null && problems.Count == before)
        {
            // How to judge a facet the target does not have means nothing: a threshold there is a mistake worth a line (the
            // reach fields of a none facet are refused by Validate).
            foreach (var facet in TargetFacets.Resolve(target).Where(f => !f.Present))
            {
                var section = FacetNames.Section(facet.Facet);
                foreach (var leaf in entry.GetSection(section).AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null))
                    if (!FacetFields.All.Contains(leaf.Key, StringComparer.OrdinalIgnoreCase))
                        Problem($"{section}:{leaf.Key}", $"is set, but the {facet.Facet} facet is 'none' (this target has no {facet.Facet}, so nothing is judged); remove it or give the facet a kind");
            }
        }
        return problems.Count == before ? target : null;
    }
}
