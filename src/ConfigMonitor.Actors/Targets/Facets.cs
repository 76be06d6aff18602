using System.Text.Json.Serialization;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>The four facets of a config service: what the monitor watches, each reached by its own kind of client.</summary>
public static class FacetNames
{
    /// <summary>Read a key, with metadata: the performance and health loops, the configuration_service check.</summary>
    public const string Config = "config";

    /// <summary>Hits, misses, size, max size: the cache loop, the cache_performance check.</summary>
    public const string Cache = "cache";

    /// <summary>Reachability, response time, row count: the database loop, the database_connectivity check.</summary>
    public const string Database = "database";

    /// <summary>Subscribe → change → event → unsubscribe: the event round trip, the event_system check.</summary>
    public const string Events = "events";

    /// <summary>The four, in report order.</summary>
    public static readonly IReadOnlyList<string> All = [Config, Cache, Database, Events];

    /// <summary>The configuration section that holds a facet's settings (Config, Cache, Database, EventProbe).</summary>
    public static string Section(string facet) => facet switch
    {
        Config => "Config",
        Cache => "Cache",
        Database => "Database",
        Events => "EventProbe",
        _ => throw new ArgumentOutOfRangeException(nameof(facet), facet, "not a facet"),
    };
}

/// <summary>The kinds of client a facet is reached by.</summary>
public static class FacetKinds
{
    /// <summary>An actor answering <see cref="ConfigServiceProtocol"/>.</summary>
    public const string Actor = "actor";

    /// <summary>An HTTP API (the reference service's shape, or a preset such as Spring Cloud Config).</summary>
    public const string Http = "http";

    /// <summary>An etcd v3 cluster (through its JSON gateway).</summary>
    public const string Etcd = "etcd";

    /// <summary>A SQL database (<c>Provider</c>: postgresql or sqlite).</summary>
    public const string Sql = "sql";

    /// <summary>A Redis server (cache statistics, pub/sub).</summary>
    public const string Redis = "redis";

    /// <summary>The target has no such facet: its loop is off and its check is "not applicable".</summary>
    public const string None = "none";

    /// <summary>Every kind.</summary>
    public static readonly IReadOnlyList<string> All = [Actor, Http, Etcd, Sql, Redis, None];

    /// <summary>The kinds each facet can be reached by.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByFacet = new Dictionary<string, IReadOnlyList<string>>
    {
        [FacetNames.Config] = [Actor, Http, Etcd, Sql],
        [FacetNames.Cache] = [Actor, Redis, Http, None],
        [FacetNames.Database] = [Actor, Sql, Etcd, Http, None],
        [FacetNames.Events] = [Actor, Etcd, Redis, Sql, Http, None],
    };

    /// <summary>
    /// What <c>Adapter = kind</c> (the shorthand) gives each facet that does not name its own kind: every facet the kind
    /// supports, <c>none</c> for the others. <c>redis</c> cannot be an adapter: it serves no config reads.
    /// </summary>
    public static string Shorthand(string adapter, string facet, string? provider) => (adapter, facet) switch
    {
        (Actor, _) or (Http, _) => adapter,
        (Etcd, FacetNames.Cache) => None,
        (Etcd, _) => Etcd,
        (Sql, FacetNames.Cache) => None,
        (Sql, FacetNames.Events) => SqlProviders.Is(provider, SqlProviders.PostgreSql) ? Sql : None,
        (Sql, _) => Sql,
        _ => adapter,
    };

    /// <summary>The kinds an <c>Adapter</c> may name.</summary>
    public static readonly IReadOnlyList<string> Adapters = [Actor, Http, Etcd, Sql];
}

/// <summary>The SQL providers of the <c>sql</c> kind.</summary>
public static class SqlProviders
{
    /// <summary>PostgreSQL through Npgsql.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>A SQLite file through Microsoft.Data.Sqlite.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>Both.</summary>
    public static readonly IReadOnlyList<string> All = [PostgreSql, Sqlite];

    /// <summary>True when <paramref name="provider"/> names <paramref name="expected"/> (any case).</summary>
    public static bool Is(string? provider, string expected) => string.Equals(provider, expected, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// How to reach one facet (its kind, endpoint and the fields of that kind), next to how to judge it in the same section:
/// <c>Config</c>, <c>Cache</c>, <c>Database</c>, <c>EventProbe</c>. Unset, <see cref="Kind"/> and <see cref="Endpoint"/> (and
/// <see cref="Provider"/>, <see cref="Secret"/>) come from the target's <c>Adapter</c> shorthand; see <see cref="TargetFacets"/>.
/// Each field applies to some kinds only (<see cref="FacetFields"/>); a field set for a kind it does not apply to is refused.
/// </summary>
public record FacetSettings
{
    /// <summary>actor, http, etcd, sql, redis or none (<see cref="FacetKinds"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Kind)]
    public string? Kind { get; init; }

    /// <summary>Where the facet is: an actor path, a URL (http, etcd), <c>host:port</c> (redis), a connection string or file (sql).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Endpoint)]
    public string? Endpoint { get; init; }

    /// <summary>sql: postgresql or sqlite.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Kind)]
    public string? Provider { get; init; }

    /// <summary>A password or token by reference, never by value: <c>env:NAME</c> or <c>file:/path</c>, read when a probe runs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Endpoint)]
    public string? Secret { get; init; }

    /// <summary>http: a preset for a well-known shape (reference, spring-cloud-config, spring-boot-actuator).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Kind)]
    public string? Preset { get; init; }

    /// <summary>http: the path (or absolute URL) under the endpoint; for config reads a template with <c>{key}</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Endpoint)]
    public string? Path { get; init; }

    /// <summary>http config: a JSON pointer (RFC 6901) to the value in the reply, e.g. <c>/value</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? Pointer { get; init; }

    /// <summary>http cache: JSON pointers to the hit and miss counters, the size and the max size.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? HitsPointer { get; init; }

    /// <inheritdoc cref="HitsPointer"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? MissesPointer { get; init; }

    /// <inheritdoc cref="HitsPointer"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? SizePointer { get; init; }

    /// <inheritdoc cref="HitsPointer"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? MaxSizePointer { get; init; }

    /// <summary>http events: the path of the service's notify call (the stream's path is <see cref="Path"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Endpoint)]
    public string? NotifyPath { get; init; }

    /// <summary>sql: the query; for config reads with a <c>@key</c> parameter, for the database facet a row count.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Query)]
    public string? Query { get; init; }

    /// <summary>redis and sql (PostgreSQL LISTEN/NOTIFY) events: the channel the probe listens on and notifies.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? Channel { get; init; }

    /// <summary>etcd: the key prefix (config reads: prepended to the key; events: where the probe writes, then deletes).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [TextLimit(TextLimits.Key)]
    public string? KeyPrefix { get; init; }
}

/// <summary>The config facet's reach (<c>Config</c> section); how it is judged lives in <c>Performance</c> and <c>Health</c>.</summary>
public sealed record ConfigFacetSettings : FacetSettings;

/// <summary>Which kind-specific fields apply to which kinds (a field set for another kind is refused, naming the kinds it applies to).</summary>
public static class FacetFields
{
    /// <summary>Field name → the kinds it applies to.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> AppliesTo = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(FacetSettings.Provider)] = [FacetKinds.Sql],
        [nameof(FacetSettings.Secret)] = [FacetKinds.Http, FacetKinds.Etcd, FacetKinds.Sql, FacetKinds.Redis],
        [nameof(FacetSettings.Preset)] = [FacetKinds.Http],
        [nameof(FacetSettings.Path)] = [FacetKinds.Http],
        [nameof(FacetSettings.Pointer)] = [FacetKinds.Http],
        [nameof(FacetSettings.HitsPointer)] = [FacetKinds.Http],
        [nameof(FacetSettings.MissesPointer)] = [FacetKinds.Http],
        [nameof(FacetSettings.SizePointer)] = [FacetKinds.Http],
        [nameof(FacetSettings.MaxSizePointer)] = [FacetKinds.Http],
        [nameof(FacetSettings.NotifyPath)] = [FacetKinds.Http],
        [nameof(FacetSettings.Query)] = [FacetKinds.Sql],
        [nameof(FacetSettings.Channel)] = [FacetKinds.Redis, FacetKinds.Sql],
        [nameof(FacetSettings.KeyPrefix)] = [FacetKinds.Etcd],
    };

    /// <summary>The value of field <paramref name="name"/> of <paramref name="settings"/>.</summary>
    public static string? Value(FacetSettings settings, string name) => name switch
    {
        nameof(FacetSettings.Kind) => settings.Kind,
        nameof(FacetSettings.Endpoint) => settings.Endpoint,
        nameof(FacetSettings.Provider) => settings.Provider,
        nameof(FacetSettings.Secret) => settings.Secret,
        nameof(FacetSettings.Preset) => settings.Preset,
        nameof(FacetSettings.Path) => settings.Path,
        nameof(FacetSettings.Pointer) => settings.Pointer,
        nameof(FacetSettings.HitsPointer) => settings.HitsPointer,
        nameof(FacetSettings.MissesPointer) => settings.MissesPointer,
        nameof(FacetSettings.SizePointer) => settings.SizePointer,
        nameof(FacetSettings.MaxSizePointer) => settings.MaxSizePointer,
        nameof(FacetSettings.NotifyPath) => settings.NotifyPath,
        nameof(FacetSettings.Query) => settings.Query,
        nameof(FacetSettings.Channel) => settings.Channel,
        nameof(FacetSettings.KeyPrefix) => settings.KeyPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a facet field"),
    };

    /// <summary>Every reach field of a facet section, in documentation order.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        nameof(FacetSettings.Kind), nameof(FacetSettings.Endpoint), nameof(FacetSettings.Provider), nameof(FacetSettings.Secret),
        nameof(FacetSettings.Preset), nameof(FacetSettings.Path), nameof(FacetSettings.Pointer), nameof(FacetSettings.HitsPointer),
        nameof(FacetSettings.MissesPointer), nameof(FacetSettings.SizePointer), nameof(FacetSettings.MaxSizePointer),
        nameof(FacetSettings.NotifyPath), nameof(FacetSettings.Query), nameof(FacetSettings.Channel), nameof(FacetSettings.KeyPrefix),
    ];

    /// <summary>The field with its value set on <paramref name="settings"/> replaced (the reader builds settings field by field).</summary>
    public static T With<T>(T settings, string name, string? value) where T : FacetSettings => name switch
    {
        nameof(FacetSettings.Kind) => settings with { Kind = value },
        nameof(FacetSettings.Endpoint) => settings with { Endpoint = value },
        nameof(FacetSettings.Provider) => settings with { Provider = value },
        nameof(FacetSettings.Secret) => settings with { Secret = value },
        nameof(FacetSettings.Preset) => settings with { Preset = value },
        nameof(FacetSettings.Path) => settings with { Path = value },
        nameof(FacetSettings.Pointer) => settings with { Pointer = value },
        nameof(FacetSettings.HitsPointer) => settings with { HitsPointer = value },
        nameof(FacetSettings.MissesPointer) => settings with { MissesPointer = value },
        nameof(FacetSettings.SizePointer) => settings with { SizePointer = value },
        nameof(FacetSettings.MaxSizePointer) => settings with { MaxSizePointer = value },
        nameof(FacetSettings.NotifyPath) => settings with { NotifyPath = value },
        nameof(FacetSettings.Query) => settings with { Query = value },
        nameof(FacetSettings.Channel) => settings with { Channel = value },
        nameof(FacetSettings.KeyPrefix) => settings with { KeyPrefix = value },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a facet field"),
    };

    /// <summary>The text limit of each field (from its <see cref="TextLimitAttribute"/>).</summary>
    public static int Limit(string name) =>
        (typeof(FacetSettings).GetProperty(name)?.GetCustomAttributes(typeof(TextLimitAttribute), true).FirstOrDefault() as TextLimitAttribute)?.MaxLength
        ?? TextLimits.Endpoint;
}
