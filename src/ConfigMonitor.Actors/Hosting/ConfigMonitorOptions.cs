using System.Globalization;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Protocol;
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

    /// <summary>
    /// How long a node waits at start for a PostgreSQL journal it cannot use (down, refused login, missing database or rights),
    /// not ready meanwhile, before it exits with the "restart me" code.
    /// </summary>
    public TimeSpan JournalStartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The first probes of the loops are spread over this much time (at most one interval), so many targets do not probe in step.</summary>
    public TimeSpan LoopStartSpread { get; init; } = TimeSpan.FromSeconds(5);

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
        return new(values.Integer("FailureThreshold", fallback.FailureThreshold, 1, 1000), values.Duration("For", fallback.For, DurationLimits.AlertHold),
            values.Integer("SuccessThreshold", fallback.SuccessThreshold, 1, 1000));
    }

    private static AlertManagerSettings ReadAlerts(IConfigurationSection s, AlertManagerSettings d, List<string> problems)
    {
        var values = Values(s, problems);
        var rules = new Dictionary<string, AlertRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in s.GetSection("Rules").GetChildren())
        {
            if (TextLimits.Check(rule.Key, TextLimits.Key) is { } tooLong)
                problems.Add($"setting '{Shorten(rule.Path)}': the rule's name {tooLong}");
            else if (AlertRuleNames.Problem(rule.Key) is { } unknown)
                problems.Add($"setting '{Shorten(rule.Path)}' {unknown}");
            else
                rules[rule.Key] = ReadRule(rule, AlertRule.Immediate, problems);
        }
        return d with
        {
            Policy = d.Policy with
            {
                WarningRule = ReadRule(s.GetSection("Warning"), d.Policy.WarningRule, problems),
                CriticalRule = ReadRule(s.GetSection("Critical"), d.Policy.CriticalRule, problems),
                Rules = rules,
                RepeatInterval = values.Duration("RepeatInterval", d.Policy.RepeatInterval, DurationLimits.Reminder, zeroTurnsOff: true),
                GroupMinFailing = values.Integer("GroupMinFailing", d.Policy.GroupMinFailing, 2, 100_000),
            },
            NotifyCheckInterval = values.Duration("NotifyCheckInterval", d.NotifyCheckInterval, DurationLimits.Housekeeping),
            ReceiverRefreshInterval = values.Duration("ReceiverRefreshInterval", d.ReceiverRefreshInterval, DurationLimits.Housekeeping),
            GroupsRefreshInterval = values.Duration("GroupsRefreshInterval", d.GroupsRefreshInterval, DurationLimits.Housekeeping),
        };
    }

    private static List<NotificationChannelSettings> ReadChannels(IConfigurationSection s, List<string> problems)
    {
        var channels = new List<NotificationChannelSettings>();
        foreach (var c in s.GetChildren())
        {
            var name = c["Name"] ?? c.Key;
            if (TextLimits.Check(name, TextLimits.Id) is { } nameTooLong)
            {
                problems.Add($"channel '{Shorten(name)}': its name {nameTooLong}");
                continue;
            }
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
                Timeout = Values(c, problems).Duration("Timeout", TimeSpan.FromSeconds(10), DurationLimits.CallTimeout),
                Topic = Values(c, problems).Text("Topic", TextLimits.Name) ?? "configmonitor.alerts",
            };
            problems.AddRange(channel.Problems());
            channels.Add(channel);
        }
        return channels;
    }

    /// <summary>The configuration section of the node.</summary>
    public const string SectionName = "ConfigMonitor";

    /// <summary>
    /// Every key of the <c>ConfigMonitor</c> section, wherever it is read: this reader, <c>Targets</c> (checked field by field
    /// by <see cref="TargetDefinitionReader"/>), <c>Api:*</c> (the host's ApiSettings) and <c>Demo:Enabled</c> (the host).
    /// <c>*</c> stands for one segment (a channel's or rule's name, an array index), <c>**</c> for the rest of the key.
    /// A key that matches none stops the node, so a misspelt setting is never silently ignored.
    /// </summary>
    public static readonly IReadOnlyList<string> KnownKeys =
    [
        "ActorSystemName", "DataDirectory", "Hostname", "Port", "PublicHostname", "SeedNodes:*", "Role", "Persistence",
        "ConnectionString", "JournalStartTimeout", "LoopStartSpread",
        "Metrics:FlushInterval", "Metrics:BatchSize", "Metrics:SnapshotEveryBatches", "Metrics:RetryBackoff", "Metrics:MaxRetryBackoff",
        "Maintenance:RetentionInterval", "Maintenance:MetricsRetention", "Maintenance:AcknowledgedAlertRetention",
        "Maintenance:EventProbeInterval", "Maintenance:RequestTimeout",
        "Health:MinCacheHitRate", "Health:MaxCacheUsage", "Health:MinCacheRequests", "Health:MaxProcessMemoryMb",
        "Health:MinDiskFreePercent", "Health:MaxConsecutiveFailures", "Health:CheckTimeout",
        "Alerts:Warning:FailureThreshold", "Alerts:Warning:For", "Alerts:Warning:SuccessThreshold",
        "Alerts:Critical:FailureThreshold", "Alerts:Critical:For", "Alerts:Critical:SuccessThreshold",
        "Alerts:Rules:*:FailureThreshold", "Alerts:Rules:*:For", "Alerts:Rules:*:SuccessThreshold",
        "Alerts:RepeatInterval", "Alerts:GroupMinFailing", "Alerts:NotifyCheckInterval", "Alerts:ReceiverRefreshInterval",
        "Alerts:GroupsRefreshInterval",
        "Alerts:Channels:*:Name", "Alerts:Channels:*:Kind", "Alerts:Channels:*:Url", "Alerts:Channels:*:MinSeverity",
        "Alerts:Channels:*:Categories", "Alerts:Channels:*:Categories:*", "Alerts:Channels:*:Timeout", "Alerts:Channels:*:Topic",
        "Alerts:Delivery:QuickRetries", "Alerts:Delivery:QuickRetryDelay", "Alerts:Delivery:FirstBackoff",
        "Alerts:Delivery:MaxBackoff", "Alerts:Delivery:GiveUpAfter",
        "Api:Url", "Api:Token", "Api:AskTimeout",
        "Demo:Enabled", "Demo:Url",
        "Targets:**",
    ];

    /// <summary>The problems of keys in <paramref name="section"/> that no setting reads: each names the key and the known keys beside it.</summary>
    public static IReadOnlyList<string> UnknownKeyProblems(IConfigurationSection section)
    {
        var patterns = KnownKeys.Select(k => k.Split(':')).ToList();
        var problems = new List<string>();
        foreach (var (key, value) in KeysToCheck(section, patterns))
        {
            if (value is null) continue;
            var segments = key.Split(':');
            // An empty JSON object ("Alerts": {}) arrives as an empty value at its section's key.
            var known = patterns.Any(p => Matches(p, segments) || (value.Length == 0 && IsSectionOf(p, segments)));
            if (known) continue;
            var depth = segments.Length - 1;
            while (depth > 0 && !patterns.Any(p => p.Length > depth && IsSectionOf(p, segments[..depth]))) depth--;
            var siblings = patterns.Where(p => p.Length > depth && IsSectionOf(p, segments[..depth]))
                .Select(p => p[depth] + (p.Length > depth + 1 ? ":…" : "")).Distinct(StringComparer.OrdinalIgnoreCase);
            var where = depth == 0 ? $"'{SectionName}'" : $"'{SectionName}:{string.Join(':', segments[..depth])}'";
            problems.Add($"setting '{SectionName}:{Shorten(key)}' is not a known key (known in {where}: {string.Join(", ", siblings)})");
        }
        return problems;

        // Every key of the section except those under a child whose every key is known ("Targets:**": the target reader checks
        // them). Listing a section's keys costs a scan of every key per child listed, so walking 10,000 targets here took minutes.
        static IEnumerable<KeyValuePair<string, string?>> KeysToCheck(IConfigurationSection section, List<string[]> patterns)
        {
            foreach (var child in section.GetChildren())
            {
                if (patterns.Any(p => p.Length == 2 && p[1] == "**" && SegmentMatches(p[0], child.Key)))
                {
                    // A value at the section itself ("Targets": "x") is still a mistake to name.
                    if (child.Value is { Length: > 0 }) yield return new KeyValuePair<string, string?>(child.Key, child.Value);
                    continue;
                }
                yield return new KeyValuePair<string, string?>(child.Key, child.Value);
                foreach (var (key, value) in child.AsEnumerable(makePathsRelative: true))
                    yield return new KeyValuePair<string, string?>($"{child.Key}:{key}", value);
            }
        }

        static bool SegmentMatches(string pattern, string segment) =>
            pattern == "*" || string.Equals(pattern, segment, StringComparison.OrdinalIgnoreCase);

        static bool Matches(string[] pattern, string[] key)
        {
            for (var i = 0; i < pattern.Length; i++)
            {
                if (pattern[i] == "**") return key.Length > i;
                if (i >= key.Length || !SegmentMatches(pattern[i], key[i])) return false;
            }
            return key.Length == pattern.Length;
        }

        // True when the key is a section (a proper prefix) of the pattern.
        static bool IsSectionOf(string[] pattern, string[] key)
        {
            if (key.Length >= pattern.Length && pattern[^1] != "**") return false;
            for (var i = 0; i < key.Length && i < pattern.Length; i++)
            {
                if (pattern[i] == "**") return true;
                if (!SegmentMatches(pattern[i], key[i])) return false;
            }
            return key.Length < pattern.Length;
        }
    }

    private static string? SystemNameProblem(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
            ? null
            : $"is '{Shorten(name)}'; an actor system name has letters, digits, '-' and '_' only and starts with a letter or digit, such as configmonitor";

    private const string RateRange = "a fraction from 0 to 1 (0.7 is 70%)";
    private const double MaxMemoryMb = 16 * 1024 * 1024; // 16 TiB: anything larger is a typo.

    /// <summary>
    /// What is wrong with <paramref name="seed"/> as a cluster seed node of the system <paramref name="systemName"/> (the words
    /// after the setting's name); null when it is an address such as <c>akka.tcp://configmonitor@host:4053</c>.
    /// </summary>
    public static string? SeedNodeProblem(string seed, string systemName)
    {
        var example = $"akka.tcp://{systemName}@host:4053";
        if (!Akka.Actor.ActorPath.TryParseAddress(seed, out var address) || address is null)
        {
            var why = !seed.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(seed, UriKind.Absolute, out var uri) ? "which is not an Akka address"
                : !uri.Scheme.StartsWith("akka", StringComparison.Ordinal) ? $"which uses '{Shorten(uri.Scheme)}://'; seed nodes are reached over akka.tcp://"
                : uri.IsDefaultPort ? "which names no port"
                : "which is not an Akka address";
            return $"is '{Shorten(seed)}', {why}; write {example}";
        }
        if (address.Protocol != "akka.tcp")
            return $"is '{Shorten(seed)}', which uses '{Shorten(address.Protocol)}://'; seed nodes are reached over akka.tcp://, as in {example}";
        if (TargetDefinitionReader.HostAndPortProblem(address) is { } hostAndPort)
            return $"is '{Shorten(seed)}', which {hostAndPort}; write {example}";
        if (address.System != systemName)
            return $"is '{Shorten(seed)}', which names the actor system '{Shorten(address.System)}', but ConfigMonitor:ActorSystemName is " +
                   $"'{systemName}': a node joins only a cluster of its own name; write {example} or change ActorSystemName on every node";
        var afterAt = seed[(seed.IndexOf('@') + 1)..];
        if (afterAt.IndexOf('/') is >= 0 and var slash && afterAt[(slash + 1)..].Length > 0)
            return $"is '{Shorten(seed)}', which has a path after the port; a seed node is an address only, such as {example}";
        return null;
    }

    /// <summary>
    /// What is wrong with the connection string (the words after the setting's name); null when the provider's syntax
    /// accepts it. The message never repeats the string or a value from it (it may hold a password).
    /// </summary>
    public static string? ConnectionStringProblem(PersistenceProvider provider, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return null;
        const string Syntax = "write key=value pairs separated by ';'";
        try
        {
            if (provider == PersistenceProvider.Sqlite)
            {
                var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
                if (string.IsNullOrWhiteSpace(sqlite.DataSource))
                    return $"names no Data Source; {Syntax}, such as 'Data Source=data/configmonitor.db' (or leave it empty for configmonitor.db in the data folder)";
                return null;
            }
            // Npgsql is not referenced by the node yet: the generic builder checks the key=value syntax.
            var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
            if (!generic.ContainsKey("Host") && !generic.ContainsKey("Server"))
                return $"names no Host; {Syntax}, such as 'Host=db.example;Database=configmonitor;Username=monitor;Password=…'";
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // Only keys are named (never values): a key the provider does not know, when the syntax itself is right.
            var keyword = "";
            if (provider == PersistenceProvider.Sqlite && TryKeys(connectionString) is { } keys
                && keys.FirstOrDefault(k => !new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder().ContainsKey(k)) is { } unknown
                // A key is named only when it cannot be a value typed in the wrong place (a password).
                && System.Text.RegularExpressions.Regex.IsMatch(unknown, "^[A-Za-z][A-Za-z ]{0,39}$")
                && !unknown.Contains("pass", StringComparison.OrdinalIgnoreCase) && !unknown.Contains("pwd", StringComparison.OrdinalIgnoreCase))
                keyword = $" (it has the key '{Shorten(unknown)}', which SQLite does not know; known keys include Data Source, Mode, Cache, Password, Default Timeout, Pooling)";
            var example = provider == PersistenceProvider.Sqlite
                ? "'Data Source=data/configmonitor.db;Default Timeout=30'"
                : "'Host=db.example;Database=configmonitor;Username=monitor;Password=…'";
            return $"is not a valid {(provider == PersistenceProvider.Sqlite ? "SQLite" : "PostgreSQL")} connection string{keyword}; {Syntax}, such as {example}";
        }
    }

    private static IReadOnlyList<string>? TryKeys(string connectionString)
    {
        try
        {
            return new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().ToList();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => TextLimits.Quote(text, 80);

    /// <summary>Reads the node settings (not the targets) from <paramref name="section"/>.</summary>
    public static ConfigMonitorOptions Read(IConfigurationSection section)
    {
        var problems = UnknownKeyProblems(section).ToList();
        var d = new ConfigMonitorOptions();
        var values = Values(section, problems);
        TimeSpan Duration(string field, TimeSpan fallback, DurationRange range) => values.Duration(field, fallback, range);
        T Refused<T>(string field, string what, T fallback)
        {
            problems.Add($"setting '{SectionName}:{field}' {what}");
            return fallback;
        }
        string? HostName(string field)
        {
            var text = section[field];
            if (text is null) return null;
            if (Uri.CheckHostName(text.Trim('[', ']')) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6) return text;
            return Refused<string?>(field, $"is '{Shorten(text)}', which is not a host name or IP address (such as 127.0.0.1 or monitor1.example.org)", null);
        }
        double Number(string field, double fallback, double min, double max, string what)
        {
            var value = values.Number(field, fallback);
            if (value >= min && value <= max) return value;
            problems.Add($"setting '{SectionName}:{field}' is '{section[field]}'; it must be {what}");
            return fallback;
        }
        int Integer(string field, int fallback, int min, int max) => values.Integer(field, fallback, min, max);

        var providerText = section["Persistence"];
        var provider = d.Persistence;
        if (providerText is not null && !Enum.TryParse(providerText, ignoreCase: true, out provider))
            problems.Add($"setting '{SectionName}:Persistence' is '{providerText}'; use Sqlite or PostgreSql");

        var options = d with
        {
            ActorSystemName = values.Text("ActorSystemName", TextLimits.Id) is { } systemName
                ? SystemNameProblem(systemName) is { } wrongName ? Refused("ActorSystemName", wrongName, d.ActorSystemName) : systemName
                : d.ActorSystemName,
            DataDirectory = section["DataDirectory"] ?? d.DataDirectory,
            Hostname = HostName("Hostname") ?? d.Hostname,
            Port = Integer("Port", d.Port, 0, 65535),
            PublicHostname = HostName("PublicHostname"),
            SeedNodes = section.GetSection("SeedNodes").GetChildren().Where(c => c.Value is not null).Select(c => c.Value!.Trim()).ToList(),
            Role = values.Text("Role", TextLimits.Id) ?? d.Role,
            Persistence = provider,
            ConnectionString = section["ConnectionString"],
            JournalStartTimeout = Duration("JournalStartTimeout", d.JournalStartTimeout, DurationLimits.CallTimeout),
            LoopStartSpread = Duration("LoopStartSpread", d.LoopStartSpread, DurationLimits.LoopStartSpread),
            Metrics = new MetricsStoreSettings
            {
                FlushInterval = Duration("Metrics:FlushInterval", d.Metrics.FlushInterval, DurationLimits.Housekeeping),
                BatchSize = Integer("Metrics:BatchSize", d.Metrics.BatchSize, 1, 1_000_000),
                SnapshotEveryBatches = Integer("Metrics:SnapshotEveryBatches", d.Metrics.SnapshotEveryBatches, 1, 1_000_000),
                RetryBackoff = Duration("Metrics:RetryBackoff", d.Metrics.RetryBackoff, DurationLimits.Housekeeping),
                MaxRetryBackoff = Duration("Metrics:MaxRetryBackoff", d.Metrics.MaxRetryBackoff, DurationLimits.Housekeeping),
            },
            Maintenance = new MaintenanceSettings
            {
                RetentionInterval = Duration("Maintenance:RetentionInterval", d.Maintenance.RetentionInterval, DurationLimits.Housekeeping),
                MetricsRetention = Duration("Maintenance:MetricsRetention", d.Maintenance.MetricsRetention, DurationLimits.Retention),
                AcknowledgedAlertRetention = Duration("Maintenance:AcknowledgedAlertRetention", d.Maintenance.AcknowledgedAlertRetention, DurationLimits.Retention),
                EventProbeInterval = Duration("Maintenance:EventProbeInterval", d.Maintenance.EventProbeInterval, DurationLimits.LoopInterval),
                RequestTimeout = Duration("Maintenance:RequestTimeout", d.Maintenance.RequestTimeout, DurationLimits.CallTimeout),
            },
            Health = new HealthCheckSettings
            {
                MinCacheHitRate = Number("Health:MinCacheHitRate", d.Health.MinCacheHitRate, 0, 1, RateRange),
                MaxCacheUsage = Number("Health:MaxCacheUsage", d.Health.MaxCacheUsage, 0, 1, RateRange),
                MinCacheRequests = Integer("Health:MinCacheRequests", (int)d.Health.MinCacheRequests, 0, 1_000_000_000),
                MaxProcessMemoryMb = Number("Health:MaxProcessMemoryMb", d.Health.MaxProcessMemoryMb, 1, MaxMemoryMb,
                    $"a number of megabytes from 1 to {MaxMemoryMb:0} (the seed's is 500)"),
                MinDiskFreePercent = Number("Health:MinDiskFreePercent", d.Health.MinDiskFreePercent, 0, 100,
                    "a percentage from 0 to 100 (the seed's is 10)"),
                MaxConsecutiveFailures = Integer("Health:MaxConsecutiveFailures", d.Health.MaxConsecutiveFailures, 1, 1000),
                CheckTimeout = Duration("Health:CheckTimeout", d.Health.CheckTimeout, DurationLimits.CallTimeout),
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
                QuickRetryDelay = Duration("Alerts:Delivery:QuickRetryDelay", d.Delivery.QuickRetryDelay, DurationLimits.DeliveryBackoff),
                FirstBackoff = Duration("Alerts:Delivery:FirstBackoff", d.Delivery.FirstBackoff, DurationLimits.DeliveryBackoff),
                MaxBackoff = Duration("Alerts:Delivery:MaxBackoff", d.Delivery.MaxBackoff, DurationLimits.DeliveryBackoff),
                GiveUpAfter = Duration("Alerts:Delivery:GiveUpAfter", d.Delivery.GiveUpAfter, DurationLimits.DeliveryGiveUp),
            },
        };
        if (options.Delivery.FirstBackoff > options.Delivery.MaxBackoff)
            problems.Add($"setting '{SectionName}:Alerts:Delivery:FirstBackoff' is '{Durations.Format(options.Delivery.FirstBackoff)}', " +
                         $"longer than Alerts:Delivery:MaxBackoff ('{Durations.Format(options.Delivery.MaxBackoff)}'); make it at most that");
        if (options.Metrics.RetryBackoff > options.Metrics.MaxRetryBackoff)
            problems.Add($"setting '{SectionName}:Metrics:RetryBackoff' is '{Durations.Format(options.Metrics.RetryBackoff)}', " +
                         $"longer than Metrics:MaxRetryBackoff ('{Durations.Format(options.Metrics.MaxRetryBackoff)}'); make it at most that");
        if (options.Persistence == PersistenceProvider.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
            problems.Add($"setting '{SectionName}:ConnectionString' is required when Persistence is PostgreSql");
        else if (ConnectionStringProblem(options.Persistence, options.ConnectionString) is { } connection)
            problems.Add($"setting '{SectionName}:ConnectionString' {connection}");
        foreach (var (seed, index) in section.GetSection("SeedNodes").GetChildren().Where(c => c.Value is not null).Select((c, i) => (c, i)))
            if (SeedNodeProblem(seed.Value!.Trim(), options.ActorSystemName) is { } wrong)
                problems.Add($"setting '{SectionName}:SeedNodes:{seed.Key}' {wrong}");
        if (problems.Count > 0) throw new InvalidConfigMonitorOptionsException(problems);
        return options;
    }
}

/// <summary>
/// The alert rules a node raises, by category: the one list that <c>ConfigMonitor:Alerts:Rules:&lt;category&gt;/&lt;rule&gt;</c>
/// keys are checked against (<c>&lt;category&gt;/*</c> covers every rule of a known category).
/// </summary>
public static class AlertRuleNames
{
    /// <summary>Category name (as in alerts: performance, health, …) → the rules raised in it.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByCategory = new Dictionary<string, IReadOnlyList<string>>
    {
        [AlertNames.Category(AlertCategory.Performance)] = [Monitoring.PerformanceLoopActor.AccessTimeRule, Monitoring.PerformanceLoopActor.ReadFailedRule],
        [AlertNames.Category(AlertCategory.Health)] = [Monitoring.HealthLoopActor.ServiceHealthRule, Monitoring.HealthLoopActor.ProcessMemoryRule, AlertBook.GroupRule],
        [AlertNames.Category(AlertCategory.Cache)] = [Monitoring.CacheLoopActor.HitRateRule, Monitoring.CacheLoopActor.UsageRule, Monitoring.CacheLoopActor.StatsFailedRule],
        [AlertNames.Category(AlertCategory.Database)] = [Monitoring.DatabaseLoopActor.ResponseTimeRule, Monitoring.DatabaseLoopActor.UnreachableRule, Monitoring.DatabaseLoopActor.StorageQuotaRule],
        [AlertNames.Category(AlertCategory.EventSystem)] = [MaintenanceActor.EventDeliveryRule],
    };

    /// <summary>What is wrong with <paramref name="key"/> as a rule's key (the words after the setting's name); null when it names a known rule or <c>category/*</c>.</summary>
    public static string? Problem(string key)
    {
        var slash = key.IndexOf('/');
        var categories = string.Join(", ", ByCategory.Keys);
        if (slash < 0)
            return $"is not '<category>/<rule>' or '<category>/*' (categories: {categories}), such as 'cache/hit_rate'";
        var category = key[..slash];
        var rule = key[(slash + 1)..];
        var known = ByCategory.FirstOrDefault(c => string.Equals(c.Key, category, StringComparison.OrdinalIgnoreCase));
        if (known.Value is null)
            return $"names the category '{category}', which is not one of {categories}";
        if (rule == "*" || known.Value.Contains(rule, StringComparer.OrdinalIgnoreCase)) return null;
        return $"names the rule '{rule}', which {known.Key} does not have; its rules are {string.Join(", ", known.Value)} (or {known.Key}/* for all of them)";
    }
}
