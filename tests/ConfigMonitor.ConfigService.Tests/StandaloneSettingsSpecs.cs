using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The standalone service's settings reader: the database provider and its connection string.</summary>
public sealed class StandaloneSettingsSpecs
{
    private const string WorkingDirectory = "/srv/reference";
    private const string Secret = "s3cr3t-Pa55";

    private static StandaloneSettings Read(params (string Key, string Value)[] settings) => StandaloneSettings.Read(
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"ConfigService:{s.Key}", s.Value))).Build(),
        WorkingDirectory);

    [Fact]
    public void Should_use_a_SQLite_file_under_the_working_directory_by_default()
    {
        var service = Read().Service;

        Assert.Equal((ConfigStoreProvider.Sqlite, "/srv/reference/data/config-service.db", (string?)null),
            (service.Provider, service.DatabasePath, service.ConnectionString));
    }

    [Theory]
    [InlineData("postgresql")]
    [InlineData("PostgreSQL")]
    public void Should_use_PostgreSQL_with_the_connection_string_and_describe_it_without_the_password(string provider)
    {
        var connectionString = $"Host=db.internal;Port=5433;Database=config;Username=svc;Password={Secret}";

        var service = Read(("Provider", provider), ("ConnectionString", connectionString)).Service;

        Assert.Equal((ConfigStoreProvider.PostgreSql, connectionString), (service.Provider, service.ConnectionString));
        Assert.Equal("PostgreSQL Host=db.internal;Port=5433;Database=config;Username=svc;Password=***", service.DatabaseDescription);
        Assert.DoesNotContain(Secret, service.ToString());
    }

    [Fact]
    public void Should_accept_sqlite_named_explicitly()
    {
        Assert.Equal(ConfigStoreProvider.Sqlite, Read(("Provider", "sqlite"), ("DatabasePath", "x.db")).Service.Provider);
    }

    [Theory]
    [InlineData("Provider", "mysql", null,
        "ConfigService:Provider is 'mysql'; write sqlite (the default, a file at ConfigService:DatabasePath) or postgresql (with ConfigService:ConnectionString)")]
    [InlineData("Provider", "postgresql", null,
        "ConfigService:ConnectionString is missing; ConfigService:Provider=postgresql needs a PostgreSQL connection string like Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...")]
    [InlineData("Provider", "postgresql", "  ",
        "ConfigService:ConnectionString is missing; ConfigService:Provider=postgresql needs a PostgreSQL connection string like Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...")]
    [InlineData("Provider", "postgresql", "Database=config;Password=" + Secret,
        "ConfigService:ConnectionString names no Host; write one like Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...")]
    [InlineData("Provider", "sqlite", "Host=db;Password=" + Secret,
        "ConfigService:ConnectionString is set, but the database is a SQLite file; set ConfigService:Provider=postgresql to use PostgreSQL, or remove it and set ConfigService:DatabasePath")]
    public void Should_refuse_a_wrong_provider_or_connection_string_with_one_line(string key, string value, string? connectionString, string expected)
    {
        var settings = new List<(string, string)> { (key, value) };
        if (connectionString is not null) settings.Add(("ConnectionString", connectionString));

        var refused = Assert.Throws<InvalidServiceSettingException>(() => Read(settings.ToArray()));

        Assert.Equal(expected, refused.Message);
    }

    [Theory]
    [InlineData("Hots=db;Password=" + Secret)]
    [InlineData("Host=db;Port=not-a-port;Password=" + Secret)]
    [InlineData("Host=db;Password=" + Secret + ";Pooling=perhaps")]
    public void Should_refuse_a_connection_string_Npgsql_cannot_read_without_quoting_its_password(string connectionString)
    {
        var refused = Assert.Throws<InvalidServiceSettingException>(() => Read(("Provider", "postgresql"), ("ConnectionString", connectionString)));

        Assert.StartsWith("ConfigService:ConnectionString is not a PostgreSQL connection string (", refused.Message);
        Assert.EndsWith("); write one like Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...", refused.Message);
        Assert.DoesNotContain(Secret, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public void Should_refuse_a_database_path_with_postgresql()
    {
        var refused = Assert.Throws<InvalidServiceSettingException>(() =>
            Read(("Provider", "postgresql"), ("ConnectionString", "Host=db"), ("DatabasePath", "x.db")));

        Assert.Equal("ConfigService:DatabasePath is set, but ConfigService:Provider is postgresql, which does not use a file; remove it (the database is named in ConfigService:ConnectionString)",
            refused.Message);
    }
}
