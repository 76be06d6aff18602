using System.Text;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>
/// Reading targets with the configuration's root (every key listed in one pass over the providers) must give exactly what
/// walking each entry's keys gives: the same definitions, or the same problems in the same order, whatever the providers hold.
/// </summary>
public sealed class TargetDefinitionReaderKeyIndexSpecs
{
    private static readonly string[] Fields =
    [
        "Endpoint", "Adapter", "ProbeKey", "Group", "ProbeTimeout", "Performance:Interval", "Performance:AccessTimeThresholdMs",
        "Health:Interval", "Cache:Kind", "Cache:Endpoint", "Cache:MinHitRate", "Database:Interval", "EventProbe:Timeout",
        // Not fields: each must be named in a problem, by either path.
        "Colour", "Cache:Colour", "performance:interval", "HEALTH:INTERVAL", "Nested:Deeper:Still",
    ];

    private static readonly string[] Values = ["/user/svc", "5s", "00:02:00", "0.9", "eu", "actor", "http", "", "nonsense", "120"];

    private static (IConfigurationRoot Root, string Json) Generate(Random random)
    {
        var ids = Enumerable.Range(0, random.Next(1, 8)).Select(i => random.Next(4) == 0 ? i.ToString() : $"svc-{random.Next(5)}").ToList();
        var json = new StringBuilder("{\"ConfigMonitor\":{\"Targets\":{");
        var first = true;
        foreach (var id in ids.Distinct())
        {
            if (!first) json.Append(',');
            first = false;
            json.Append('"').Append(id).Append("\":{");
            var fields = Fields.OrderBy(_ => random.Next()).Take(random.Next(0, 5)).Where(f => !f.Contains(':')).ToList();
            if (random.Next(3) == 0) fields.Add("Id");
            json.Append(string.Join(',', fields.Select(f => $"\"{f}\":\"{(f == "Id" ? (random.Next(2) == 0 ? id : "other") : Values[random.Next(Values.Length)])}\"")));
            json.Append('}');
        }
        json.Append("}}}");
        var builder = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())));
        // A later provider (as environment variables or the command line are): overrides and additions, in any letter case.
        var overrides = Enumerable.Range(0, random.Next(0, 6)).Select(_ =>
        {
            var id = ids[random.Next(ids.Count)];
            var key = $"ConfigMonitor:Targets:{(random.Next(2) == 0 ? id.ToUpperInvariant() : id)}:{Fields[random.Next(Fields.Length)]}";
            return new KeyValuePair<string, string?>(key, random.Next(6) == 0 ? null : Values[random.Next(Values.Length)]);
        }).ToList();
        var later = overrides.GroupBy(o => o.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.Last());
        // Sometimes through a chained configuration, as a web application's host settings are.
        if (random.Next(2) == 0) builder.AddInMemoryCollection(later);
        else builder.AddConfiguration(new ConfigurationBuilder().AddInMemoryCollection(later).Build());
        return (builder.Build(), json.ToString());
    }

    private static string Outcome(Func<IReadOnlyList<TargetDefinition>> read)
    {
        try
        {
            return string.Join("\n", read().Select(t => t.ToString()));
        }
        catch (InvalidTargetDefinitionException e)
        {
            return "problems:\n" + string.Join("\n", e.Problems);
        }
    }

    [Fact]
    public void Reading_with_the_root_should_give_what_walking_each_entry_gives_for_any_providers()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var (root, json) = Generate(new Random(seed));
            var section = root.GetSection("ConfigMonitor:Targets");
            var walked = Outcome(() => TargetDefinitionReader.Read(section, []));
            var indexed = Outcome(() => TargetDefinitionReader.Read(section, [], root));
            Assert.True(walked == indexed, $"seed {seed}, {json}:\nwalked:\n{walked}\nindexed:\n{indexed}");
        }
    }

    [Fact]
    public void An_entry_left_out_should_be_left_out_by_both()
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection([
            new("ConfigMonitor:Targets:demo:Endpoint", "/user/demo"), new("ConfigMonitor:Targets:kept:Endpoint", "/user/kept"),
            new("ConfigMonitor:Targets:kept:Colour", "blue")]).Build();
        var section = root.GetSection("ConfigMonitor:Targets");
        var walked = Assert.Throws<InvalidTargetDefinitionException>(() => TargetDefinitionReader.Read(section, ["DEMO"]));
        var indexed = Assert.Throws<InvalidTargetDefinitionException>(() => TargetDefinitionReader.Read(section, ["DEMO"], root));
        Assert.Equal(walked.Problems, indexed.Problems);
        Assert.Contains(indexed.Problems, p => p.Contains("'Colour' is not a known field", StringComparison.Ordinal));
    }
}
