using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>Facets: the shorthand, per-facet overrides, and one clear line for every way a facet can be wrong.</summary>
public sealed class TargetFacetsSpecs
{
    private static IConfigurationSection Section(IEnumerable<(string Key, string Value)> values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Targets:t:" + v.Key, v.Value)))
            .Build()
            .GetSection("Targets");

    private static TargetDefinition Read(params (string Key, string Value)[] values) => Assert.Single(TargetDefinitionReader.Read(Section(values)));

    private static IReadOnlyList<string> Problems(params (string Key, string Value)[] values)
    {
        try
        {
            TargetDefinitionReader.Read(Section(values));
            return [];
        }
        catch (InvalidTargetDefinitionException e)
        {
            return e.Problems;
        }
    }

    private static string Kinds(TargetDefinition t) => string.Join(",", TargetFacets.Resolve(t).Select(f => f.Kind));

    [Fact]
    public void The_shorthand_should_fill_every_facet_its_kind_supports_and_none_for_the_others()
    {
        Assert.Equal("actor,actor,actor,actor", Kinds(Read(("Endpoint", "/user/svc"))));
        Assert.Equal("http,http,http,http", Kinds(Read(("Adapter", "http"), ("Endpoint", "http://127.0.0.1:5080"))));
        Assert.Equal("etcd,none,etcd,etcd", Kinds(Read(("Adapter", "etcd"), ("Endpoint", "http://127.0.0.1:2379"))));
        Assert.Equal("sql,none,sql,sql", Kinds(Read(("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=127.0.0.1;Database=cfg;Username=mon"))));
        Assert.Equal("sql,none,sql,none", Kinds(Read(("Adapter", "sql"), ("Provider", "sqlite"), ("Endpoint", "/var/lib/app/config.db"))));
        // Kinds are read in any case, and the facets inherit the shorthand's endpoint.
        var etcd = Read(("Adapter", "ETCD"), ("Endpoint", "http://127.0.0.1:2379"));
        Assert.All(TargetFacets.Resolve(etcd).Where(f => f.Present), f => Assert.Equal("http://127.0.0.1:2379", f.Endpoint));
    }

    [Fact]
    public void A_facet_should_be_overridden_on_its_own_and_inherit_the_provider_and_secret_only_from_its_own_kind()
    {
        var t = Read(("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=db;Database=cfg;Username=mon"), ("Secret", "env:PG_PASSWORD"),
            ("Cache:Kind", "redis"), ("Cache:Endpoint", "127.0.0.1:6379"), ("Cache:Secret", "file:/run/secrets/redis"),
            ("EventProbe:Kind", "redis"), ("EventProbe:Endpoint", "[::1]:6380"), ("EventProbe:Channel", "cfg:events"));
        var facets = TargetFacets.Resolve(t).ToDictionary(f => f.Facet);

        Assert.Equal(("sql", "env:PG_PASSWORD", "postgresql"), (facets["config"].Kind, facets["config"].Settings.Secret, facets["config"].Settings.Provider));
        Assert.Equal(("sql", "Host=db;Database=cfg;Username=mon"), (facets["database"].Kind, facets["database"].Endpoint));
        Assert.Equal(("redis", "127.0.0.1:6379", "file:/run/secrets/redis"), (facets["cache"].Kind, facets["cache"].Endpoint, facets["cache"].Settings.Secret));
        Assert.Equal(("redis", "[::1]:6380", null), (facets["events"].Kind, facets["events"].Endpoint, facets["events"].Settings.Secret));
        Assert.Null(facets["events"].Settings.Provider);
    }

    [Fact]
    public void An_actor_target_of_the_seed_should_read_as_before()
    {
        var t = Read(("Endpoint", "/user/config-service"), ("Cache:MinHitRate", "0.5"));
        Assert.Equal("actor", t.Adapter);
        Assert.Equal(0.5, t.Cache.MinHitRate);
        Assert.Null(t.Cache.Kind);
        Assert.Empty(TargetDefinitionReader.Validate(t));
    }

    public static TheoryData<string, (string, string)[], string> BadDefinitions() => new()
    {
        { "unknown kind", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Kind", "memcached")],
            "field 'Cache:Kind' is 'memcached', not a kind; the cache facet can be actor, redis, http or none" },
        { "kind that cannot serve the facet", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Kind", "redis")],
            "field 'Config:Kind' is 'redis', which cannot serve the config facet; it can be actor, http, etcd or sql" },
        { "unknown adapter", [("Adapter", "zookeeper"), ("Endpoint", "http://h:1")],
            "field 'Adapter' is 'zookeeper'; it must be one of actor, http, etcd, sql" },
        { "redis as adapter", [("Adapter", "redis"), ("Endpoint", "127.0.0.1:6379")],
            "field 'Adapter' is 'redis', which serves no config reads" },
        { "facet missing its endpoint", [("Adapter", "etcd"), ("Endpoint", "http://127.0.0.1:2379"), ("Cache:Kind", "redis")],
            "field 'Cache:Endpoint' is missing; a 'redis' cache facet needs its own endpoint (the target's Endpoint is for 'etcd')" },
        { "target endpoint missing", [("Adapter", "http")], "field 'Endpoint' is missing; write a URL such as 'http://127.0.0.1:5080'" },
        { "bad URL", [("Adapter", "http"), ("Endpoint", "ftp://h/x")], "field 'Endpoint' is 'ftp://h/x', which is not an http:// or https:// URL with a host" },
        { "port out of range", [("Adapter", "http"), ("Endpoint", "http://127.0.0.1:99999")], "field 'Endpoint' is 'http://127.0.0.1:99999', whose port 99999 is outside 1 to 65535" },
        { "port zero", [("Adapter", "etcd"), ("Endpoint", "http://h:0")], "whose port 0 is outside 1 to 65535" },
        { "URL with a query", [("Adapter", "etcd"), ("Endpoint", "http://h:2379/?x=1")], "which has a query or fragment" },
        { "bad redis endpoint", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Kind", "redis"), ("Cache:Endpoint", "redis-host")],
            "field 'Cache:Endpoint' is 'redis-host', which is not host:port" },
        { "redis port out of range", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Kind", "redis"), ("Cache:Endpoint", "h:70000")],
            "field 'Cache:Endpoint' names port 70000, outside 1 to 65535" },
        { "SQL without @key", [("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=db"), ("Config:Query", "SELECT value FROM t WHERE k = 'x'")],
            "field 'Config:Query' is 'SELECT value FROM t WHERE k = 'x'', which has no '@key' parameter" },
        { "SQL with two statements", [("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=db"), ("Config:Query", "SELECT @key; DROP TABLE t")],
            "field 'Config:Query' holds more than one statement" },
        { "sql without provider", [("Adapter", "sql"), ("Endpoint", "Host=db")], "field 'Provider' is missing; the sql kind needs Provider postgresql or sqlite" },
        { "unknown provider", [("Adapter", "sql"), ("Provider", "oracle"), ("Endpoint", "Host=db")], "field 'Provider' is 'oracle'; it must be postgresql or sqlite" },
        { "connection string without host", [("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Database=cfg")], "field 'Endpoint' names no Host" },
        { "LISTEN/NOTIFY on SQLite", [("Adapter", "sql"), ("Provider", "sqlite"), ("Endpoint", "/x.db"), ("EventProbe:Kind", "sql")],
            "field 'EventProbe:Kind' is 'sql' on SQLite, which has no change events" },
        { "bad postgres channel", [("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=db"), ("EventProbe:Channel", "Bad-Channel")],
            "field 'EventProbe:Channel' is 'Bad-Channel'; a PostgreSQL channel is 1-63 lower-case letters" },
        { "field of another kind", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Query", "SELECT 1")],
            "field 'Config:Query' does not apply to kind 'http' (it applies to sql)" },
        { "field on a none facet", [("Adapter", "etcd"), ("Endpoint", "http://h:2379"), ("Cache:Endpoint", "h:6379")],
            "field 'Cache:Endpoint' is set, but the cache facet is 'none'" },
        { "threshold on a none facet", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Kind", "none"), ("Cache:MinHitRate", "0.5")],
            "field 'Cache:MinHitRate' is set, but the cache facet is 'none' (this target has no cache, so nothing is judged)" },
        { "threshold on the shorthand's none facet", [("Adapter", "etcd"), ("Endpoint", "http://h:2379"), ("Cache:Interval", "5s")],
            "field 'Cache:Interval' is set, but the cache facet is 'none'" },
        { "event timeout on sqlite", [("Adapter", "sql"), ("Provider", "sqlite"), ("Endpoint", "/x.db"), ("EventProbe:Timeout", "2s")],
            "field 'EventProbe:Timeout' is set, but the events facet is 'none'" },
        { "config none", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Kind", "none")],
            "field 'Config:Kind' is 'none', which cannot serve the config facet" },
        { "http config path without {key}", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Path", "/config")],
            "field 'Config:Path' is '/config', which has no '{key}'" },
        { "bad JSON pointer", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Pointer", "value")],
            "field 'Config:Pointer' is 'value', which is not a JSON pointer" },
        { "bad JSON pointer escape", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:HitsPointer", "/a~2b")],
            "field 'Cache:HitsPointer' is '/a~2b', whose '~' is not '~0' or '~1'" },
        { "unknown preset", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Preset", "consul")],
            "field 'Config:Preset' is 'consul'; it must be reference, spring-cloud-config or spring-boot-actuator" },
        { "empty etcd probe prefix", [("Adapter", "etcd"), ("Endpoint", "http://h:2379"), ("EventProbe:KeyPrefix", "")],
            "field 'EventProbe:KeyPrefix' must not be empty" },
        { "unknown field", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Url", "/stats")], "field 'Cache:Url' is not a known field" },
        { "actor path on an http facet", [("Adapter", "http"), ("Endpoint", "/user/svc")], "field 'Endpoint' is '/user/svc', which is not an http:// or https:// URL" },
        { "provider on a non-sql adapter", [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Provider", "postgresql")],
            "field 'Provider' applies to Adapter 'sql' only" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public void A_bad_facet_should_be_refused_with_one_line_naming_target_and_field(string what, (string, string)[] values, string expected)
    {
        var problems = Problems(values);
        var problem = Assert.Single(problems);
        Assert.True(problem.Contains(expected, StringComparison.Ordinal), $"{what}: expected '{expected}' in: {problem}");
        Assert.StartsWith("target 't': field '", problem);
    }

    [Fact]
    public void An_unknown_field_should_be_answered_with_the_known_fields_of_its_own_section()
    {
        var inSection = Assert.Single(Problems(("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Colour", "red")));
        Assert.Contains("field 'Cache:Colour' is not a known field (known: ", inSection);
        Assert.Contains("Cache:MinHitRate", inSection);
        Assert.Contains("Cache:Kind", inSection);
        Assert.DoesNotContain("Performance:", inSection);

        var topLevel = Assert.Single(Problems(("Adapter", "http"), ("Endpoint", "http://h:1"), ("Colour", "red")));
        Assert.Contains("Adapter", topLevel);
        Assert.Contains("Cache:…", topLevel);
        Assert.True(topLevel.Length < 400, topLevel);
    }

    public static TheoryData<(string, string)[], string> Secrets() => new()
    {
        { [("Adapter", "http"), ("Endpoint", "http://admin:hunter2secret@h:1")], "hunter2secret" },
        { [("Adapter", "etcd"), ("Endpoint", "https://root:hunter2secret@h:2379")], "hunter2secret" },
        { [("Adapter", "sql"), ("Provider", "postgresql"), ("Endpoint", "Host=db;Username=mon;Password=hunter2secret")], "hunter2secret" },
        { [("Adapter", "sql"), ("Provider", "sqlite"), ("Endpoint", "Data Source=/x.db;Password=hunter2secret")], "hunter2secret" },
        { [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Cache:Kind", "redis"), ("Cache:Endpoint", "h:6379,password=hunter2secret")], "hunter2secret" },
        { [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Secret", "hunter2secret")], "hunter2secret" },
        { [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Secret", "Bearer hunter2secret")], "hunter2secret" },
        { [("Adapter", "http"), ("Endpoint", "http://h:1"), ("Config:Path", "https://u:hunter2secret@other/{key}")], "hunter2secret" },
    };

    [Theory]
    [MemberData(nameof(Secrets))]
    public void A_secret_given_by_value_should_be_refused_without_repeating_it(( string, string)[] values, string secret)
    {
        var problem = Assert.Single(Problems(values));
        Assert.DoesNotContain(secret, problem);
        Assert.True(problem.Contains("by reference", StringComparison.Ordinal) || problem.Contains("'Secret'", StringComparison.Ordinal), problem);
    }

    [Fact]
    public void Secret_references_should_resolve_from_the_environment_and_files_and_fail_naming_the_reference_only()
    {
        var name = "CM_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "s3cr3t-value");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            Assert.Equal("s3cr3t-value", SecretReference.Resolve($"env:{name}"));
            Assert.Equal("from-file", SecretReference.Resolve($"file:{file}"));
            var missing = Assert.Throws<SecretUnavailableException>(() => SecretReference.Resolve("env:CM_NOT_SET_" + Guid.NewGuid().ToString("N")));
            Assert.Contains("is not set in the node's environment", missing.Message);
            Assert.Throws<SecretUnavailableException>(() => SecretReference.Resolve($"file:{file}.absent"));
            foreach (var bad in new[] { "s3cr3t-value", "env:", "env:1ABC", "env:A-B", "file:relative/path", "ENV:X" })
            {
                Assert.NotNull(SecretReference.Problem(bad));
                Assert.DoesNotContain("s3cr3t", Assert.Throws<SecretUnavailableException>(() => SecretReference.Resolve(bad)).Message);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("http://user:pa55@h:1/x", "http://***@h:1/x")]
    [InlineData("failed to reach https://token@h/x: refused", "failed to reach https://***@h/x: refused")]
    [InlineData("Host=db;Password=pa55;Username=u", "Host=db;Password=***;Username=u")]
    [InlineData("Host=db;pwd = 'pa;55'", "Host=db;pwd=***")]
    [InlineData("127.0.0.1:6379,password=pa55,ssl=true", "127.0.0.1:6379,password=***,ssl=true")]
    [InlineData("api_key=pa55 and token=pa55", "api_key=*** and token=***")]
    [InlineData("no secret here: http://h:1/x", "no secret here: http://h:1/x")]
    public void Redaction_should_remove_credentials_from_urls_and_connection_strings(string text, string expected) =>
        Assert.Equal(expected, Redaction.Redact(text));
}
