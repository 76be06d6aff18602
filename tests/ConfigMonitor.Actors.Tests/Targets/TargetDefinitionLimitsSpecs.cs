using System.Reflection;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>Every text field and every duration of a target definition is bounded, through configuration and through Validate.</summary>
public sealed class TargetDefinitionLimitsSpecs
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Targets:" + v.Key, v.Value)))
            .Build()
            .GetSection("Targets");

    private static IReadOnlyList<string> ProblemsOf(params (string Key, string Value)[] values)
    {
        try
        {
            var settings = new Dictionary<string, string> { ["orders:Endpoint"] = "/user/config" };
            foreach (var (key, value) in values) settings["orders:" + key] = value;
            TargetDefinitionReader.Read(Section(settings.Select(kv => (kv.Key, kv.Value)).ToArray()));
            return [];
        }
        catch (InvalidTargetDefinitionException e)
        {
            return e.Problems;
        }
    }

    private static readonly TargetDefinition Valid = TargetDefinition.WithDefaults("orders", "/user/config");

    /// <summary>(the field's name in problems, the property, a definition with that field set to a text).</summary>
    private static IEnumerable<(string Field, PropertyInfo Property, Func<string, TargetDefinition> With)> LimitedFields()
    {
        foreach (var (type, prefix, with) in new (Type, string, Func<PropertyInfo, string, TargetDefinition>)[]
                 {
                     (typeof(TargetDefinition), "", (p, text) => Set(Valid, p, text)),
                     (typeof(ConfigFacetSettings), "Config:", (p, text) => Valid with { Config = Set(Valid.Config, p, text) }),
                     (typeof(CacheSettings), "Cache:", (p, text) => Valid with { Cache = Set(Valid.Cache, p, text) }),
                     (typeof(DatabaseSettings), "Database:", (p, text) => Valid with { Database = Set(Valid.Database, p, text) }),
                     (typeof(EventProbeSettings), "EventProbe:", (p, text) => Valid with { EventProbe = Set(Valid.EventProbe, p, text) }),
                 })
            foreach (var property in type.GetProperties().Where(p => p.PropertyType == typeof(string) && p.GetCustomAttribute<TextLimitAttribute>() is not null))
                yield return (prefix + property.Name, property, text => with(property, text));
    }

    // Records are cloned through their copy constructor ("with"), then the init-only property is set by reflection.
    private static T Set<T>(T record, PropertyInfo property, string text) where T : class
    {
        var clone = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(record, null)!;
        property.SetValue(clone, text);
        return clone;
    }

    /// <summary>A text of exactly <paramref name="length"/> characters that is otherwise valid for the field.</summary>
    private static string Filler(string field, int length) => field == "Endpoint" ? "/user/" + new string('a', length - 6) : new string('a', length);

    [Fact]
    public void Every_limited_text_field_should_refuse_one_character_over_its_limit_and_accept_its_limit()
    {
        var fields = LimitedFields().ToList();
        var facetFields = FacetFields.All.ToList();
        Assert.Equal(
            new[] { "Id", "Adapter", "Endpoint", "ProbeKey", "Group", "Provider", "Secret" }
                .Concat(new[] { "Config", "Cache", "Database", "EventProbe" }.SelectMany(s =>
                    (s == "EventProbe" ? new[] { "Key" } : []).Concat(facetFields).Select(f => $"{s}:{f}")))
                .Order(),
            fields.Select(f => f.Field).Order());
        foreach (var (field, property, with) in fields)
        {
            var limit = property.GetCustomAttribute<TextLimitAttribute>()!.MaxLength;

            var over = TargetDefinitionReader.Validate(with(Filler(field, limit + 1)));
            var problem = Assert.Single(over, p => p.Contains($"field '{field}'"));
            Assert.Contains($"is {limit + 1} characters long; the limit is {limit}", problem);
            Assert.True(problem.Length < 400, $"the problem quotes the whole text: {problem.Length} characters");

            var atLimit = TargetDefinitionReader.Validate(with(Filler(field, limit)));
            if (field is not ("Id" or "Endpoint" or "ProbeKey" or "Group" or "EventProbe:Key"))
                // A kind, a reach field of another kind, a secret's reference: at the limit the length passes and only the value is refused.
                Assert.DoesNotContain(atLimit, p => p.Contains("the limit is"));
            else
                Assert.Empty(atLimit);
        }
    }

    [Fact]
    public void A_twenty_megabyte_probe_key_from_configuration_should_be_refused_with_a_short_message()
    {
        var problems = ProblemsOf(("ProbeKey", new string('k', 20 * 1024 * 1024)));

        var problem = Assert.Single(problems);
        Assert.StartsWith("target 'orders': field 'ProbeKey' is 20971520 characters long; the limit is 256", problem);
    }

    public static TheoryData<string> IntervalFields() =>
        new(["Performance:Interval", "Health:Interval", "Cache:Interval", "Database:Interval"]);

    [Theory]
    [MemberData(nameof(IntervalFields))]
    public void Every_interval_should_be_refused_outside_100ms_to_24h_and_when_it_is_no_duration(string field)
    {
        foreach (var text in new[] { "99ms", "0s", "25h", "2d", "3650d" })
            Assert.Contains($"target 'orders': field '{field}' is '{text}', outside 100ms to 1d", ProblemsOf((field, text)).Single());
        foreach (var text in new[] { "30", "-5s", "99999999999d", "soon", "", "1e3s", "5 minutes" })
            Assert.Contains($"target 'orders': field '{field}' is '{text}', which is not a duration", ProblemsOf((field, text)).Single());
        foreach (var text in new[] { "100ms", "24h", "00:05:00", "1.5h" })
            Assert.Empty(ProblemsOf((field, text), ("ProbeTimeout", "10ms")));
    }

    [Fact]
    public void Probe_timeout_should_be_refused_outside_10ms_to_60s()
    {
        foreach (var text in new[] { "9ms", "61s", "2d", "3650d" })
            Assert.Contains(ProblemsOf(("ProbeTimeout", text)), p => p.StartsWith($"target 'orders': field 'ProbeTimeout' is '{text}', outside 10ms to 1m"));
        Assert.Contains(ProblemsOf(("ProbeTimeout", "99999999999d")), p => p.Contains("field 'ProbeTimeout' is '99999999999d', which is not a duration"));
    }

    [Theory]
    [MemberData(nameof(IntervalFields))]
    public void Probe_timeout_should_be_at_most_the_shortest_interval_of_the_loops_and_name_it(string field)
    {
        var problem = Assert.Single(ProblemsOf((field, "2s"), ("ProbeTimeout", "3s")));

        Assert.Equal($"target 'orders': field 'ProbeTimeout' is '3s', longer than '{field}' of '2s', the shortest interval " +
                     "of the loops it serves; make it at most 2s", problem);
        Assert.Empty(ProblemsOf((field, "2s"), ("ProbeTimeout", "2s")));
    }

    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("100ms", 100)]
    [InlineData("30s", 5000)]
    public void An_unset_probe_timeout_should_follow_the_shortest_interval_when_that_is_below_the_default(string interval, double expectedMs)
    {
        var target = Assert.Single(TargetDefinitionReader.Read(Section(("orders:Endpoint", "/user/x"), ("orders:Health:Interval", interval))));

        Assert.Equal(expectedMs, target.ProbeTimeout.TotalMilliseconds);
    }

    [Fact]
    public void Event_probe_timeout_should_be_within_the_probe_timeout_range()
    {
        Assert.Contains("field 'EventProbe:Timeout' is '2m', outside 10ms to 1m", ProblemsOf(("EventProbe:Timeout", "2m")).Single());
        Assert.Contains("field 'EventProbe:Timeout' is '5ms', outside 10ms to 1m", ProblemsOf(("EventProbe:Timeout", "5ms")).Single());
        Assert.Empty(ProblemsOf(("EventProbe:Timeout", "1m")));
    }

    [Fact]
    public void Validate_should_bound_the_durations_of_a_definition_built_in_code_as_the_actor_api_sends_it()
    {
        var huge = Valid with { ProbeTimeout = TimeSpan.FromDays(3000), Cache = Valid.Cache with { Interval = TimeSpan.FromDays(10) } };

        var problems = TargetDefinitionReader.Validate(huge);

        Assert.Contains("target 'orders': field 'ProbeTimeout' is '3000d', outside 10ms to 1m", problems);
        Assert.Contains("target 'orders': field 'Cache:Interval' is '10d', outside 100ms to 1d", problems);
        Assert.Contains(TargetDefinitionReader.Validate(Valid with { ProbeTimeout = TimeSpan.MaxValue }),
            p => p.StartsWith("target 'orders': field 'ProbeTimeout' is '"));
    }

    [Theory]
    [InlineData("/user/config")]
    [InlineData("/user/a/b-c_d.e")]
    [InlineData("/user/config-service-demo")]
    [InlineData("akka.tcp://configsvc@10.0.0.5:4060/user/config-service")]
    [InlineData("akka.tcp://sys@host.example:4053/user/a/b")]
    [InlineData("akka.tcp://sys@host:1/user/x")]
    [InlineData("akka.tcp://sys@host:65535/user/x")]
    [InlineData("akka.tcp://sys@[::1]:4053/user/x")]
    [InlineData("akka.ssl.tcp://sys@host:4053/user/x")]
    public void An_actor_path_endpoint_should_be_accepted(string endpoint) =>
        Assert.Null(TargetDefinitionReader.EndpointProblem(endpoint));

    [Theory]
    [InlineData("", "is missing")]
    [InlineData("user/config", "is not an actor path")]
    [InlineData("/system/config", "is not under '/user/'")]
    [InlineData("/user", "is not under '/user/'")]
    [InlineData("/user/", "is not a valid actor name")]
    [InlineData("/user/a b", "is not a valid actor name")]
    [InlineData("/user/$a", "is not a valid actor name")]
    [InlineData("/user/a//b", "is not a valid actor name")]
    [InlineData("/user/a/ü", "is not a valid actor name")]
    [InlineData("/user/../x", "is not a valid actor name")]
    [InlineData("/user/a/.", "is not a valid actor name")]
    [InlineData("http://config.example:80/user/api", "is not an actor")]
    [InlineData("akka", "is not an actor path")]
    [InlineData("akka.tcp://sys/user/x", "names no host and port")]
    [InlineData("akka.tcp://sys@host:4053/system/x", "is not under '/user/'")]
    [InlineData("akka.tcp://sys@host:port/user/x", "is not an actor path")]
    [InlineData("akka.tcp://sys@host:4053", "is not under '/user/'")]
    [InlineData("akka.tcp://sys@host:99999/user/x", "names port 99999, outside 1 to 65535")]
    [InlineData("akka.tcp://sys@host:65536/user/x", "names port 65536, outside 1 to 65535")]
    [InlineData("akka.tcp://sys@host:0/user/x", "names port 0, outside 1 to 65535")]
    [InlineData("akka.tcp://sys@:4053/user/x", "names no host")]
    [InlineData("akka.tcp://sys@ :4053/user/x", "names no host")]
    // Found by a hostile review: Akka's parser threw on a non-numeric '#uid' (a 500 from the API, exit 1 at start) and
    // accepted spaces, '..', a query, an empty system name, a second '@'.
    [InlineData("akka.tcp://sys@host:4053/user/x#z", "is not an actor path")]
    [InlineData("akka.tcp://sys@host:4053/user/x#1", "is not an actor path")]
    [InlineData("akka.tcp://sys@host:4053/user/x?y=1", "is not an actor path")]
    [InlineData("akka.tcp://@host:4053/user/x", "is not an actor path")]
    [InlineData("akka.udp://sys@host:4053/user/x", "is not an actor path")]
    [InlineData("akka.tcp://sys@ho st:4053/user/x", "is not an actor path")]
    [InlineData("akka.tcp://s y s@host:4053/user/x", "is not an actor path")]
    [InlineData("akka.tcp://sys@host:4053/user/../x", "is not a valid actor name")]
    [InlineData("akka.tcp://sys@h@host:4053/user/x", "is not an actor path")]
    [InlineData("akka.tcp://sys@host_with_underscore!:4053/user/x", "is not a host name or IP address")]
    public void An_endpoint_that_cannot_be_an_actor_path_should_be_refused_saying_why(string endpoint, string why)
    {
        var problem = TargetDefinitionReader.EndpointProblem(endpoint);

        Assert.NotNull(problem);
        Assert.Contains(why, problem);
        Assert.Contains("such as '/user/config-service'", problem);
        Assert.Contains(ProblemsOf(("Endpoint", endpoint)), p => p.StartsWith("target 'orders': field 'Endpoint'"));
    }

    [Theory]
    [InlineData("Performance:AccessTimeThresholdMs", "0.5", "3600000", "0|-1|3600001|1e300")]
    [InlineData("Database:ResponseTimeThresholdMs", "0.5", "3600000", "0|-1|3600001")]
    [InlineData("Health:MaxProcessMemoryMb", "1", "16777216", "0|-500|16777217")]
    [InlineData("Cache:MinHitRate", "0", "1", "-0.1|1.5")]
    [InlineData("Cache:MaxUsage", "0.01", "1", "0|-2|1.01")]
    public void Every_numeric_target_threshold_should_take_its_range_and_refuse_outside_it(string field, string min, string max, string refused)
    {
        Assert.Empty(ProblemsOf((field, min)));
        Assert.Empty(ProblemsOf((field, max)));
        foreach (var text in refused.Split('|'))
            Assert.Contains(ProblemsOf((field, text)), p => p.StartsWith($"target 'orders': field '{field}' must be", StringComparison.Ordinal));
    }
}
