using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Tests.Adapters.Http.HttpTargets;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

/// <summary>
/// The config facet's presets against payloads written from each product's documented format (Spring Cloud Config Server's
/// /{application}/{profile} Environment, Spring Boot Actuator's env endpoint); no Java runs here.
/// </summary>
public sealed class HttpConfigPresetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private FakeConfigHttpServer _server = null!;

    // Highest precedence first, as the Config Server lists them (the profile-specific file before the application's).
    private const string Environment = """
        {
          "name": "myapp",
          "profiles": [ "prod" ],
          "label": "main",
          "version": "a611374438e75aa1b9808908c57833480944e1a8",
          "state": null,
          "propertySources": [
            { "name": "https://github.com/example/config-repo/myapp-prod.properties", "source": { "feature.enabled": "true", "pool.size": 20 } },
            { "name": "https://github.com/example/config-repo/myapp.properties", "source": { "feature.enabled": "false", "greeting": "hello" } },
            { "name": "https://github.com/example/config-repo/application.yml", "source": { "greeting": "hi", "info.description": "Spring Cloud Samples" } }
          ]
        }
        """;

    public async Task InitializeAsync()
    {
        _server = await FakeConfigHttpServer.StartAsync();
        _server.Routes["/myapp/prod"] = FakeConfigHttpServer.Raw(200, Environment);
        _server.Routes["/myapp/prod/main"] = FakeConfigHttpServer.Raw(200, Environment);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IConfigServiceAdapter SpringCloudConfig(string path = "/myapp/prod") =>
        Adapter(Sys, _server.Url, ("Config:Preset", "spring-cloud-config"), ("Config:Path", path));

    [Fact]
    public async Task Should_take_the_first_property_source_that_holds_the_key()
    {
        var adapter = SpringCloudConfig();

        Assert.Equal(new("feature.enabled", "true", true), await adapter.GetConfigAsync("feature.enabled", null, Timeout));
        Assert.Equal(new("greeting", "hello", true), await adapter.GetConfigAsync("greeting", null, Timeout));
        Assert.Equal(new("pool.size", "20", true), await adapter.GetConfigAsync("pool.size", null, Timeout));
        Assert.Equal(new("info.description", "Spring Cloud Samples", true), await adapter.GetConfigAsync("info.description", null, Timeout));
        Assert.All(_server.RawTargets, target => Assert.Equal("/myapp/prod", target));
    }

    [Fact]
    public async Task Should_read_a_key_no_source_holds_as_not_found()
    {
        var read = await SpringCloudConfig("/myapp/prod/main").GetConfigAsync("no.such.key", "fallback", Timeout);

        Assert.Equal(new("no.such.key", "fallback", false), read);
    }

    [Fact]
    public async Task Should_give_the_property_source_as_the_description_in_metadata()
    {
        var entry = await SpringCloudConfig().GetConfigWithMetadataAsync("greeting", Timeout);

        Assert.Equal("hello", entry.Value);
        Assert.True(entry.Found);
        Assert.Equal("https://github.com/example/config-repo/myapp.properties", entry.Description);
    }

    [Fact]
    public async Task Should_fail_saying_what_path_is_expected_when_the_application_is_unknown()
    {
        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => SpringCloudConfig("/otherapp/prod").GetConfigAsync("greeting", null, Timeout));

        Assert.Contains("404", failure.Message);
        Assert.Contains("/{application}/{profile}", failure.Message);
    }

    [Fact]
    public async Task Should_fail_when_the_reply_is_not_an_environment()
    {
        _server.Routes["/myapp/prod"] = FakeConfigHttpServer.Raw(200, """{"status":"UP"}""");

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => SpringCloudConfig().GetConfigAsync("greeting", null, Timeout));

        Assert.Contains("propertySources", failure.Message);
    }

    [Fact]
    public async Task Should_read_a_property_through_actuators_env_endpoint()
    {
        // The env endpoint's single-property reply: the winning source and value, then every source's view of it.
        _server.Routes["/actuator/env/pool.size"] = FakeConfigHttpServer.Raw(200, """
            {
              "property" : { "source" : "Config resource 'class path resource [application.properties]' via location 'optional:classpath:/'", "value" : "20" },
              "activeProfiles" : [ ],
              "defaultProfiles" : [ "default" ],
              "propertySources" : [ { "name" : "systemProperties" }, { "name" : "Config resource 'class path resource [application.properties]' via location 'optional:classpath:/'", "property" : { "value" : "20", "origin" : "class path resource [application.properties] - 1:11" } } ]
            }
            """, "application/vnd.spring-boot.actuator.v3+json");
        _server.Routes["/actuator/env/no.such.key"] = FakeConfigHttpServer.Raw(404, "");
        var adapter = Adapter(Sys, _server.Url, ("Config:Preset", "spring-boot-actuator"));

        Assert.Equal(new("pool.size", "20", true), await adapter.GetConfigAsync("pool.size", null, Timeout));
        Assert.Equal(new("no.such.key", null, false), await adapter.GetConfigAsync("no.such.key", null, Timeout));
    }

    [Fact]
    public void Should_accept_a_spring_cloud_config_path_without_key_and_refuse_one_with_it()
    {
        Assert.Equal("/myapp/prod/main", TargetFacets.Resolve(Read(_server.Url, ("Config:Preset", "spring-cloud-config"), ("Config:Path", "/myapp/prod/main")), "config").Settings.Path);

        var refused = Assert.Throws<InvalidTargetDefinitionException>(() =>
            Read(_server.Url, ("Config:Preset", "spring-cloud-config"), ("Config:Path", "/myapp/{key}")));
        var reference = Assert.Throws<InvalidTargetDefinitionException>(() => Read(_server.Url, ("Config:Path", "/myapp/prod")));

        Assert.Contains("Config:Path", refused.Message);
        Assert.Contains("/{application}/{profile}", refused.Message);
        Assert.Contains("{key}", reference.Message);
    }
}
