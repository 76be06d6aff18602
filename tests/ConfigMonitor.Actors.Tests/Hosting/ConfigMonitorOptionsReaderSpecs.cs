using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Hosting;

/// <summary>The node's settings: every duration bounded, every key known, texts that end up in messages limited.</summary>
public sealed class ConfigMonitorOptionsReaderSpecs
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("ConfigMonitor:" + v.Key, v.Value)))
            .Build()
            .GetSection(ConfigMonitorOptionsReader.SectionName);

    private static IReadOnlyList<string> ProblemsOf(params (string Key, string Value)[] values)
    {
        try
        {
            ConfigMonitorOptionsReader.Read(Section(values));
            return [];
        }
        catch (InvalidConfigMonitorOptionsException e)
        {
            return e.Problems;
        }
    }

    /// <summary>Every duration setting of the section, with its range and its default.</summary>
    public static TheoryData<string, string, string, string> DurationSettings() => new()
    {
        // key, smallest accepted, largest accepted, the range text
        { "LoopStartSpread", "0s", "24h", "0s to 1d" },
        { "Metrics:FlushInterval", "100ms", "1h", "100ms to 1h" },
        { "Metrics:RetryBackoff", "100ms", "30s", "100ms to 1h" }, // at most the default MaxRetryBackoff
        { "Metrics:MaxRetryBackoff", "1s", "1h", "100ms to 1h" }, // at least the default RetryBackoff
        { "Maintenance:RetentionInterval", "100ms", "1h", "100ms to 1h" },
        { "Maintenance:MetricsRetention", "1h", "365d", "1h to 365d" },
        { "Maintenance:AcknowledgedAlertRetention", "1h", "365d", "1h to 365d" },
        { "Maintenance:EventProbeInterval", "100ms", "24h", "100ms to 1d" },
        { "Maintenance:RequestTimeout", "100ms", "5m", "100ms to 5m" },
        { "Health:CheckTimeout", "100ms", "5m", "100ms to 5m" },
        { "Alerts:Warning:For", "0s", "24h", "0s to 1d" },
        { "Alerts:Critical:For", "0s", "24h", "0s to 1d" },
        { "Alerts:Rules:cache/hit_rate:For", "0s", "24h", "0s to 1d" },
        { "Alerts:RepeatInterval", "1m", "30d", "1m to 30d" },
        { "Alerts:NotifyCheckInterval", "100ms", "1h", "100ms to 1h" },
        { "Alerts:ReceiverRefreshInterval", "100ms", "1h", "100ms to 1h" },
        { "Alerts:GroupsRefreshInterval", "100ms", "1h", "100ms to 1h" },
        { "Alerts:Channels:ops:Timeout", "100ms", "5m", "100ms to 5m" },
        { "Alerts:Delivery:QuickRetryDelay", "100ms", "1h", "100ms to 1h" },
        { "Alerts:Delivery:FirstBackoff", "100ms", "5m", "100ms to 1h" },
        { "Alerts:Delivery:MaxBackoff", "1s", "1h", "100ms to 1h" },
        { "Alerts:Delivery:GiveUpAfter", "1m", "7d", "1m to 7d" },
    };

    private static (string, string)[] With(string key, string value) =>
        key.StartsWith("Alerts:Channels:ops:") ? [(key, value), ("Alerts:Channels:ops:Kind", "log")] : [(key, value)];

    [Theory]
    [MemberData(nameof(DurationSettings))]
    public void Every_duration_setting_should_take_its_range_and_refuse_outside_it_and_non_durations(string key, string min, string max, string range)
    {
        Assert.Empty(ProblemsOf(With(key, min)));
        Assert.Empty(ProblemsOf(With(key, max)));
        var longest = Durations.Format(Durations.Largest);
        foreach (var text in new[] { longest, "3650d" }.Where(t => t != max))
            Assert.Contains($"setting 'ConfigMonitor:{key}' is '{text}', outside {range}", Assert.Single(ProblemsOf(With(key, text))));
        foreach (var text in new[] { "30", "-1s", "99999999999d", "soon", "1e3s" })
            Assert.Contains($"setting 'ConfigMonitor:{key}' is '{text}', which is not a duration", Assert.Single(ProblemsOf(With(key, text))));
    }

    [Fact]
    public void Every_default_should_be_within_its_range()
    {
        var options = ConfigMonitorOptionsReader.Read(Section());
        foreach (var (key, _, _, _) in DurationSettings().Select(row => ((string)row[0], (string)row[1], (string)row[2], (string)row[3])))
            Assert.Empty(ProblemsOf(With(key, DefaultOf(options, key))));
    }

    private static string DefaultOf(ConfigMonitorOptions o, string key) => Durations.Format(key switch
    {
        "LoopStartSpread" => o.LoopStartSpread,
        "Metrics:FlushInterval" => o.Metrics.FlushInterval,
        "Metrics:RetryBackoff" => o.Metrics.RetryBackoff,
        "Metrics:MaxRetryBackoff" => o.Metrics.MaxRetryBackoff,
        "Maintenance:RetentionInterval" => o.Maintenance.RetentionInterval,
        "Maintenance:MetricsRetention" => o.Maintenance.MetricsRetention,
        "Maintenance:AcknowledgedAlertRetention" => o.Maintenance.AcknowledgedAlertRetention,
        "Maintenance:EventProbeInterval" => o.Maintenance.EventProbeInterval,
        "Maintenance:RequestTimeout" => o.Maintenance.RequestTimeout,
        "Health:CheckTimeout" => o.Health.CheckTimeout,
        "Alerts:Warning:For" => o.Alerts.Policy.WarningRule.For,
        "Alerts:Critical:For" => o.Alerts.Policy.CriticalRule.For,
        "Alerts:Rules:cache/hit_rate:For" => TimeSpan.Zero,
        "Alerts:RepeatInterval" => o.Alerts.Policy.RepeatInterval,
        "Alerts:NotifyCheckInterval" => o.Alerts.NotifyCheckInterval,
        "Alerts:ReceiverRefreshInterval" => o.Alerts.ReceiverRefreshInterval,
        "Alerts:GroupsRefreshInterval" => o.Alerts.GroupsRefreshInterval,
        "Alerts:Channels:ops:Timeout" => TimeSpan.FromSeconds(10),
        "Alerts:Delivery:QuickRetryDelay" => o.Delivery.QuickRetryDelay,
        "Alerts:Delivery:FirstBackoff" => o.Delivery.FirstBackoff,
        "Alerts:Delivery:MaxBackoff" => o.Delivery.MaxBackoff,
        "Alerts:Delivery:GiveUpAfter" => o.Delivery.GiveUpAfter,
        _ => throw new ArgumentException(key),
    });

    [Fact]
    public void Reminders_can_be_turned_off_with_zero_but_not_set_below_a_minute()
    {
        Assert.Equal(TimeSpan.Zero, ConfigMonitorOptionsReader.Read(Section(("Alerts:RepeatInterval", "0s"))).Alerts.Policy.RepeatInterval);
        Assert.Contains("is '10s', outside 1m to 30d (or 0s to turn it off)", Assert.Single(ProblemsOf(("Alerts:RepeatInterval", "10s"))));
    }

    [Fact]
    public void A_first_backoff_longer_than_the_longest_should_be_refused()
    {
        Assert.Contains("'ConfigMonitor:Alerts:Delivery:FirstBackoff' is '10m', longer than Alerts:Delivery:MaxBackoff ('5m')",
            Assert.Single(ProblemsOf(("Alerts:Delivery:FirstBackoff", "10m"))));
    }

    [Theory]
    [InlineData("Metrics:FlushIntervall", "'ConfigMonitor:Metrics'", "FlushInterval, BatchSize, SnapshotEveryBatches")]
    [InlineData("Frobnicate", "'ConfigMonitor'", "ActorSystemName, DataDirectory, Hostname")]
    [InlineData("Api:Tokn", "'ConfigMonitor:Api'", "Url, Token, AskTimeout")]
    [InlineData("Demo:Enable", "'ConfigMonitor:Demo'", "Enabled")]
    [InlineData("Alerts:Channels:ops:Kindd", "'ConfigMonitor:Alerts:Channels:ops'", "Name, Kind, Url, MinSeverity, Categories, Categories:…, Timeout, Topic")]
    [InlineData("Alerts:Rules:cache/hit_rate:Threshold", "'ConfigMonitor:Alerts:Rules:cache/hit_rate'", "FailureThreshold, For, SuccessThreshold")]
    [InlineData("Alerts:Warnings:For", "'ConfigMonitor:Alerts'", "Warning:…, Critical:…, Rules:…, RepeatInterval")]
    [InlineData("Metrics:FlushInterval:Extra", "'ConfigMonitor:Metrics'", "FlushInterval, BatchSize")]
    [InlineData("SeedNodes:0:Host", "'ConfigMonitor:SeedNodes:0'", "")]
    [InlineData("Targets", "'ConfigMonitor'", "ActorSystemName, DataDirectory, Hostname")]
    public void An_unknown_key_should_be_refused_naming_it_and_the_known_keys_beside_it(string key, string section, string known)
    {
        // (Keys under Targets are the target reader's to check; a value at Targets itself is still named here.)
        var problem = Assert.Single(ProblemsOf((key, "5s"), ("Alerts:Channels:ops:Kind", "log")));

        Assert.StartsWith($"setting 'ConfigMonitor:{key}' is not a known key (known in ", problem);
        if (known.Length > 0) Assert.Contains($"known in {section}: {known}", problem);
    }

    [Fact]
    public void Every_key_read_from_the_section_anywhere_should_be_known()
    {
        // What the host reads (Api, Demo), the targets' own reader, arrays, named channels and rules, and empty sections.
        var problems = ProblemsOf(
            ("ActorSystemName", "configmonitor"), ("DataDirectory", "data"), ("Hostname", "127.0.0.1"), ("Port", "4053"),
            ("PublicHostname", "monitor1"), ("SeedNodes:0", "akka.tcp://configmonitor@monitor1:4053"), ("Role", "monitor"),
            ("Persistence", "Sqlite"), ("ConnectionString", ""), ("LoopStartSpread", "5s"),
            ("Metrics:FlushInterval", "5s"), ("Metrics:BatchSize", "500"), ("Metrics:SnapshotEveryBatches", "100"),
            ("Maintenance:RetentionInterval", "1h"), ("Maintenance:MetricsRetention", "24h"), ("Maintenance:AcknowledgedAlertRetention", "72h"),
            ("Maintenance:EventProbeInterval", "60s"), ("Maintenance:RequestTimeout", "30s"),
            ("Health:MinCacheHitRate", "0.7"), ("Health:MaxCacheUsage", "0.95"), ("Health:MinCacheRequests", "20"),
            ("Health:MaxProcessMemoryMb", "500"), ("Health:MinDiskFreePercent", "10"), ("Health:MaxConsecutiveFailures", "3"),
            ("Health:CheckTimeout", "10s"),
            ("Alerts:Warning:FailureThreshold", "2"), ("Alerts:Warning:For", "0s"), ("Alerts:Warning:SuccessThreshold", "2"),
            ("Alerts:Critical:FailureThreshold", "1"), ("alerts:critical:for", "1m"), ("Alerts:Critical:SuccessThreshold", "2"),
            ("Alerts:Rules:cache/hit_rate:FailureThreshold", "5"), ("Alerts:Rules:cache/*:For", "5m"),
            ("Alerts:RepeatInterval", "4h"), ("Alerts:GroupMinFailing", "2"), ("Alerts:NotifyCheckInterval", "15s"),
            ("Alerts:ReceiverRefreshInterval", "1m"), ("Alerts:GroupsRefreshInterval", "30s"),
            ("Alerts:Channels:ops:Kind", "webhook"), ("Alerts:Channels:ops:Url", "http://127.0.0.1:1/hook"),
            ("Alerts:Channels:ops:MinSeverity", "critical"), ("Alerts:Channels:ops:Categories", "database,cache"),
            ("Alerts:Channels:ops:Timeout", "10s"), ("Alerts:Channels:0:Name", "bus"), ("Alerts:Channels:0:Kind", "pubsub"),
            ("Alerts:Channels:0:Topic", "configmonitor.alerts"), ("Alerts:Channels:0:Categories:0", "health"),
            ("Alerts:Delivery:QuickRetries", "2"), ("Alerts:Delivery:QuickRetryDelay", "200ms"), ("Alerts:Delivery:FirstBackoff", "1s"),
            ("Alerts:Delivery:MaxBackoff", "5m"), ("Alerts:Delivery:GiveUpAfter", "24h"),
            ("Api:Url", "http://127.0.0.1:9110"), ("Api:Token", "t"), ("Api:AskTimeout", "10s"), ("Demo:Enabled", "true"),
            ("Targets:orders:Endpoint", "/user/x"), ("Targets:orders:Performance:Interval", "5s"), ("Targets:0:Id", "a"),
            ("Maintenance", ""), ("Alerts:Rules", ""));

        Assert.Empty(problems);
    }

    [Fact]
    public void The_systemd_example_environment_file_should_name_only_known_keys()
    {
        var file = Path.Combine(RepositoryRoot(), "deploy", "systemd", "configmonitor.env.example");
        var keys = File.ReadAllLines(file)
            .Select(line => line.TrimStart('#').Trim())
            .Where(line => line.StartsWith("ConfigMonitor__", StringComparison.Ordinal) && line.Contains('='))
            .Select(line => (Key: line[..line.IndexOf('=')]["ConfigMonitor__".Length..].Replace("__", ":"), Value: line[(line.IndexOf('=') + 1)..]))
            .ToList();

        Assert.True(keys.Count > 20, $"read only {keys.Count} keys from {file}");
        var section = Section(keys.Select(k => (k.Key, k.Value)).ToArray());
        Assert.Empty(ConfigMonitorOptionsReader.UnknownKeyProblems(section));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ConfigMonitor.Actors.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new DirectoryNotFoundException("the repository root (ConfigMonitor.Actors.sln)");
    }

    [Fact]
    public void Channel_names_topics_and_rule_names_should_be_limited_like_the_fields_they_become()
    {
        var problems = ProblemsOf(
            ("Alerts:Channels:" + new string('c', 101) + ":Kind", "log"),
            ("Alerts:Channels:bus:Kind", "pubsub"), ("Alerts:Channels:bus:Topic", new string('t', 201)),
            ("Alerts:Rules:" + new string('r', 257) + ":For", "1m"));

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("its name is 101 characters long; the limit is 100"));
        Assert.Contains(problems, p => p.Contains("'ConfigMonitor:Alerts:Channels:bus:Topic' is 201 characters long; the limit is 200"));
        Assert.Contains(problems, p => p.Contains("the rule's name is 257 characters long; the limit is 256"));
        Assert.All(problems, p => Assert.True(p.Length < 300, p));
    }
    [Theory]
    // key, smallest accepted, largest accepted, refused values, the words of the range
    [InlineData("Health:MinCacheHitRate", "0", "1", "1.5|-0.1|70", "a fraction from 0 to 1")]
    [InlineData("Health:MaxCacheUsage", "0", "1", "-2|1.01|95", "a fraction from 0 to 1")]
    [InlineData("Health:MaxProcessMemoryMb", "1", "16777216", "-1|0|0.5|1e12", "a number of megabytes from 1 to 16777216")]
    [InlineData("Health:MinDiskFreePercent", "0", "100", "150|-1|100.5", "a percentage from 0 to 100")]
    public void Every_health_threshold_should_take_its_range_and_refuse_outside_it(string key, string min, string max, string refused, string range)
    {
        Assert.Empty(ProblemsOf((key, min)));
        Assert.Empty(ProblemsOf((key, max)));
        foreach (var text in refused.Split('|'))
            Assert.StartsWith($"setting 'ConfigMonitor:{key}' is '{text}'; it must be {range}", Assert.Single(ProblemsOf((key, text))));
        Assert.Contains("is 'NaN', which is not a number", Assert.Single(ProblemsOf((key, "NaN"))));
    }

    [Theory]
    [InlineData("Port", "-1")]
    [InlineData("Port", "65536")]
    [InlineData("Health:MinCacheRequests", "-1")]
    [InlineData("Health:MaxConsecutiveFailures", "0")]
    [InlineData("Metrics:BatchSize", "0")]
    [InlineData("Metrics:SnapshotEveryBatches", "0")]
    [InlineData("Alerts:GroupMinFailing", "1")]
    [InlineData("Alerts:Delivery:QuickRetries", "11")]
    [InlineData("Alerts:Warning:FailureThreshold", "0")]
    [InlineData("Alerts:Critical:SuccessThreshold", "1001")]
    public void Every_whole_number_setting_should_refuse_values_outside_its_range(string key, string value) =>
        Assert.StartsWith($"setting 'ConfigMonitor:{key}' is '{value}'; it must be a whole number from ", Assert.Single(ProblemsOf((key, value))));

    [Theory]
    [InlineData("Data Source=/tmp/x.db")]
    [InlineData("Data Source=data/configmonitor.db;Default Timeout=30;Pooling=True")]
    [InlineData("data source=x.db;mode=ReadWriteCreate;cache=shared;password=secret")]
    public void A_sqlite_connection_string_the_provider_accepts_should_be_taken(string connection) =>
        Assert.Empty(ProblemsOf(("ConnectionString", connection)));

    [Theory]
    [InlineData("this is not;a=connection;Password=hunter2", "not a valid SQLite connection string; write key=value pairs separated by ';'")]
    [InlineData("Data Source=x.db;Password hunter2;Pooling=True", "not a valid SQLite connection string; write key=value pairs separated by ';'")]
    [InlineData("Data Source=x.db;hunter2=Password", "not a valid SQLite connection string; write key=value pairs separated by ';'")]
    [InlineData("Data Source=x.db;Password=hunter2;Colour=blue", "not a valid SQLite connection string (it has the key 'colour', which SQLite does not know")]
    [InlineData("Data Source=x.db;Password='hunter2", "not a valid SQLite connection string; write key=value pairs separated by ';'")]
    [InlineData("Data Source=x.db;Password=hunter2;Mode=Sideways", "not a valid SQLite connection string; write key=value pairs")]
    [InlineData("Password=hunter2", "names no Data Source")]
    public void A_sqlite_connection_string_the_provider_refuses_should_be_refused_without_its_password(string connection, string why)
    {
        var problem = Assert.Single(ProblemsOf(("ConnectionString", connection)));

        Assert.StartsWith("setting 'ConfigMonitor:ConnectionString' ", problem);
        Assert.True(problem.Contains(why, StringComparison.OrdinalIgnoreCase), problem);
        Assert.DoesNotContain("hunter2", problem);
    }

    [Theory]
    [InlineData("Host=db.example;Database=configmonitor;Username=monitor;Password=hunter2", null)]
    [InlineData("Server=db.example;Password=hunter2", null)]
    [InlineData("Database=configmonitor;Password=hunter2", "names no Host")]
    [InlineData("Host=db;Password='hunter2", "is not a valid PostgreSQL connection string")]
    [InlineData("just some words hunter2", "is not a valid PostgreSQL connection string")]
    public void A_postgresql_connection_string_should_be_key_value_pairs_with_a_host(string connection, string? why)
    {
        var problems = ProblemsOf(("Persistence", "PostgreSql"), ("ConnectionString", connection));

        if (why is null) Assert.Empty(problems);
        else
        {
            var problem = Assert.Single(problems);
            Assert.StartsWith("setting 'ConfigMonitor:ConnectionString' ", problem);
            Assert.True(problem.Contains(why), problem);
            Assert.DoesNotContain("hunter2", problem);
        }
    }

    [Theory]
    [InlineData("akka.tcp://configmonitor@monitor1:4053")]
    [InlineData("akka.tcp://configmonitor@10.0.0.5:1/")]
    [InlineData("akka.tcp://configmonitor@monitor1.example.org:65535")]
    public void A_seed_node_of_this_system_should_be_taken(string seed) =>
        Assert.Equal(seed, Assert.Single(ConfigMonitorOptionsReader.Read(Section(("SeedNodes:0", seed))).SeedNodes));

    [Theory]
    [InlineData("garbage", "configmonitor", "is 'garbage', which is not an Akka address; write akka.tcp://configmonitor@host:4053")]
    [InlineData("monitor1:4053", "configmonitor", "which is not an Akka address")]
    [InlineData("akka.tcp://configmonitor@monitor1", "configmonitor", "which names no port")]
    [InlineData("akka.tcp://configmonitor@monitor1:99999", "configmonitor", "names port 99999, outside 1 to 65535")]
    [InlineData("akka.tcp://configmonitor@:4053", "configmonitor", "names no host")]
    [InlineData("http://configmonitor@monitor1:4053", "configmonitor", "uses 'http://'")]
    [InlineData("akka.udp://configmonitor@monitor1:4053", "configmonitor", "uses 'akka.udp://'")]
    [InlineData("akka.tcp://configmonitor@monitor1:4053/user/x", "configmonitor", "has a path after the port")]
    [InlineData("akka.tcp://other@monitor1:4053", "configmonitor", "names the actor system 'other', but ConfigMonitor:ActorSystemName is 'configmonitor'")]
    [InlineData("akka.tcp://configmonitor@monitor1:4053", "prod", "names the actor system 'configmonitor', but ConfigMonitor:ActorSystemName is 'prod'")]
    public void A_seed_node_that_is_not_an_address_of_this_system_should_be_refused_saying_why(string seed, string system, string why)
    {
        var problem = Assert.Single(ProblemsOf(("SeedNodes:1", "akka.tcp://" + system + "@ok:4053"), ("SeedNodes:0", seed), ("ActorSystemName", system)));

        Assert.StartsWith("setting 'ConfigMonitor:SeedNodes:0' is '", problem);
        Assert.True(problem.Contains(why), problem);
    }

    [Theory]
    [InlineData("config monitor")]
    [InlineData("-monitor")]
    [InlineData("monitör")]
    [InlineData("a.b")]
    public void An_actor_system_name_akka_refuses_should_be_refused(string name) =>
        Assert.StartsWith($"setting 'ConfigMonitor:ActorSystemName' is '{name}'; an actor system name has letters, digits",
            Assert.Single(ProblemsOf(("ActorSystemName", name))));

    [Fact]
    public void Every_known_rule_and_every_known_category_wildcard_should_be_accepted()
    {
        var keys = AlertRuleNames.ByCategory.SelectMany(c => c.Value.Select(r => $"{c.Key}/{r}").Append($"{c.Key}/*")).ToList();

        Assert.Equal(17, keys.Count); // 12 rules and 5 categories: a rule added in a loop actor must be added to the list
        var options = ConfigMonitorOptionsReader.Read(Section(keys.Select(k => ($"Alerts:Rules:{k}:FailureThreshold", "3")).Append(("Alerts:Rules:CACHE/Hit_Rate:For", "1m")).ToArray()));
        Assert.Equal(3, options.Alerts.Policy.RuleFor(AlertCategory.EventSystem, "event_delivery", AlertSeverity.Warning).FailureThreshold);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Alerts.Policy.RuleFor(AlertCategory.Cache, "hit_rate", AlertSeverity.Warning).For);
    }

    [Theory]
    [InlineData("cache/hitrate", "names the rule 'hitrate', which cache does not have; its rules are hit_rate, usage, stats_unavailable (or cache/* for all of them)")]
    [InlineData("health/group", "its rules are service_health, process_memory, group_failing")]
    [InlineData("caches/hit_rate", "names the category 'caches', which is not one of performance, health, cache, database, event_system")]
    [InlineData("eventsystem/*", "names the category 'eventsystem'")]
    [InlineData("hit_rate", "is not '<category>/<rule>' or '<category>/*'")]
    [InlineData("cache/", "names the rule '', which cache does not have")]
    [InlineData("*/*", "names the category '*'")]
    public void A_rule_key_that_names_no_known_rule_should_be_refused_naming_the_known_ones(string key, string why)
    {
        var problem = Assert.Single(ProblemsOf(($"Alerts:Rules:{key}:FailureThreshold", "5")));

        Assert.StartsWith($"setting 'ConfigMonitor:Alerts:Rules:{key}' ", problem);
        Assert.True(problem.Contains(why), problem);
    }

    [Theory]
    [InlineData("Hostname", "127.0.0.1", true)]
    [InlineData("Hostname", "0.0.0.0", true)]
    [InlineData("Hostname", "::1", true)]
    [InlineData("Hostname", "monitor1.example.org", true)]
    [InlineData("PublicHostname", "monitor1", true)]
    [InlineData("Hostname", "", false)]
    [InlineData("Hostname", "monitor 1", false)]
    [InlineData("Hostname", "127.0.0.1:4053", false)]
    [InlineData("PublicHostname", "akka.tcp://configmonitor@monitor1:4053", false)]
    [InlineData("PublicHostname", "http://monitor1", false)]
    public void A_hostname_should_be_a_host_name_or_ip_address(string key, string value, bool accepted)
    {
        var problems = ProblemsOf((key, value));

        if (accepted) Assert.Empty(problems);
        else Assert.StartsWith($"setting 'ConfigMonitor:{key}' is '{value}', which is not a host name or IP address", Assert.Single(problems));
    }
}
