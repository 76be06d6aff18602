using System.Globalization;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.ConfigService.Http;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.ConfigService;

/// <summary>A setting of the standalone service is wrong: one line naming it, what it is, and what would be right.</summary>
public sealed class InvalidServiceSettingException(string message) : Exception(message);

/// <summary>
/// The settings of the standalone reference service (a SQLite file by default, or PostgreSQL), read from the <c>ConfigService</c> section (appsettings, environment
/// <c>ConfigService__Url</c>, command line <c>--ConfigService:Url=…</c>). <c>--urls</c> overrides <see cref="Url"/>.
/// </summary>
public sealed record StandaloneSettings(string Url, ConfigServiceSettings Service, ReferenceServiceHttpOptions Http)
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ConfigService";

    /// <summary>The address the service listens on unless told otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The database file unless told otherwise, relative to the directory the service is started in.</summary>
    public static readonly string DefaultDatabasePath = Path.Combine("data", "config-service.db");

    private static readonly string[] Known = ["Url", "Provider", "DatabasePath", "ConnectionString", "CacheCapacity", "FaultToken", "AskTimeout", "SeedSampleRows"];

    /// <summary>An example PostgreSQL connection string for messages (no real password).</summary>
    public const string ExampleConnectionString = "Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...";

    /// <summary>Reads and checks the section; a relative database path is resolved against <paramref name="workingDirectory"/>.</summary>
    public static StandaloneSettings Read(IConfiguration configuration, string workingDirectory)
    {
        var section = configuration.GetSection(SectionName);
        foreach (var child in section.GetChildren())
        {
            if (!Known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw Wrong(child.Key, $"is not a setting of the reference service; the settings are {string.Join(", ", Known.Select(k => $"{SectionName}:{k}"))}");
        }

        var url = section["Url"] ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/" || uri.Query.Length > 0)
            throw Wrong("Url", $"is '{url}', which is not an http address to listen on; write it like {DefaultUrl}");

        var provider = ReadProvider(section["Provider"]);
        string path;
        string? connectionString = null;
        if (provider == ConfigStoreProvider.Sqlite)
        {
            if (section["ConnectionString"] is not null)
                throw Wrong("ConnectionString", "is set, but the database is a SQLite file; set ConfigService:Provider=postgresql to use PostgreSQL, or remove it and set ConfigService:DatabasePath");
            path = section["DatabasePath"] ?? DefaultDatabasePath;
            if (string.IsNullOrWhiteSpace(path) || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                throw Wrong("DatabasePath", $"is '{path}', which is not a file path; write one like {DefaultDatabasePath}");
            path = Path.GetFullPath(path, workingDirectory);
        }
        else
        {
            if (section["DatabasePath"] is not null)
                throw Wrong("DatabasePath", "is set, but ConfigService:Provider is postgresql, which does not use a file; remove it (the database is named in ConfigService:ConnectionString)");
            connectionString = ReadConnectionString(section["ConnectionString"]);
            path = "";
        }

        var capacity = 100;
        if (section["CacheCapacity"] is { } capacityText
            && (!int.TryParse(capacityText, NumberStyles.None, CultureInfo.InvariantCulture, out capacity) || capacity is < 1 or > 1_000_000))
            throw Wrong("CacheCapacity", $"is '{capacityText}'; write a whole number of entries from 1 to 1000000");

        var token = section["FaultToken"];
        if (token is not null && (token.Length is 0 or > 512 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw Wrong("FaultToken", "is not a usable token; write 1 to 512 characters without spaces (or leave it out to allow faults from loopback only)");

        var askTimeout = ReferenceServiceHttpOptions.DefaultAskTimeout;
        if (section["AskTimeout"] is { } timeoutText
            && Durations.Check(timeoutText, new DurationRange(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)), out askTimeout) is { } timeoutWrong)
            throw Wrong("AskTimeout", timeoutWrong);

        var seed = true;
        if (section["SeedSampleRows"] is { } seedText && !bool.TryParse(seedText, out seed))
            throw Wrong("SeedSampleRows", $"is '{seedText}'; write true or false");

        return new StandaloneSettings(
            url,
            new ConfigServiceSettings(path, "reference")
            {
                Provider = provider, ConnectionString = connectionString, CacheCapacity = capacity, SeedSampleRows = seed,
            },
            new ReferenceServiceHttpOptions { FaultToken = token, AskTimeout = askTimeout });
    }

    private static ConfigStoreProvider ReadProvider(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "sqlite" => ConfigStoreProvider.Sqlite,
        "postgresql" => ConfigStoreProvider.PostgreSql,
        _ => throw Wrong("Provider", $"is '{text}'; write sqlite (the default, a file at ConfigService:DatabasePath) or postgresql (with ConfigService:ConnectionString)"),
    };

    // Checked here so a typo stops the service at start; the password is never quoted back.
    private static string ReadConnectionString(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw Wrong("ConnectionString", $"is missing; ConfigService:Provider=postgresql needs a PostgreSQL connection string like {ExampleConnectionString}");
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw Wrong("ConnectionString", $"is not a PostgreSQL connection string ({Redaction.Redact(e.Message)}); write one like {ExampleConnectionString}");
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw Wrong("ConnectionString", $"names no Host; write one like {ExampleConnectionString}");
        return text;
    }

    private static InvalidServiceSettingException Wrong(string key, string what) => new($"{SectionName}:{key} {what}");
}
