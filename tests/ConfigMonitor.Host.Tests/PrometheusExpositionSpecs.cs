using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Host.Api;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Host.Tests;

/// <summary>The pure parts of the management API: Prometheus names of our metrics and the API settings.</summary>
public sealed class PrometheusExpositionSpecs
{
    [Theory]
    [InlineData("config_access_ms", "configmonitor_config_access_seconds", 0.001)]
    [InlineData("process_memory_mb", "configmonitor_process_memory_bytes", 1048576)]
    [InlineData("cache_hit_rate", "configmonitor_cache_hit_rate", 1)]
    [InlineData("cache_requests_total", "configmonitor_cache_requests_total", 1)]
    public void Should_name_metrics_in_base_units(string metric, string name, double scale)
    {
        Assert.Equal((name, scale), PrometheusNames.Convert(metric));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9110", null)]
    [InlineData("http://localhost:0", null)]
    [InlineData("http://[::1]:9110", null)]
    [InlineData("http://0.0.0.0:9110", "secret")]
    public void Should_accept_loopback_without_a_token_and_any_address_with_one(string url, string? token)
    {
        var settings = ApiSettings.Read(Section(url, token));
        Assert.Equal(url, settings.Url);
        Assert.Equal(token, settings.Token);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9110", "which other hosts can reach, and 'Api:Token' is not set")]
    [InlineData("http://10.1.2.3:9110", "which other hosts can reach")]
    [InlineData("ftp://127.0.0.1", "not an http:// or https:// address")]
    public void Should_refuse_an_open_api_without_a_token_and_a_bad_url(string url, string expected)
    {
        var error = Assert.Throws<InvalidConfigMonitorOptionsException>(() => ApiSettings.Read(Section(url, null)));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("10", "which is not a duration")]
    [InlineData("99999999999d", "which is not a duration")]
    [InlineData("50ms", "outside 100ms to 5m")]
    [InlineData("1h", "outside 100ms to 5m")]
    public void Should_refuse_an_ask_timeout_that_is_no_duration_or_out_of_range(string text, string expected)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConfigMonitor:Api:AskTimeout"] = text,
        }).Build().GetSection("ConfigMonitor");
        var error = Assert.Throws<InvalidConfigMonitorOptionsException>(() => ApiSettings.Read(section));
        Assert.Contains($"setting 'ConfigMonitor:Api:AskTimeout' is '{text}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    private static IConfigurationSection Section(string url, string? token) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConfigMonitor:Api:Url"] = url,
            ["ConfigMonitor:Api:Token"] = token,
        }).Build().GetSection("ConfigMonitor");
}
