using System.Globalization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>Where the node's history is stored.</summary>
public enum PersistenceProvider
{
    /// <summary>A SQLite file in the data folder (the default: nothing to install).</summary>
    Sqlite,
    /// <summary>A PostgreSQL server (for a cluster of several nodes).</summary>
    PostgreSql,
}

/// <summary>Everything a node needs, with the seed's defaults. Read from the "ConfigMonitor" configuration section.</summary>
public sealed record ConfigMonitorOptions
{
    /// <summary>The actor system (and cluster) name.</summary>
    public string ActorSystemName { get; init; } = "configmonitor";

    /// <summary>The folder for the SQLite file and the reference service's database.</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>The address this node listens on for other nodes.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The port this node listens on for other nodes (0: any free port).</summary>
    public int Port { get; init; } = 4053;

    /// <summary>The address other nodes use to reach this one, when it differs from <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }

    /// <summary>Cluster seed nodes; none means this node forms a cluster of its own.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>The cluster role of nodes that monitor targets.</summary>
    public string Role { get; init; } = "monitor";

    /// <summary>The persistence back end.</summary>
    public PersistenceProvider Persistence { get; init; } = PersistenceProvider.Sqlite;

    /// <summary>The connection string; for SQLite, empty means "configmonitor.db in the data folder".</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The first probes of the loops are spread over this much time (at most one interval), so many targets do not probe in step.</summary>
    public TimeSpan LoopStartSpread { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the target registry re-asserts every target to the shard regions.</summary>
    public TimeSpan KeepMonitoringInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>MetricsStore batching.</summary>
    public MetricsStoreSettings Metrics { get; init; } = new();

    /// <summary>Retention and event probes.</summary>
    public MaintenanceSettings Maintenance { get; init; } = new();

    /// <summary>Health-check thresholds.</summary>
    public HealthCheckSettings Health { get; init; } = new();

    /// <summary>Alert rules, reminders, groups and timing.</summary>
    public AlertManagerSettings Alerts { get; init; } = new();

    /// <summary>Notification channels; a log channel when none is configured.</summary>
    public IReadOnlyList<NotificationChannelSettings> Channels { get; init; } =
        [new NotificationChannelSettings { Name = "log", Kind = ChannelKind.Log }];

    /// <summary>Retries and back-off of notification delivery.</summary>
    public DeliverySettings Delivery { get; init; } = new();

    /// <summary>The SQLite file used when <see cref="ConnectionString"/> is empty.</summary>
    public string SqliteFile => Path.GetFullPath(Path.Combine(DataDirectory, "configmonitor.db"));

    /// <summary>The connection string in force.</summary>
    public string EffectiveConnectionString => !string.IsNullOrWhiteSpace(ConnectionString)
        ? ConnectionString
        : Persistence == PersistenceProvider.Sqlite
            ? $"Data Source={SqliteFile};Default Timeout=30;Pooling=True"
            : throw new InvalidOperationException("ConfigMonitor:ConnectionString is required for PostgreSql");
}

/// <summary>A node setting that cannot be used; the message names the field.</summary>
public sealed class InvalidConfigMonitorOptionsException(IReadOnlyList<string> problems)
    : Exception("Invalid ConfigMonitor settings; the node will not start:" + Environment.NewLine
                + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Reads <see cref="ConfigMonitorOptions"/> from configuration, with durations as "30s", "5m", "1h".</summary>
public static class ConfigMonitorOptionsReader
{
    private static ConfigurationValues Values(IConfigurationSection s, List<string> problems) =>
        new(s, (field, what) => problems.Add($"setting '{s.Path}:{field}' {what}"));

    private static AlertRule ReadRule(IConfigurationSection s, AlertRule fallback, List<string> problems)
    {
        var values = Values(s, problems);
        return new(values.Integer("FailureThreshold", fallback.FailureThreshold, 1, 1000), values.Duration("For", fallback.For, allowZero: true),
            values.Integer("SuccessThreshold", fallback.SuccessThreshold, 1, 1000));
    }

    private static AlertManagerSettings ReadAlerts(IConfigurationSection s, AlertManagerSettings d, List<string> problems)
    {
        var values = Values(s, problems);
        var rules = new Dictionary<string, AlertRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in s.GetSection("Rules").GetChildren())
            rules[rule.Key] = ReadRule(rule, AlertRule.Immediate, problems);
        return d with
        {
            Policy = d.Policy with
            {
                WarningRule = ReadRule(s.GetSection("Warning"), d.Policy.WarningRule, problems),
                CriticalRule = ReadRule(s.GetSection("Critical"), d.Policy.CriticalRule, problems),
                Rules = rules,
                RepeatInterval = values.Duration("RepeatInterval", d.Policy.RepeatInterval, allowZero: true),
                GroupMinFailing = values.Integer("GroupMinFailing", d.Policy.GroupMinFailing, 2, 100_000),
            },
            NotifyCheckInterval = values.Duration("NotifyCheckInterval", d.NotifyCheckInterval),
            ReceiverRefreshInterval = values.Duration("ReceiverRefreshInterval", d.ReceiverRefreshInterval),
            GroupsRefreshInterval = values.Duration("GroupsRefreshInterval", d.GroupsRefreshInterval),
        };
    }

    private static List<NotificationChannelSettings> ReadChannels(IConfigurationSection s, List<string> problems)
    {
        var channels = new List<NotificationChannelSettings>();
        foreach (var c in s.GetChildren())
        {
            var name = c["Name"] ?? c.Key;
            if (!Enum.TryParse<ChannelKind>(c["Kind"], ignoreCase: true, out var kind))
            {
                problems.Add($"channel '{name}': field 'Kind' is '{c["Kind"]}'; use log, webhook, alertmanager or pubsub");
                continue;
            }
            var severityText = c["MinSeverity"];
            var severity = AlertSeverity.Info;
            if (severityText is not null && !Enum.TryParse(severityText, ignoreCase: true, out severity))
                problems.Add($"channel '{name}': field 'MinSeverity' is '{severityText}'; use info, warning or critical");
            var categories = new List<AlertCategory>();
            foreach (var text in c.GetSection("Categories").GetChildren().Select(x => x.Value).OfType<string>()
                         .Concat((c["Categories"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (Enum.TryParse<AlertCategory>(text.Replace("_", ""), ignoreCase: true, out var category)) categories.Add(category);
                else problems.Add($"channel '{name}': category '{text}' is not one of performance, health, cache, database, event_system");
            }
            Uri? url = null;
            if (c["Url"] is { } urlText && !Uri.TryCreate(urlText, UriKind.Absolute, out url))
                problems.Add($"channel '{name}': field 'Url' is '{urlText}', which is not an absolute URL");
            var channel = new NotificationChannelSettings
            {
                Name = name, Kind = kind, Url = url, MinSeverity = severity, Categories = categories,
                Timeout = Values(c, problems).Duration("Timeout", TimeSpan.FromSeconds(10)),
                Topic = c["Topic"] ?? "configmonitor.alerts",
            };
            problems.AddRange(channel.Problems());
            channels.Add(channel);
        }
        return channels;
    }

    /// <summary>The configuration section of the node.</summary>
    public const string SectionName = "ConfigMonitor";

    /// <summary>Reads the node settings (not the targets) from <paramref name="section"/>.</summary>
    public static ConfigMonitorOptions Read(IConfigurationSection section)
    {
        var problems = new List<string>();
        var d = new ConfigMonitorOptions();
        var values = Values(section, problems);
        TimeSpan Duration(string field, TimeSpan fallback) => values.Duration(field, fallback);
        double Number(string field, double fallback) => values.Number(field, fallback);
        int Integer(string field, int fallback, int min, int max) => values.Integer(field, fallback, min, max);

        var providerText = section["Persistence"];
        var provider = d.Persistence;
        if (providerText is not null && !Enum.TryParse(providerText, ignoreCase: true, out provider))
            problems.Add($"setting '{SectionName}:Persistence' is '{providerText}'; use Sqlite or PostgreSql");

        var options = d with
        {
            ActorSystemName = section["ActorSystemName"] ?? d.ActorSystemName,
            DataDirectory = section["DataDirectory"] ?? d.DataDirectory,
            Hostname = section["Hostname"] ?? d.Hostname,
            Port = Integer("Port", d.Port, 0, 65535),
            PublicHostname = section["PublicHostname"],
            SeedNodes = section.GetSection("SeedNodes").GetChildren().Select(c => c.Value).OfType<string>().ToList(),
            Role = section["Role"] ?? d.Role,
            Persistence = provider,
            ConnectionString = section["ConnectionString"],
            KeepMonitoringInterval = Duration("KeepMonitoringInterval", d.KeepMonitoringInterval),
            LoopStartSpread = values.Duration("LoopStartSpread", d.LoopStartSpread, allowZero: true),
            Metrics = new MetricsStoreSettings
            {
                FlushInterval = Duration("Metrics:FlushInterval", d.Metrics.FlushInterval),
                BatchSize = Integer("Metrics:BatchSize", d.Metrics.BatchSize, 1, 1_000_000),
                SnapshotEveryBatches = Integer("Metrics:SnapshotEveryBatches", d.Metrics.SnapshotEveryBatches, 1, 1_000_000),
            },
            Maintenance = new MaintenanceSettings
            {
                RetentionInterval = Duration("Maintenance:RetentionInterval", d.Maintenance.RetentionInterval),
                MetricsRetention = Duration("Maintenance:MetricsRetention", d.Maintenance.MetricsRetention),
                AcknowledgedAlertRetention = Duration("Maintenance:AcknowledgedAlertRetention", d.Maintenance.AcknowledgedAlertRetention),
                EventProbeInterval = Duration("Maintenance:EventProbeInterval", d.Maintenance.EventProbeInterval),
                RequestTimeout = Duration("Maintenance:RequestTimeout", d.Maintenance.RequestTimeout),
            },
            Health = new HealthCheckSettings
            {
                MinCacheHitRate = Number("Health:MinCacheHitRate", d.Health.MinCacheHitRate),
                MaxCacheUsage = Number("Health:MaxCacheUsage", d.Health.MaxCacheUsage),
                MinCacheRequests = Integer("Health:MinCacheRequests", (int)d.Health.MinCacheRequests, 0, int.MaxValue),
                MaxProcessMemoryMb = Number("Health:MaxProcessMemoryMb", d.Health.MaxProcessMemoryMb),
                MinDiskFreePercent = Number("Health:MinDiskFreePercent", d.Health.MinDiskFreePercent),
                MaxConsecutiveFailures = Integer("Health:MaxConsecutiveFailures", d.Health.MaxConsecutiveFailures, 1, 1000),
                CheckTimeout = Duration("Health:CheckTimeout", d.Health.CheckTimeout),
            },
        };
        options = options with
        {
            Health = options.Health with { DiskPath = Path.GetFullPath(options.DataDirectory) },
            Alerts = ReadAlerts(section.GetSection("Alerts"), d.Alerts, problems),
            Channels = ReadChannels(section.GetSection("Alerts:Channels"), problems) is { Count: > 0 } channels ? channels : d.Channels,
            Delivery = new DeliverySettings
            {
                QuickRetries = Integer("Alerts:Delivery:QuickRetries", d.Delivery.QuickRetries, 0, 10),
                QuickRetryDelay = Duration("Alerts:Delivery:QuickRetryDelay", d.Delivery.QuickRetryDelay),
                FirstBackoff = Duration("Alerts:Delivery:FirstBackoff", d.Delivery.FirstBackoff),
                MaxBackoff = Duration("Alerts:Delivery:MaxBackoff", d.Delivery.MaxBackoff),
                GiveUpAfter = Duration("Alerts:Delivery:GiveUpAfter", d.Delivery.GiveUpAfter),
            },
        };
        if (options.Persistence == PersistenceProvider.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
            problems.Add($"setting '{SectionName}:ConnectionString' is required when Persistence is PostgreSql");
        if (problems.Count > 0) throw new InvalidConfigMonitorOptionsException(problems);
        return options;
    }
}
