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
    private static TimeSpan ReadDuration(IConfigurationSection s, string field, TimeSpan fallback, List<string> problems, bool allowZero = false)
    {
        var text = s[field];
        if (text is null) return fallback;
        if (Durations.TryParse(text, out var value) && (value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero))) return value;
        problems.Add($"setting '{s.Path}:{field}' is '{text}', which is not a {(allowZero ? "" : "positive ")}duration (write 30s, 5m, 1h)");
        return fallback;
    }

    private static int ReadInteger(IConfigurationSection s, string field, int fallback, int min, int max, List<string> problems)
    {
        var text = s[field];
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        problems.Add($"setting '{s.Path}:{field}' is '{text}'; it must be a whole number from {min} to {max}");
        return fallback;
    }

    private static AlertRule ReadRule(IConfigurationSection s, AlertRule fallback, List<string> problems) => new(
        ReadInteger(s, "FailureThreshold", fallback.FailureThreshold, 1, 1000, problems),
        ReadDuration(s, "For", fallback.For, problems, allowZero: true),
        ReadInteger(s, "SuccessThreshold", fallback.SuccessThreshold, 1, 1000, problems));

    private static AlertManagerSettings ReadAlerts(IConfigurationSection s, AlertManagerSettings d, List<string> problems)
    {
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
                RepeatInterval = ReadDuration(s, "RepeatInterval", d.Policy.RepeatInterval, problems, allowZero: true),
                GroupMinFailing = ReadInteger(s, "GroupMinFailing", d.Policy.GroupMinFailing, 2, 100_000, problems),
            },
            NotifyCheckInterval = ReadDuration(s, "NotifyCheckInterval", d.NotifyCheckInterval, problems),
            ReceiverRefreshInterval = ReadDuration(s, "ReceiverRefreshInterval", d.ReceiverRefreshInterval, problems),
            GroupsRefreshInterval = ReadDuration(s, "GroupsRefreshInterval", d.GroupsRefreshInterval, problems),
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
                Timeout = ReadDuration(c, "Timeout", TimeSpan.FromSeconds(10), problems),
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
        TimeSpan Duration(string field, TimeSpan fallback)
        {
            var text = section[field];
            if (text is null) return fallback;
            if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero) return value;
            problems.Add($"setting '{SectionName}:{field}' is '{text}', which is not a positive duration (write 30s, 5m, 1h)");
            return fallback;
        }
        double Number(string field, double fallback)
        {
            var text = section[field];
            if (text is null) return fallback;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
            problems.Add($"setting '{SectionName}:{field}' is '{text}', which is not a number");
            return fallback;
        }
        int Integer(string field, int fallback, int min, int max)
        {
            var text = section[field];
            if (text is null) return fallback;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
            problems.Add($"setting '{SectionName}:{field}' is '{text}'; it must be a whole number from {min} to {max}");
            return fallback;
        }

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
