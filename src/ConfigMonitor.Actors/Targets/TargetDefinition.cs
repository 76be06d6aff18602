using System.Text.Json.Serialization;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>How to reach one monitored config service, and how to watch it. Defaults are the seed's.</summary>
public sealed record TargetDefinition(
    [property: TextLimit(TextLimits.Id)] string Id,
    [property: TextLimit(TextLimits.Kind)] string Adapter,
    [property: TextLimit(TextLimits.Endpoint)] string Endpoint,
    [property: TextLimit(TextLimits.Key)] string ProbeKey,
    TimeSpan ProbeTimeout,
    PerformanceSettings Performance,
    HealthSettings Health,
    CacheSettings Cache,
    DatabaseSettings Database,
    EventProbeSettings EventProbe) : IConfigMonitorMessage
{
    /// <summary>The group this target belongs to (e.g. a region); when enough members fail, one group alert pages instead of each.</summary>
    [TextLimit(TextLimits.Group)]
    public string? Group { get; init; }

    /// <summary>
    /// The config facet's reach (<c>Config: { Kind, Endpoint, … }</c>); unset fields come from the <see cref="Adapter"/> shorthand.
    /// </summary>
    public ConfigFacetSettings Config { get; init; } = new();

    /// <summary>The shorthand's SQL provider (postgresql or sqlite) for <c>Adapter = sql</c>; facets that inherit the endpoint inherit it.</summary>
    [TextLimit(TextLimits.Kind)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Provider { get; init; }

    /// <summary>The shorthand's secret by reference (<c>env:NAME</c> or <c>file:/path</c>); facets that inherit the endpoint inherit it.</summary>
    [TextLimit(TextLimits.Endpoint)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }

    /// <summary>The adapter of the seed: the config service is an actor answering <see cref="ConfigServiceProtocol"/>.</summary>
    public const string ActorAdapter = FacetKinds.Actor;

    /// <summary>The key the loops read when no probe key is configured.</summary>
    public const string DefaultProbeKey = "monitor.probe";

    /// <summary>How long one probe may take before it counts as timed out.</summary>
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A definition with every interval and threshold at the seed's default.</summary>
    public static TargetDefinition WithDefaults(string id, string endpoint) => new(
        id, ActorAdapter, endpoint, DefaultProbeKey, DefaultProbeTimeout,
        new PerformanceSettings(), new HealthSettings(), new CacheSettings(), new DatabaseSettings(), new EventProbeSettings());
}

/// <summary>PerformanceLoop: time get_config(probe key) every interval; breach above the access-time threshold.</summary>
public sealed record PerformanceSettings
{
    /// <summary>How often the loop probes (seed: 60 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The slowest acceptable config read (seed: 50 ms).</summary>
    public double AccessTimeThresholdMs { get; init; } = 50;
}

/// <summary>HealthLoop: config read, database and cache answers, and process memory every interval.</summary>
public sealed record HealthSettings
{
    /// <summary>How often the loop probes (seed: 30 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The process memory above which the node is warned about (seed: 500 MB).</summary>
    public double MaxProcessMemoryMb { get; init; } = 500;
}

/// <summary>CacheLoop: hit rate and size / max size every interval.</summary>
public sealed record CacheSettings : FacetSettings
{
    /// <summary>How often the loop probes (seed: 120 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The lowest acceptable hit rate (seed: 0.8).</summary>
    public double MinHitRate { get; init; } = 0.8;

    /// <summary>The highest acceptable size / max size (seed: 0.9).</summary>
    public double MaxUsage { get; init; } = 0.9;

    /// <summary>
    /// The hit rate of an interval is judged only when the interval served at least this many requests (20): a cache
    /// that served two reads since the last probe, one of them its first, is not "50 %, too low". Quieter intervals
    /// still record the rate as a sample, and leave an open hit-rate alert as it is.
    /// </summary>
    public long MinRequests { get; init; } = 20;
}

/// <summary>DatabaseLoop: a SELECT 1 round trip every interval.</summary>
public sealed record DatabaseSettings : FacetSettings
{
    /// <summary>How often the loop probes (seed: 60 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The slowest acceptable round trip (seed: 100 ms).</summary>
    public double ResponseTimeThresholdMs { get; init; } = 100;

    /// <summary>
    /// The highest acceptable share of the store's size quota, for kinds that report one (etcd: db size over its backend
    /// quota; at 100 % etcd raises NOSPACE and refuses writes). 0.8 warns well before.
    /// </summary>
    public double MaxStorageUsage { get; init; } = 0.8;
}

/// <summary>The maintenance singleton's event round trip: subscribe, notify, receive, unsubscribe.</summary>
public sealed record EventProbeSettings : FacetSettings
{
    /// <summary>The key the probe subscribes to and changes.</summary>
    [TextLimit(TextLimits.Key)]
    public string Key { get; init; } = "monitor.event-probe";

    /// <summary>How long the change event may take to arrive before it counts as lost.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
