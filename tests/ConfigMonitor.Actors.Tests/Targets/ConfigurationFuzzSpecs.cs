using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>
/// The configuration readers under generated input (issue 9's proof, property style with a seeded generator): whatever the
/// settings, a reader either returns definitions that keep every rule (ranges, limits, a usable endpoint) or refuses with
/// its own exception naming each broken field — never another exception, never a silent acceptance of a value that can
/// never be right.
/// </summary>
public sealed class ConfigurationFuzzSpecs
{
    private static readonly string[] ValidDurations = ["1s", "5s", "30s", "1m", "250ms", "00:00:10", "2.5s"];

    /// <summary>Never a duration, whatever the range: no unit, signed, overflowing, garbage.</summary>
    private static readonly string[] NeverDurations =
    [
        "30", "0", "-1", "10.5", "99999999999", "-5s", "+5s", "5 minutes", "PT5M", "1h30", "ms", "99999999999d", "1e309s",
        "9223372036854775807ms", "10675200d", "\u0663\u0660s", "00:60:00", "25:00:00", "1:2:3", "99999.00:00:00", "1,5h",
    ];

    private static readonly string[] TargetDurationFields =
        ["ProbeTimeout", "Performance:Interval", "Health:Interval", "Cache:Interval", "Database:Interval", "EventProbe:Timeout"];

    private static readonly string[] TargetNumberFields =
        ["Performance:AccessTimeThresholdMs", "Health:MaxProcessMemoryMb", "Cache:MinHitRate", "Cache:MaxUsage", "Database:ResponseTimeThresholdMs"];

    private static readonly (string Field, int Limit)[] TargetTextFields =
        [("ProbeKey", TextLimits.Key), ("Group", TextLimits.Group), ("EventProbe:Key", TextLimits.Key), ("Endpoint", TextLimits.Endpoint)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Targets_are_either_valid_or_refused_naming_every_field_that_can_never_be_right(int seed)
    {
        var random = new Random(seed);
        for (var run = 0; run < 1500; run++)
        {
            var settings = new Dictionary<string, string?>();
            var mustRefuse = new List<string>();
            var id = random.Next(6) == 0 ? new string('t', TextLimits.Id + 1) : $"t{run}";
            if (id.Length > TextLimits.Id) mustRefuse.Add("Id");
            settings[$"{id}:Endpoint"] = "/user/config-service";
            foreach (var field in TargetDurationFields.Where(_ => random.Next(3) == 0))
            {
                if (random.Next(2) == 0) settings[$"{id}:{field}"] = Pick(random, ValidDurations);
                else
                {
                    settings[$"{id}:{field}"] = Pick(random, NeverDurations);
                    mustRefuse.Add(field);
                }
            }
            foreach (var field in TargetNumberFields.Where(_ => random.Next(4) == 0))
            {
                var bad = random.Next(2) == 0;
                settings[$"{id}:{field}"] = bad ? Pick(random, ["abc", "NaN", "1e400", "--1", "0x10"]) : "0.5";
                if (bad) mustRefuse.Add(field);
            }
            foreach (var (field, limit) in TargetTextFields.Where(_ => random.Next(4) == 0))
            {
                var bad = random.Next(2) == 0;
                var text = bad ? new string('k', limit + 1 + random.Next(10_000)) : "k" + random.Next(1000);
                settings[$"{id}:{field}"] = field == "Endpoint" ? "/user/" + text : text;
                if (bad) mustRefuse.Add(field);
            }
            if (random.Next(8) == 0)
            {
                var misspelt = Pick(random, ["Performance:Intervall", "ProbeTimeOut2", "Cache:HitRate", "Databse:Interval"]);
                settings[$"{id}:{misspelt}"] = "5s";
                mustRefuse.Add(misspelt);
            }

            var where = $"seed {seed}, run {run}: {string.Join("; ", settings.Select(s => $"{s.Key}={Shorten(s.Value)}"))}";
            try
            {
                var targets = TargetDefinitionReader.Read(Section(settings, "Targets"));
                Assert.True(mustRefuse.Count == 0, $"accepted a definition with {string.Join(", ", mustRefuse)} broken; {where}");
                foreach (var t in targets) AssertKeepsEveryRule(t, where);
            }
            catch (InvalidTargetDefinitionException e)
            {
                Assert.All(e.Problems, p => Assert.Matches("^target '[^']*': field '[^']+' ", p));
                foreach (var field in mustRefuse)
                    Assert.True(e.Problems.Any(p => p.Contains($"field '{field}'", StringComparison.OrdinalIgnoreCase)),
                        $"the refusal should name '{field}'; {where}\nproblems: {string.Join(" | ", e.Problems)}");
            }
        }
    }

    // Endpoints of every shape, each usable by some kinds only; the ones carrying "S3CRET" must never be accepted or echoed.
    private static readonly string[] AnyEndpoints =
    [
        "/user/config-service", "akka.tcp://svc@10.0.0.5:4053/user/config", "http://127.0.0.1:5080", "https://config.internal/base",
        "http://127.0.0.1:2379", "127.0.0.1:6379", "[::1]:6380", "redis-host:99999", "Host=db;Database=cfg;Username=mon", "/var/lib/app/config.db",
        "Data Source=/x.db", "http://admin:S3CRET@h:1", "Host=db;Password=S3CRET", "h:6379,password=S3CRET", "ftp://h/x", "", " ", "no such thing",
        "http://h:1/?q=1", "Database=cfg",
    ];

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Facets_are_either_reachable_or_refused_one_line_per_field_never_echoing_a_secret(int seed)
    {
        var random = new Random(seed);
        string[] kinds = [.. FacetKinds.All, "memcached", "HTTP", " etcd ", ""];
        string[] sections = ["Config", "Cache", "Database", "EventProbe"];
        var (accepted, refused) = (0, 0);
        for (var run = 0; run < 2000; run++)
        {
            var id = $"f{run}";
            var settings = new Dictionary<string, string?> { [$"{id}:ProbeKey"] = "app.name" };
            // Half the runs start from a coherent definition (a kind with an endpoint it can use), then a few fields go wrong;
            // the other half are noise. Both must end accepted-and-reachable or refused-one-line-per-field.
            var coherent = random.Next(2) == 0;
            string Endpoint(string kind, string? provider) => !coherent || random.Next(10) == 0 ? Pick(random, AnyEndpoints) : kind switch
            {
                "actor" => "/user/config-service",
                "http" => "http://127.0.0.1:5080",
                "etcd" => "http://127.0.0.1:2379",
                "redis" => "127.0.0.1:6379",
                _ => provider == "sqlite" ? "/var/lib/app/config.db" : "Host=db;Database=cfg;Username=mon",
            };
            var adapter = coherent ? Pick(random, [.. FacetKinds.Adapters]) : Pick(random, [.. FacetKinds.Adapters, "redis", "none", "zookeeper"]);
            var provider = adapter == "sql" ? Pick(random, ["postgresql", "sqlite"]) : null;
            if (!coherent && random.Next(3) == 0) provider = Pick(random, ["postgresql", "sqlite", "PostgreSQL", "oracle"]);
            settings[$"{id}:Adapter"] = adapter;
            if (provider is not null) settings[$"{id}:Provider"] = provider;
            if (!coherent || random.Next(10) != 0) settings[$"{id}:Endpoint"] = Endpoint(adapter, provider);
            if (random.Next(4) == 0 && adapter != "actor")
                settings[$"{id}:Secret"] = coherent ? Pick(random, ["env:DB_PASSWORD", "file:/run/secrets/x"]) : Pick(random, ["env:DB_PASSWORD", "S3CRET", "env:1X", "file:rel"]);
            foreach (var section in sections.Where(_ => random.Next(3) == 0))
            {
                var facet = FacetNames.All[Array.IndexOf(sections, section)];
                var kind = coherent ? Pick(random, [.. FacetKinds.ByFacet[facet]]) : Pick(random, kinds);
                settings[$"{id}:{section}:Kind"] = kind;
                var facetProvider = kind == "sql" ? (facet == FacetNames.Events ? "postgresql" : Pick(random, ["postgresql", "sqlite"])) : null;
                if (kind == "sql" && kind != adapter) settings[$"{id}:{section}:Provider"] = facetProvider;
                if (kind != "none" && (kind != adapter || random.Next(2) == 0)) settings[$"{id}:{section}:Endpoint"] = Endpoint(kind, facetProvider);
                foreach (var field in FacetFields.All.Skip(2).Where(_ => random.Next(coherent ? 20 : 8) == 0))
                    settings[$"{id}:{section}:{field}"] = field switch
                    {
                        "Query" => Pick(random, ["SELECT value FROM t WHERE k = @key", "SELECT COUNT(*) FROM t", "SELECT 1; DROP TABLE t", ""]),
                        "Path" or "NotifyPath" => Pick(random, ["/config/{key}", "/events?key={key}", "config", "/x y", "http://u:S3CRET@h/{key}"]),
                        "Channel" => Pick(random, ["configmonitor_probe", "cfg:events", "Bad Channel", "a*"]),
                        "Secret" => Pick(random, ["env:X", "S3CRET", "file:/x"]),
                        "Provider" => Pick(random, ["postgresql", "sqlite", "mysql"]),
                        "Preset" => Pick(random, [.. HttpPresetNames.All, "consul"]),
                        _ => Pick(random, ["/value", "value", "/a~2", "", "/hits"]),
                    };
            }

            var where = $"seed {seed}, run {run}: {string.Join("; ", settings.Select(s => $"{s.Key}={s.Value}"))}";
            try
            {
                var target = Assert.Single(TargetDefinitionReader.Read(Section(settings, "Targets")));
                // Accepted: every facet resolves to a kind it supports, with an endpoint that kind can use, and no secret by value.
                foreach (var facet in TargetFacets.Resolve(target))
                {
                    Assert.Contains(facet.Kind, FacetKinds.ByFacet[facet.Facet]);
                    if (facet.Present) Assert.Null(TargetFacets.EndpointProblem(facet.Kind, facet.Endpoint, facet.Settings.Provider));
                    Assert.True(facet.Facet != FacetNames.Config || facet.Present, where);
                }
                Assert.False(System.Text.Json.JsonSerializer.Serialize(target).Contains("S3CRET", StringComparison.Ordinal), $"accepted a secret by value; {where}");
                accepted++;
            }
            catch (InvalidTargetDefinitionException e)
            {
                Assert.All(e.Problems, p => Assert.Matches("^target 'f[0-9]+': field '[^']+' ", p));
                Assert.All(e.Problems, p => Assert.False(p.Contains("S3CRET", StringComparison.Ordinal), $"a refusal echoes a secret: {p}; {where}"));
                Assert.True(e.Problems.Count == e.Problems.Distinct().Count(), $"a problem is repeated; {where}\n{string.Join(" | ", e.Problems)}");
                refused++;
            }
        }
        // The generator reaches both sides, so neither branch's assertions are vacuous.
        Assert.True(accepted > 50 && refused > 50, $"accepted {accepted}, refused {refused}");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Node_settings_are_either_valid_or_refused_naming_the_setting(int seed)
    {
        string[] durationSettings =
        [
            "Metrics:FlushInterval", "Maintenance:RetentionInterval", "Maintenance:MetricsRetention",
            "Maintenance:AcknowledgedAlertRetention", "Maintenance:EventProbeInterval", "Maintenance:RequestTimeout", "Health:CheckTimeout",
            "Alerts:NotifyCheckInterval", "Alerts:Delivery:QuickRetryDelay", "Alerts:Delivery:FirstBackoff", "Alerts:Delivery:MaxBackoff",
            "Alerts:Delivery:GiveUpAfter",
        ];
        var random = new Random(seed);
        for (var run = 0; run < 1000; run++)
        {
            var settings = new Dictionary<string, string?>();
            var mustRefuse = new List<string>();
            foreach (var setting in durationSettings.Where(_ => random.Next(4) == 0))
            {
                settings[setting] = Pick(random, NeverDurations);
                mustRefuse.Add(setting);
            }
            if (random.Next(5) == 0)
            {
                var misspelt = Pick(random, ["Metrics:FlushIntervall", "Maintenence:RetentionInterval", "Portt", "Health:CheckTimeOutt"]);
                settings[misspelt] = "5s";
                mustRefuse.Add(misspelt);
            }
            if (random.Next(6) == 0)
            {
                settings["Port"] = Pick(random, ["-1", "65536", "http", "99999999999"]);
                mustRefuse.Add("Port");
            }

            var where = $"seed {seed}, run {run}: {string.Join("; ", settings.Select(s => $"{s.Key}={Shorten(s.Value)}"))}";
            try
            {
                var options = ConfigMonitorOptionsReader.Read(Section(settings.ToDictionary(s => "ConfigMonitor:" + s.Key, s => s.Value), "ConfigMonitor"));
                Assert.True(mustRefuse.Count == 0, $"accepted settings with {string.Join(", ", mustRefuse)} broken; {where}");
                Assert.InRange(options.Metrics.FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
            }
            catch (InvalidConfigMonitorOptionsException e)
            {
                foreach (var setting in mustRefuse)
                    Assert.True(e.Problems.Any(p => p.Contains(setting, StringComparison.OrdinalIgnoreCase)),
                        $"the refusal should name '{setting}'; {where}\nproblems: {string.Join(" | ", e.Problems)}");
            }
        }
    }

    private static void AssertKeepsEveryRule(TargetDefinition t, string where)
    {
        TimeSpan[] intervals = [t.Performance.Interval, t.Health.Interval, t.Cache.Interval, t.Database.Interval];
        foreach (var interval in intervals)
            Assert.True(interval >= DurationLimits.LoopInterval.Min && interval <= DurationLimits.LoopInterval.Max, $"interval {interval} accepted; {where}");
        Assert.True(t.ProbeTimeout >= DurationLimits.ProbeTimeout.Min && t.ProbeTimeout <= DurationLimits.ProbeTimeout.Max, $"probe timeout {t.ProbeTimeout} accepted; {where}");
        Assert.True(t.ProbeTimeout <= intervals.Min(), $"probe timeout {t.ProbeTimeout} above an interval accepted; {where}");
        Assert.True(t.EventProbe.Timeout <= DurationLimits.ProbeTimeout.Max, $"event probe timeout {t.EventProbe.Timeout} accepted; {where}");
        Assert.True(t.Id.Length <= TextLimits.Id && t.ProbeKey.Length <= TextLimits.Key && t.Endpoint.Length <= TextLimits.Endpoint
                    && (t.Group?.Length ?? 0) <= TextLimits.Group && t.EventProbe.Key.Length <= TextLimits.Key, $"text over a limit accepted; {where}");
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string? Shorten(string? text) => text is null || text.Length <= 40 ? text : text[..40] + $"…({text.Length})";

    private static IConfigurationSection Section(Dictionary<string, string?> settings, string name) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => name == "Targets" ? "Targets:" + s.Key : s.Key, s => s.Value))
            .Build().GetSection(name);
}
