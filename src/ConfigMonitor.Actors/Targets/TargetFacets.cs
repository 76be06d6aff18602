using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// One facet as the monitor reaches it: the kind and endpoint in effect (its own, or the <c>Adapter</c> shorthand's), and
/// its settings with the shorthand's <c>Provider</c> and <c>Secret</c> filled in when it shares the shorthand's kind.
/// </summary>
public sealed record ResolvedFacet(string Facet, string Kind, string Endpoint, FacetSettings Settings)
{
    /// <summary>False for <c>none</c>: the target has no such facet.</summary>
    public bool Present => Kind != FacetKinds.None;

    /// <summary>The endpoint as it may be shown (logs, the API, the CLI): credentials replaced by <c>***</c>.</summary>
    public string RedactedEndpoint => Redaction.Redact(Endpoint);
}

/// <summary>The four facets of a target in effect, and the rules a definition's facets must keep.</summary>
public static partial class TargetFacets
{
    /// <summary>The facets of a valid <paramref name="target"/>, in <see cref="FacetNames.All"/> order.</summary>
    public static IReadOnlyList<ResolvedFacet> Resolve(TargetDefinition target) => FacetNames.All.Select(f => Resolve(target, f)).ToList();

    /// <summary>One facet of <paramref name="target"/>.</summary>
    public static ResolvedFacet Resolve(TargetDefinition target, string facet)
    {
        var settings = SettingsOf(target, facet);
        var adapter = (target.Adapter ?? FacetKinds.Actor).Trim().ToLowerInvariant();
        var kind = (settings.Kind ?? FacetKinds.Shorthand(adapter, facet, target.Provider)).Trim().ToLowerInvariant();
        if (kind == FacetKinds.None) return new ResolvedFacet(facet, kind, "", settings);
        var sameKind = kind == adapter;
        var effective = sameKind
            ? settings with { Provider = settings.Provider ?? target.Provider, Secret = settings.Secret ?? target.Secret }
            : settings;
        return new ResolvedFacet(facet, kind, settings.Endpoint ?? (sameKind ? target.Endpoint : ""), effective with { Kind = kind });
    }

    /// <summary>The settings section of <paramref name="facet"/>.</summary>
    public static FacetSettings SettingsOf(TargetDefinition target, string facet) => facet switch
    {
        FacetNames.Config => target.Config,
        FacetNames.Cache => target.Cache,
        FacetNames.Database => target.Database,
        FacetNames.Events => target.EventProbe,
        _ => throw new ArgumentOutOfRangeException(nameof(facet), facet, "not a facet"),
    };

    /// <summary>
    /// What is wrong with the facets of <paramref name="target"/>, each as (field, what) where field is the configuration
    /// path (<c>Cache:Endpoint</c>) and what follows it in "field 'X' …". Empty when every facet can be reached.
    /// </summary>
    public static IReadOnlyList<(string Field, string What)> Problems(TargetDefinition target)
    {
        var problems = new List<(string, string)>();
        var adapter = (target.Adapter ?? "").Trim().ToLowerInvariant();
        if (!FacetKinds.Adapters.Contains(adapter))
        {
            problems.Add(("Adapter", adapter == FacetKinds.Redis
                ? "is 'redis', which serves no config reads; set Adapter to how keys are read (actor, http, etcd or sql) and use 'Cache: { Kind: redis, … }' and 'EventProbe: { Kind: redis, … }'"
                : $"is '{Quote(target.Adapter)}'; it must be one of {string.Join(", ", FacetKinds.Adapters)}"));
            return problems;
        }
        if (target.Provider is not null && adapter != FacetKinds.Sql)
            problems.Add(("Provider", $"applies to Adapter 'sql' only; this target's Adapter is '{adapter}'"));
        if (target.Secret is not null && adapter == FacetKinds.Actor)
            problems.Add(("Secret", "does not apply to Adapter 'actor' (an actor is reached without credentials)"));
        if (target.Secret is not null && SecretReference.Problem(target.Secret) is { } secretProblem)
            problems.Add(("Secret", secretProblem));
        if (adapter == FacetKinds.Sql && ProviderProblem(target.Provider) is { } providerProblem)
            problems.Add(("Provider", providerProblem));

        foreach (var facet in FacetNames.All)
        {
            var section = FacetNames.Section(facet);
            var own = SettingsOf(target, facet);
            void Problem(string field, string what) => problems.Add(($"{section}:{field}", what));
            if (own.Kind is not null)
            {
                var ownKind = own.Kind.Trim().ToLowerInvariant();
                if (!FacetKinds.All.Contains(ownKind))
                {
                    Problem("Kind", $"is '{Quote(own.Kind)}', not a kind; the {facet} facet can be {Or(FacetKinds.ByFacet[facet])}");
                    continue;
                }
                if (!FacetKinds.ByFacet[facet].Contains(ownKind))
                {
                    Problem("Kind", $"is '{ownKind}', which cannot serve the {facet} facet; it can be {Or(FacetKinds.ByFacet[facet])}");
                    continue;
                }
            }
            var resolved = Resolve(target, facet);
            if (!resolved.Present)
            {
                foreach (var field in FacetFields.All.Where(f => f != nameof(FacetSettings.Kind) && FacetFields.Value(own, f) is not null))
                    Problem(field, $"is set, but the {facet} facet is 'none' (this target has no {facet}); remove it or give the facet a kind");
                continue;
            }
            foreach (var field in FacetFields.AppliesTo.Keys)
            {
                if (FacetFields.Value(own, field) is null || FacetFields.AppliesTo[field].Contains(resolved.Kind)) continue;
                Problem(field, $"does not apply to kind '{resolved.Kind}' (it applies to {Or(FacetFields.AppliesTo[field])})");
            }
            if (own.Endpoint is null && resolved.Kind != adapter)
            {
                Problem("Endpoint", $"is missing; a '{resolved.Kind}' {facet} facet needs its own endpoint (the target's Endpoint is for '{adapter}'): " +
                                    EndpointExample(resolved.Kind, resolved.Settings.Provider));
                continue;
            }
            if (resolved.Kind == FacetKinds.Sql && ProviderProblem(resolved.Settings.Provider) is { } provider)
            {
                // An inherited provider was judged once, at the target's own field.
                if (own.Provider is not null || resolved.Kind != adapter) Problem("Provider", provider);
                continue;
            }
            if (EndpointProblem(resolved.Kind, resolved.Endpoint, resolved.Settings.Provider) is { } endpoint)
                problems.Add((own.Endpoint is null ? "Endpoint" : $"{section}:Endpoint", endpoint));
            if (own.Secret is not null && SecretReference.Problem(own.Secret) is { } secret) Problem("Secret", secret);
            foreach (var (field, what) in KindProblems(facet, resolved)) Problem(field, what);
        }
        return problems;
    }

    /// <summary>What is wrong with a sql provider; null when it is postgresql or sqlite.</summary>
    public static string? ProviderProblem(string? provider) =>
        provider is null ? $"is missing; the sql kind needs Provider {Or(SqlProviders.All)}"
        : SqlProviders.All.Any(p => SqlProviders.Is(provider, p)) ? null
        : $"is '{Quote(provider)}'; it must be {Or(SqlProviders.All)}";

    /// <summary>An example endpoint of <paramref name="kind"/>, for messages.</summary>
    public static string EndpointExample(string kind, string? provider = null) => kind switch
    {
        FacetKinds.Actor => "an actor path such as '/user/config-service'",
        FacetKinds.Http => "a URL such as 'http://127.0.0.1:5080'",
        FacetKinds.Etcd => "etcd's client URL such as 'http://127.0.0.1:2379'",
        FacetKinds.Redis => "host:port such as '127.0.0.1:6379'",
        FacetKinds.Sql when SqlProviders.Is(provider, SqlProviders.Sqlite) => "a SQLite file path such as '/var/lib/app/config.db'",
        FacetKinds.Sql => "a connection string without its password such as 'Host=127.0.0.1;Port=5432;Database=app;Username=monitor' (the password goes in Secret)",
        _ => "an endpoint",
    };

    /// <summary>What is wrong with <paramref name="endpoint"/> for <paramref name="kind"/> (the words after "field 'Endpoint'"); null when usable.</summary>
    public static string? EndpointProblem(string kind, string? endpoint, string? provider)
    {
        if (kind == FacetKinds.Actor) return TargetDefinitionReader.EndpointProblem(endpoint);
        if (string.IsNullOrWhiteSpace(endpoint)) return $"is missing; write {EndpointExample(kind, provider)}";
        switch (kind)
        {
            case FacetKinds.Http:
            case FacetKinds.Etcd:
                if (UrlPort().Match(endpoint) is { Success: true } port && (!int.TryParse(port.Groups[1].Value, out var number) || number is < 1 or > 65535))
                    return $"is '{Quote(Redaction.Redact(endpoint))}', whose port {port.Groups[1].Value} is outside 1 to 65535; write {EndpointExample(kind)}";
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host)
                    || endpoint.Any(char.IsWhiteSpace))
                    return $"is '{Quote(Redaction.Redact(endpoint))}', which is not an http:// or https:// URL with a host; write {EndpointExample(kind)}";
                if (!string.IsNullOrEmpty(uri.UserInfo))
                    return "has credentials in its URL; a definition is stored in the journal, so name the secret by reference in 'Secret' (env:NAME or file:/path) instead";
                if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
                    return $"is '{Quote(endpoint)}', which has a query or fragment; give the base URL and put paths in 'Path'";
                return null;
            case FacetKinds.Redis:
                return RedisEndpointProblem(endpoint);
            case FacetKinds.Sql:
                return SqlEndpointProblem(endpoint, provider);
            default:
                return null;
        }
    }

    private static string? RedisEndpointProblem(string endpoint)
    {
        var match = HostPort().Match(endpoint);
        if (!match.Success)
            return endpoint.Contains("password", StringComparison.OrdinalIgnoreCase) || endpoint.Contains('@')
                ? "has credentials in it; name the password by reference in 'Secret' (env:NAME or file:/path) instead"
                : $"is '{Quote(endpoint)}', which is not host:port; write {EndpointExample(FacetKinds.Redis)}";
        var port = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535) return $"names port {port}, outside 1 to 65535";
        return Uri.CheckHostName(match.Groups["host"].Value.Trim('[', ']')) == UriHostNameType.Unknown
            ? $"is '{Quote(endpoint)}', whose host is not a host name or IP address" : null;
    }

    private static string? SqlEndpointProblem(string endpoint, string? provider)
    {
        if (SqlProviders.Is(provider, SqlProviders.Sqlite))
        {
            if (endpoint.Contains("://", StringComparison.Ordinal))
                return $"is '{Quote(endpoint)}', a URL, not a SQLite file; write {EndpointExample(FacetKinds.Sql, provider)}";
            if (!endpoint.Contains('=', StringComparison.Ordinal))
                return endpoint.Any(char.IsControl) ? "has control characters; write " + EndpointExample(FacetKinds.Sql, provider) : null; // a plain file path
            var sqlite = Parse(endpoint, out var error);
            if (sqlite is null) return $"is not a connection string SQLite can read ({error}); write {EndpointExample(FacetKinds.Sql, provider)}";
            if (sqlite.ContainsKey("Password")) return PasswordInConnectionString;
            return sqlite.ContainsKey("Data Source") || sqlite.ContainsKey("DataSource") || sqlite.ContainsKey("Filename")
                ? null : $"names no 'Data Source'; write {EndpointExample(FacetKinds.Sql, provider)}";
        }
        var builder = Parse(endpoint, out var parseError);
        if (builder is null) return $"is not a connection string ({parseError}); write {EndpointExample(FacetKinds.Sql, provider)}";
        if (builder.ContainsKey("Password") || builder.ContainsKey("Pwd")) return PasswordInConnectionString;
        if (NpgsqlProblem(builder) is { } npgsql) return npgsql;
        return builder.ContainsKey("Host") || builder.ContainsKey("Server")
            ? null : $"names no Host; write {EndpointExample(FacetKinds.Sql, provider)}";
    }

    // Npgsql's own reading, keyword by keyword, so the refusal names the keyword it does not know or the value it cannot read.
    private static string? NpgsqlProblem(DbConnectionStringBuilder parsed)
    {
        var npgsql = new Npgsql.NpgsqlConnectionStringBuilder();
        foreach (string keyword in parsed.Keys)
        {
            try
            {
                npgsql[keyword] = parsed[keyword];
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                return npgsql.ContainsKey(keyword)
                    ? $"has '{Quote(keyword)}={Quote(Redaction.Redact(parsed[keyword]?.ToString()))}', which Npgsql cannot read ({e.Message})"
                    : $"names '{Quote(keyword)}', which is not an Npgsql connection string keyword (e.g. Host, Port, Database, Username, SSL Mode, Timeout)";
            }
        }
        return null;
    }

    private const string PasswordInConnectionString =
        "has a password in it; a definition is stored in the journal, so name the password by reference in 'Secret' (env:NAME or file:/path) instead";

    private static DbConnectionStringBuilder? Parse(string text, out string? error)
    {
        try
        {
            error = null;
            return new DbConnectionStringBuilder { ConnectionString = text };
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static IEnumerable<(string Field, string What)> KindProblems(string facet, ResolvedFacet resolved)
    {
        var s = resolved.Settings;
        switch (resolved.Kind)
        {
            case FacetKinds.Http:
                if (s.Preset is not null && !HttpPresetNames.All.Contains(s.Preset.Trim().ToLowerInvariant()))
                    yield return ("Preset", $"is '{Quote(s.Preset)}'; it must be {Or(HttpPresetNames.All)}");
                if (s.Path is not null)
                {
                    if (s.Path.Any(char.IsWhiteSpace) || !(s.Path.StartsWith('/') || Uri.TryCreate(s.Path.Replace("{key}", "k", StringComparison.Ordinal), UriKind.Absolute, out _)))
                        yield return ("Path", $"is '{Quote(s.Path)}', which is neither a path starting with '/' nor an absolute URL");
                    else if (facet == FacetNames.Config && IsPreset(s.Preset, HttpPresetNames.SpringCloudConfig))
                    {
                        // Spring Cloud Config serves /{application}/{profile}[/{label}]: the key is a property name, not part of the URL.
                        if (s.Path.Contains("{key}", StringComparison.Ordinal) || s.Path.Contains('?', StringComparison.Ordinal))
                            yield return ("Path", $"is '{Quote(s.Path)}'; with Preset spring-cloud-config it is '/{{application}}/{{profile}}' or '/{{application}}/{{profile}}/{{label}}', e.g. '/myapp/prod' (the key is looked up in the property sources)");
                    }
                    else if ((facet == FacetNames.Config || facet == FacetNames.Events) && !s.Path.Contains("{key}", StringComparison.Ordinal))
                        yield return ("Path", $"is '{Quote(s.Path)}', which has no '{{key}}' where the key goes, e.g. '/config/{{key}}'");
                    else if (Uri.TryCreate(s.Path, UriKind.Absolute, out var absolute) && !string.IsNullOrEmpty(absolute.UserInfo))
                        yield return ("Path", "has credentials in its URL; name the secret by reference in 'Secret' instead");
                }
                if (s.NotifyPath is not null && (!s.NotifyPath.StartsWith('/') || s.NotifyPath.Any(char.IsWhiteSpace)))
                    yield return ("NotifyPath", $"is '{Quote(s.NotifyPath)}', which is not a path starting with '/'");
                foreach (var (field, pointer) in new[] { ("Pointer", s.Pointer), ("HitsPointer", s.HitsPointer), ("MissesPointer", s.MissesPointer),
                             ("SizePointer", s.SizePointer), ("MaxSizePointer", s.MaxSizePointer) })
                    if (pointer is not null && JsonPointerProblem(pointer) is { } wrong) yield return (field, wrong);
                break;
            case FacetKinds.Sql:
                if (facet == FacetNames.Events && SqlProviders.Is(s.Provider, SqlProviders.Sqlite))
                    yield return ("Kind", "is 'sql' on SQLite, which has no change events (LISTEN/NOTIFY is PostgreSQL's); set EventProbe:Kind to none or another kind");
                if (s.Query is not null)
                {
                    if (string.IsNullOrWhiteSpace(s.Query)) yield return ("Query", "is empty");
                    else if (facet == FacetNames.Config && !KeyParameter().IsMatch(s.Query))
                        yield return ("Query", $"is '{Quote(s.Query)}', which has no '@key' parameter where the key goes, e.g. 'SELECT value FROM settings WHERE name = @key'");
                    else if (s.Query.TrimEnd().TrimEnd(';').Contains(';', StringComparison.Ordinal))
                        yield return ("Query", "holds more than one statement; give one SELECT");
                }
                if (s.Channel is not null && !PostgresChannel().IsMatch(s.Channel))
                    yield return ("Channel", $"is '{Quote(s.Channel)}'; a PostgreSQL channel is 1-63 lower-case letters, digits and '_', starting with a letter or '_'");
                break;
            case FacetKinds.Redis:
                if (s.Channel is not null && (string.IsNullOrWhiteSpace(s.Channel) || s.Channel.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '*' or '?' or '[')))
                    yield return ("Channel", $"is '{Quote(s.Channel)}'; a channel is a name without spaces or pattern characters (* ? [)");
                break;
            case FacetKinds.Etcd:
                if (s.KeyPrefix is not null && (s.KeyPrefix.Any(char.IsControl) || (facet == FacetNames.Events && s.KeyPrefix.Length == 0)))
                    yield return ("KeyPrefix", facet == FacetNames.Events
                        ? "must not be empty: the event probe writes (and then deletes) its keys under it, and nowhere else"
                        : "has control characters");
                break;
        }
    }

    private static bool IsPreset(string? preset, string name) => string.Equals(preset?.Trim(), name, StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with an RFC 6901 JSON pointer; null when valid ("" is the whole document).</summary>
    public static string? JsonPointerProblem(string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/') return $"is '{Quote(pointer)}', which is not a JSON pointer (it starts with '/', e.g. '/value')";
        for (var i = 0; i < pointer.Length; i++)
            if (pointer[i] == '~' && (i + 1 >= pointer.Length || pointer[i + 1] is not ('0' or '1')))
                return $"is '{Quote(pointer)}', whose '~' is not '~0' or '~1' (RFC 6901)";
        return null;
    }

    [GeneratedRegex(@"^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_]+):(?<port>[0-9]{1,5})$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPort();

    [GeneratedRegex(@"^https?://(?:[^/@]*@)?(?:\[[^\]]*\]|[^:/\[]*):([0-9]+)(?:[/?#]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPort();

    [GeneratedRegex(@"@key\b", RegexOptions.CultureInvariant)]
    private static partial Regex KeyParameter();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PostgresChannel();

    private static string Or(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 1 ? list[0] : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }

    // Every value quoted in a refusal is redacted first: a refused endpoint may carry a password.
    private static string Quote(string? text) => TextLimits.Quote(text is null ? null : Redaction.Redact(text), 80);
}

/// <summary>The presets of the http kind (well-known shapes).</summary>
public static class HttpPresetNames
{
    /// <summary>The reference config service of this repository (the default).</summary>
    public const string Reference = "reference";

    /// <summary>Spring Cloud Config Server: <c>/{application}/{profile}</c> property sources.</summary>
    public const string SpringCloudConfig = "spring-cloud-config";

    /// <summary>Spring Boot Actuator: health components and cache metrics.</summary>
    public const string SpringBootActuator = "spring-boot-actuator";

    /// <summary>Every preset.</summary>
    public static readonly IReadOnlyList<string> All = [Reference, SpringCloudConfig, SpringBootActuator];
}
