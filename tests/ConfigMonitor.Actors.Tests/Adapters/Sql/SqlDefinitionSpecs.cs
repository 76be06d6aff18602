using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Adapters.Sql;

/// <summary>What the reader refuses in a sql target, one clear line each.</summary>
public sealed class SqlDefinitionSpecs
{
    private const string Postgres = "Host=127.0.0.1;Port=5432;Database=config;Username=monitor";

    private static IReadOnlyList<string> ProblemsOf(params (string Key, string Value)[] fields)
    {
        var settings = new Dictionary<string, string?> { ["Targets:orders:Adapter"] = "sql", ["Targets:orders:Provider"] = "postgresql", ["Targets:orders:Endpoint"] = Postgres };
        foreach (var (key, value) in fields) settings["Targets:orders:" + key] = value;
        try
        {
            TargetDefinitionReader.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Targets"));
            return [];
        }
        catch (InvalidTargetDefinitionException e)
        {
            return e.Problems;
        }
    }

    [Fact]
    public void Should_accept_a_postgresql_connection_string_without_password_and_a_sqlite_file()
    {
        Assert.Empty(ProblemsOf(("Secret", "env:PGPASSWORD"), ("Endpoint", Postgres + ";SSL Mode=Disable;Timeout=5")));
        Assert.Empty(ProblemsOf(("Provider", "sqlite"), ("Endpoint", "/var/lib/app/config.db"), ("EventProbe:Kind", "none")));
        Assert.Empty(ProblemsOf(("Provider", "sqlite"), ("Endpoint", "Data Source=/var/lib/app/config.db")));
    }

    [Theory]
    [InlineData("Password=hunter2")]
    [InlineData("Pwd=hunter2")]
    public void Should_refuse_a_password_in_the_endpoint_without_echoing_it(string password)
    {
        var problem = Assert.Single(ProblemsOf(("Endpoint", $"{Postgres};{password}")));
        Assert.Contains("field 'Endpoint' has a password in it", problem);
        Assert.DoesNotContain("hunter2", problem);
    }

    [Fact]
    public void Should_name_a_keyword_npgsql_does_not_know_and_a_value_it_cannot_read()
    {
        Assert.Contains(ProblemsOf(("Endpoint", "Hots=127.0.0.1;Database=config")),
            p => p.Contains("field 'Endpoint' names 'hots', which is not an Npgsql connection string keyword")); // keywords read case-insensitively
        Assert.Contains(ProblemsOf(("Endpoint", Postgres + ";Port=abc")),
            p => p.Contains("field 'Endpoint' has 'port=abc', which Npgsql cannot read"));
    }

    [Fact]
    public void Should_refuse_events_on_sqlite_a_config_query_without_key_and_a_bad_channel()
    {
        Assert.Contains(ProblemsOf(("Provider", "sqlite"), ("Endpoint", "/x.db"), ("EventProbe:Kind", "sql"), ("EventProbe:Endpoint", "/x.db"), ("EventProbe:Provider", "sqlite")),
            p => p.Contains("SQLite, which has no change events"));
        Assert.Contains(ProblemsOf(("Config:Query", "SELECT value FROM t WHERE key = 'x'")), p => p.Contains("has no '@key' parameter"));
        Assert.Contains(ProblemsOf(("EventProbe:Channel", "Bad Channel")), p => p.Contains("a PostgreSQL channel is 1-63 lower-case letters"));
        Assert.Contains(ProblemsOf(("Database:Query", "SELECT 1; DROP TABLE t")), p => p.Contains("more than one statement"));
    }
}
