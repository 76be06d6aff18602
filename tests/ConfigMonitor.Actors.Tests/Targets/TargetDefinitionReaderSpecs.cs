using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

public class TargetDefinitionReaderSpecs
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Targets:" + v.Key, v.Value)))
            .Build()
            .GetSection("Targets");

    private static InvalidTargetDefinitionException Rejects(params (string Key, string Value)[] values) =>
        Assert.Throws<InvalidTargetDefinitionException>(() => TargetDefinitionReader.Read(Section(values)));

    [Fact]
    public void Should_fill_every_unset_field_with_the_seed_defaults()
    {
        var target = Assert.Single(TargetDefinitionReader.Read(Section(("demo:Endpoint", "/user/config-service"))));

        Assert.Equal("demo", target.Id);
        Assert.Equal("actor", target.Adapter);
        Assert.Equal(TimeSpan.FromSeconds(60), target.Performance.Interval);
        Assert.Equal(50, target.Performance.AccessTimeThresholdMs);
        Assert.Equal(TimeSpan.FromSeconds(30), target.Health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(120), target.Cache.Interval);
        Assert.Equal(0.8, target.Cache.MinHitRate);
        Assert.Equal(0.9, target.Cache.MaxUsage);
        Assert.Equal(TimeSpan.FromSeconds(60), target.Database.Interval);
        Assert.Equal(100, target.Database.ResponseTimeThresholdMs);
    }

    [Fact]
    public void Should_read_an_array_of_targets_with_operator_friendly_durations()
    {
        var targets = TargetDefinitionReader.Read(Section(
            ("0:Id", "orders"), ("0:Endpoint", "akka.tcp://svc@10.0.0.5:4053/user/config"), ("0:Performance:Interval", "5s"),
            ("0:Cache:MinHitRate", "0.95"), ("1:Id", "billing"), ("1:Endpoint", "/user/billing-config"), ("1:Database:Interval", "00:02:00")));

        Assert.Equal(["orders", "billing"], targets.Select(t => t.Id));
        Assert.Equal(TimeSpan.FromSeconds(5), targets[0].Performance.Interval);
        Assert.Equal(0.95, targets[0].Cache.MinHitRate);
        Assert.Equal(TimeSpan.FromMinutes(2), targets[1].Database.Interval);
    }

    [Fact]
    public void Should_name_the_target_and_the_field_of_a_non_numeric_threshold()
    {
        var error = Rejects(("orders:Endpoint", "/user/x"), ("orders:Performance:AccessTimeThresholdMs", "fast"));

        Assert.Contains("target 'orders': field 'Performance:AccessTimeThresholdMs' is 'fast', which is not a number", error.Message);
    }

    [Fact]
    public void Should_reject_a_bad_duration_a_missing_endpoint_and_an_unknown_field_all_at_once()
    {
        var error = Rejects(
            ("a:Endpoint", "/user/a"), ("a:Health:Interval", "soon"),
            ("b:ProbeKey", "k"),
            ("c:Endpoint", "/user/c"), ("c:Performance:Intervall", "5s"));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("target 'a': field 'Health:Interval' is 'soon'"));
        Assert.Contains(error.Problems, p => p.StartsWith("target 'b': field 'Endpoint' is missing"));
        Assert.Contains(error.Problems, p => p.StartsWith("target 'c': field 'Performance:Intervall' is not a known field"));
    }

    [Fact]
    public void Should_reject_out_of_range_thresholds_and_unknown_adapters()
    {
        var error = Rejects(("x:Endpoint", "/user/x"), ("x:Cache:MinHitRate", "1.5"), ("x:Adapter", "carrier-pigeon"),
            ("x:Database:Interval", "0s"));

        Assert.Contains(error.Problems, p => p.Contains("field 'Cache:MinHitRate' must be between 0 and 1"));
        Assert.Contains(error.Problems, p => p.Contains("field 'Adapter' is 'carrier-pigeon'"));
        Assert.Contains(error.Problems, p => p.Contains("field 'Database:Interval' is '0s', outside 100ms to 1d"));
    }

    [Fact]
    public void Should_reject_an_array_entry_without_an_id_and_duplicate_ids()
    {
        var error = Rejects(("0:Endpoint", "/user/a"), ("1:Id", "dup"), ("1:Endpoint", "/user/b"), ("2:Id", "DUP"), ("2:Endpoint", "/user/c"));

        Assert.Contains(error.Problems, p => p == "target '#0': field 'Id' is missing");
        Assert.Contains(error.Problems, p => p.Contains("target 'DUP': field 'Id' is defined twice"));
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:02", 2_000)]
    public void Should_read_durations_as_operators_write_them(string text, double milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }
}
