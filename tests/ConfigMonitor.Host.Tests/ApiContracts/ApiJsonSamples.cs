using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Host.Tests.ApiContracts;

/// <summary>
/// Stored and message records with every field set (maximal) and with only what is required (minimal): what the API is given
/// to show. Never edit a sample that has a golden file; add a new one.
/// </summary>
public static class ApiJsonSamples
{
    private static readonly DateTimeOffset At = new(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero);
    private static readonly DateTimeOffset AtBerlin = new(2026, 3, 14, 10, 30, 0, TimeSpan.FromHours(1));

    /// <summary>An alert with every optional field set.</summary>
    public static Alert MaximalAlert => new(
        "alert-42", "orders", AlertCategory.EventSystem, "lost_events", AlertSeverity.Critical, "3 of 3 change events were lost",
        At, At.AddMinutes(5), At.AddMinutes(9), Acknowledged: true, AtBerlin, "alice",
        AlertState.Resolved, FiredAt: At.AddMinutes(1), AcknowledgeComment: "looking at it", Group: "eu-west",
        LastNotifiedAt: At.AddMinutes(2), SuppressedBy: "silence-7");

    /// <summary>A pending alert: nothing optional set.</summary>
    public static Alert MinimalAlert => new(
        "alert-1", "billing", AlertCategory.Performance, "access_time", AlertSeverity.Warning, "config read took 80 ms (threshold 50 ms)",
        At, At, null, false, null, null, AlertState.Pending);

    /// <summary>A firing alert of each other category and severity.</summary>
    public static IReadOnlyList<Alert> OtherAlerts =>
    [
        MinimalAlert with { Id = "alert-2", Category = AlertCategory.Health, Severity = AlertSeverity.Info, State = AlertState.Firing, FiredAt = At },
        MinimalAlert with { Id = "alert-3", Category = AlertCategory.Cache, Severity = AlertSeverity.Critical, State = AlertState.Firing },
        MinimalAlert with { Id = "alert-4", Category = AlertCategory.Database },
    ];

    /// <summary>Matchers of every field, plain and regex.</summary>
    public static IReadOnlyList<Matcher> EveryMatcher =>
    [
        new(MatchField.Target, "orders"), new(MatchField.Category, "event_system"), new(MatchField.Severity, "warn.*", IsRegex: true),
        new(MatchField.Rule, "access_time"), new(MatchField.Group, "eu-.*", true),
    ];

    /// <summary>A silence ended by request.</summary>
    public static Silence MaximalSilence => new("silence-7", EveryMatcher, At, At.AddHours(2), "bob", "deploy of 4.2", ExpiredAt: At.AddHours(1));

    /// <summary>A silence in force.</summary>
    public static Silence MinimalSilence => new("silence-8", [new(MatchField.Target, "orders")], AtBerlin, AtBerlin.AddDays(1), "api", "");

    /// <summary>A recurring window inside a span, deleted.</summary>
    public static MaintenanceWindow MaximalWindow => new(
        "window-3", "nightly", EveryMatcher, At, At.AddDays(30),
        new Recurrence([DayOfWeek.Saturday, DayOfWeek.Sunday], new TimeSpan(2, 0, 0), TimeSpan.FromMinutes(90), "Europe/Berlin"),
        "carol", DeletedAt: At.AddDays(2));

    /// <summary>A recurring window starting at seconds past the minute, with no span.</summary>
    public static MaintenanceWindow RecurringWindow => new(
        "window-4", "weekly", [new(MatchField.Group, "eu-west")], null, null,
        new Recurrence([DayOfWeek.Wednesday], new TimeSpan(23, 30, 15), TimeSpan.FromHours(3), "UTC"), "api");

    /// <summary>A one-off window.</summary>
    public static MaintenanceWindow OneOffWindow => new("window-5", "migration", [new(MatchField.Target, "orders")], AtBerlin, AtBerlin.AddHours(4), null, "api");

    /// <summary>A definition with every optional field and every facet field set.</summary>
    public static TargetDefinition MaximalDefinition => new TargetDefinition(
        "orders", "http", "http://config.internal:8080", "app.name", TimeSpan.FromMilliseconds(2500),
        new PerformanceSettings { Interval = TimeSpan.FromSeconds(15), AccessTimeThresholdMs = 75.5 },
        new HealthSettings { Interval = TimeSpan.FromMinutes(1), MaxProcessMemoryMb = 1024 },
        new CacheSettings
        {
            Interval = TimeSpan.FromMinutes(2), MinHitRate = 0.75, MaxUsage = 0.95, MinRequests = 50,
            Kind = "http", Endpoint = "http://cache.internal", Secret = "env:CACHE_TOKEN", Preset = "reference", Path = "/stats",
            HitsPointer = "/hits", MissesPointer = "/misses", SizePointer = "/size", MaxSizePointer = "/max",
        },
        new DatabaseSettings
        {
            Interval = TimeSpan.FromHours(1), ResponseTimeThresholdMs = 200, MaxStorageUsage = 0.7,
            Kind = "sql", Endpoint = "Host=db;Database=config", Provider = "postgresql", Secret = "file:/run/secrets/db", Query = "SELECT count(*) FROM config",
        },
        new EventProbeSettings
        {
            Key = "monitor.events", Timeout = TimeSpan.FromSeconds(7), Kind = "redis", Endpoint = "redis.internal:6379", Channel = "config-changes",
        })
    {
        Group = "eu-west",
        Provider = "postgresql",
        Secret = "env:ORDERS_TOKEN",
        Config = new ConfigFacetSettings { Kind = "etcd", Endpoint = "http://etcd:2379", KeyPrefix = "/config/", Pointer = "/value", NotifyPath = "/notify" },
    };

    /// <summary>The seed's defaults.</summary>
    public static TargetDefinition MinimalDefinition => TargetDefinition.WithDefaults("demo", "/user/config-service-demo");

    /// <summary>A status from a node that reports facets, with a loop that never succeeded.</summary>
    public static TargetMonitorQueries.TargetStatus MaximalStatus => new("orders", true, "akka.tcp://configmonitor@10.0.0.5:4053",
    [
        new(LoopNames.Performance, 120, At, At, 0, null),
        new(LoopNames.Database, 3, At, null, 3, "connection refused (10.0.0.9:5432)"),
    ])
    {
        Facets =
        [
            new FacetStatus("config", "etcd", "http://etcd:2379", 120, At, 0, null),
            new FacetStatus("database", "sql", "Host=db;Database=config;Password=***", 3, null, 3, "connection refused (10.0.0.9:5432)"),
        ],
    };

    /// <summary>A status from a node that no longer monitors the target (no loops, no facets).</summary>
    public static TargetMonitorQueries.TargetStatus MinimalStatus => new("demo", false, "akka.tcp://configmonitor@127.0.0.1:4053", []);

    /// <summary>A report with a check of every state, one of a target, figures and an error.</summary>
    public static HealthReport Report => HealthReport.Of(At, 12.5,
    [
        new HealthCheckResult("configuration_service", "orders", HealthState.Healthy, "config reads answer", new Dictionary<string, double> { ["access_ms"] = 3.25, ["threshold_ms"] = 50 }, null, 3.5),
        new HealthCheckResult("cache_performance", "orders", HealthState.NotApplicable, "orders has no cache (kind none)", new Dictionary<string, double>(), null, 0),
        new HealthCheckResult("memory_usage", null, HealthState.Degraded, "process memory 600 MB above 500 MB", new Dictionary<string, double> { ["memory_mb"] = 600 }, null, 0.25),
        new HealthCheckResult("database_connectivity", "orders", HealthState.Unhealthy, "the database does not answer", new Dictionary<string, double>(), "connection refused", 5001),
    ]);
}
