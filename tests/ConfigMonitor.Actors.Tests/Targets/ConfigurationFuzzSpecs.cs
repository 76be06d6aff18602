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

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Node_settings_are_either_valid_or_refused_naming_the_setting(int seed)
    {
        string[] durationSettings =
        [
            "KeepMonitoringInterval", "Metrics:FlushInterval", "Maintenance:RetentionInterval", "Maintenance:MetricsRetention",
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
