using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Tests.Adapters.Http.HttpTargets;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

public sealed class HttpCacheAndDatabaseFacetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private FakeConfigHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeConfigHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Should_read_the_cache_counters_of_the_reference_stats_route()
    {
        _server.Cache = (900, 100, 37, 500);

        var stats = await Adapter(Sys, _server.Url).GetCacheStatsAsync(Timeout);

        Assert.Equal(new(900, 100, 37, 500), stats);
        Assert.Equal("/cache/stats", _server.RawTargets.Last());
    }

    [Fact]
    public async Task Should_read_the_cache_counters_at_custom_pointers()
    {
        _server.Routes["/internal/cache"] = FakeConfigHttpServer.Raw(200,
            """{"lru":{"stats":{"hit_count":5,"miss_count":1.0},"entries":[3,{"n":4}],"limits":{"a/b":10}}}""");
        var adapter = Adapter(Sys, _server.Url, ("Cache:Path", "/internal/cache"), ("Cache:HitsPointer", "/lru/stats/hit_count"),
            ("Cache:MissesPointer", "/lru/stats/miss_count"), ("Cache:SizePointer", "/lru/entries/1/n"), ("Cache:MaxSizePointer", "/lru/limits/a~1b"));

        var stats = await adapter.GetCacheStatsAsync(Timeout);

        Assert.Equal(new(5, 1, 4, 10), stats);
    }

    [Theory]
    [InlineData("""{"hits":1,"misses":2,"size":3}""", "MaxSizePointer '/maxSize'", "nothing")]
    [InlineData("""{"hits":"many","misses":2,"size":3,"maxSize":4}""", "HitsPointer '/hits'", "the string 'many'")]
    [InlineData("""{"hits":1,"misses":null,"size":3,"maxSize":4}""", "MissesPointer '/misses'", "a JSON null")]
    [InlineData("""{"hits":1,"misses":2,"size":-3,"maxSize":4}""", "SizePointer '/size'", "the number -3")]
    public async Task Should_fail_naming_the_pointer_when_a_counter_is_missing_or_not_a_count(string body, string field, string what)
    {
        _server.Routes["/cache/stats"] = FakeConfigHttpServer.Raw(200, body);

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).GetCacheStatsAsync(Timeout));

        Assert.Equal("get_cache_stats", failure.Operation);
        Output.WriteLine(failure.Message);
        Assert.Contains(field, failure.Message);
        Assert.Contains(what, failure.Message);
    }

    [Fact]
    public async Task Should_report_the_database_up_with_the_row_count_of_the_reference_health_route()
    {
        _server.Values["a"] = "1";
        _server.Values["b"] = "2";

        var probe = await Adapter(Sys, _server.Url).ProbeDatabaseAsync(Timeout);

        Assert.Equal(new(1, 2), probe);
    }

    [Fact]
    public async Task Should_fail_with_the_error_text_and_status_when_the_health_route_says_down()
    {
        _server.DatabaseDown = true;

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).ProbeDatabaseAsync(Timeout));

        Assert.Equal("database_probe", failure.Operation);
        Assert.Contains("503", failure.Message);
        Assert.Contains("database unavailable", failure.Message);
    }

    [Fact]
    public async Task Should_take_any_2xx_of_a_custom_health_path_as_up_without_a_row_count()
    {
        _server.Routes["/healthz"] = FakeConfigHttpServer.Raw(204, "");

        var probe = await Adapter(Sys, _server.Url, ("Database:Path", "/healthz")).ProbeDatabaseAsync(Timeout);

        Assert.Equal(new(1, 0) { HasRowCount = false }, probe);
    }

    [Fact]
    public async Task Should_fail_naming_the_row_count_pointer_when_it_names_nothing()
    {
        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() =>
            Adapter(Sys, _server.Url, ("Database:Pointer", "/database/count")).ProbeDatabaseAsync(Timeout));

        Assert.Contains("'/database/count'", failure.Message);
    }

    // Payloads written from Spring Boot's Actuator API documentation (the metrics endpoint: name, measurements[{statistic,
    // value}], availableTags; the health endpoint: status and components with details); no Spring application runs here.
    private void ServeActuator(string dbStatus = "UP", int healthStatus = 200, bool showComponents = true)
    {
        _server.Routes["/actuator/metrics/cache.gets"] = async context =>
        {
            var result = context.Request.Query["tag"].ToString() switch
            {
                "result:hit" => 830.0,
                "result:miss" => 170.0,
                _ => 1000.0,
            };
            await FakeConfigHttpServer.Raw(200, $$"""
                {
                  "name" : "cache.gets",
                  "description" : "The number of times cache lookup methods have returned a cached (hit) or uncached (newly loaded or null) value (miss).",
                  "measurements" : [ { "statistic" : "COUNT", "value" : {{result:0.0}} } ],
                  "availableTags" : [ { "tag" : "cache", "values" : [ "books" ] }, { "tag" : "cache.manager", "values" : [ "cacheManager" ] }, { "tag" : "name", "values" : [ "books" ] } ]
                }
                """, "application/vnd.spring-boot.actuator.v3+json")(context);
        };
        _server.Routes["/actuator/metrics/cache.size"] = FakeConfigHttpServer.Raw(200, """
            {
              "name" : "cache.size",
              "description" : "The number of entries in this cache. This may be an approximation, depending on the type of cache.",
              "baseUnit" : null,
              "measurements" : [ { "statistic" : "VALUE", "value" : 42.0 } ],
              "availableTags" : [ { "tag" : "cache", "values" : [ "books" ] } ]
            }
            """, "application/vnd.spring-boot.actuator.v3+json");
        var components = showComponents ? $$"""
            ,
              "components" : {
                "db" : { "status" : "{{dbStatus}}", "details" : { "database" : "PostgreSQL", "validationQuery" : "isValid()"{{(dbStatus == "UP" ? "" : ", \"error\" : \"org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\"")}} } },
                "diskSpace" : { "status" : "UP", "details" : { "total" : 76887154688, "free" : 51445821440, "threshold" : 10485760, "exists" : true } },
                "ping" : { "status" : "UP" }
              }
            """ : "";
        _server.Routes["/actuator/health"] = FakeConfigHttpServer.Raw(healthStatus,
            $$"""{ "status" : "{{(dbStatus == "UP" ? "UP" : "DOWN")}}"{{components}} }""", "application/vnd.spring-boot.actuator.v3+json");
    }

    [Fact]
    public async Task Should_read_the_cache_from_actuators_cache_metrics()
    {
        ServeActuator();

        var stats = await Adapter(Sys, _server.Url, ("Cache:Preset", "spring-boot-actuator")).GetCacheStatsAsync(Timeout);

        Assert.Equal(new(830, 170, 42, 0), stats);
        Assert.Contains("/actuator/metrics/cache.gets?tag=result:hit", _server.RawTargets);
        Assert.Contains("/actuator/metrics/cache.gets?tag=result:miss", _server.RawTargets);
    }

    [Fact]
    public async Task Should_report_the_database_up_when_actuators_db_component_is_UP()
    {
        ServeActuator();

        var probe = await Adapter(Sys, _server.Url, ("Database:Preset", "spring-boot-actuator")).ProbeDatabaseAsync(Timeout);

        Assert.Equal(new(1, 0) { HasRowCount = false }, probe);
    }

    [Fact]
    public async Task Should_fail_with_the_db_components_error_when_actuator_says_DOWN()
    {
        ServeActuator(dbStatus: "DOWN", healthStatus: 503);

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() =>
            Adapter(Sys, _server.Url, ("Database:Preset", "spring-boot-actuator")).ProbeDatabaseAsync(Timeout));

        Assert.Contains("503", failure.Message);
        Assert.Contains("DOWN", failure.Message);
        Output.WriteLine(failure.Message);
        Assert.Contains("Failed to obtain JDBC Connection", failure.Message);
    }

    [Fact]
    public async Task Should_say_how_to_show_the_db_component_when_actuator_hides_it()
    {
        ServeActuator(showComponents: false);

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() =>
            Adapter(Sys, _server.Url, ("Database:Preset", "spring-boot-actuator")).ProbeDatabaseAsync(Timeout));

        Output.WriteLine(failure.Message);
        Assert.Contains("show-components", failure.Message);
    }

    [Fact]
    public async Task Should_read_spring_cloud_config_servers_cache_and_health_through_actuator()
    {
        ServeActuator();

        var adapter = Adapter(Sys, _server.Url, ("Config:Preset", "spring-cloud-config"), ("Config:Path", "/myapp/prod"),
            ("Cache:Preset", "spring-cloud-config"), ("Database:Preset", "spring-cloud-config"));

        Assert.Equal(new(830, 170, 42, 0), await adapter.GetCacheStatsAsync(Timeout));
        Assert.Equal(new(1, 0) { HasRowCount = false }, await adapter.ProbeDatabaseAsync(Timeout));
    }
}
