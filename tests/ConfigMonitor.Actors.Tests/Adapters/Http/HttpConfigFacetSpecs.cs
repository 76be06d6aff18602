using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Tests.Adapters.Http.HttpTargets;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

public sealed class HttpConfigFacetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private FakeConfigHttpServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeConfigHttpServer.StartAsync();
        _server.Values["monitor.probe"] = "42";
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Should_read_a_present_key_from_the_reference_route()
    {
        var adapter = Adapter(Sys, _server.Url);

        var read = await adapter.GetConfigAsync("monitor.probe", "fallback", Timeout);

        Assert.Equal(new("monitor.probe", "42", true), read);
        Assert.Equal("/config/monitor.probe", _server.RawTargets.Last());
        Assert.Equal(FacetKinds.Http, adapter.KindOf(FacetNames.Config));
    }

    [Fact]
    public async Task Should_read_an_absent_key_as_not_found_with_the_default_not_as_a_failure()
    {
        var read = await Adapter(Sys, _server.Url).GetConfigAsync("no.such.key", "fallback", Timeout);

        Assert.Equal(new("no.such.key", "fallback", false), read);
    }

    [Fact]
    public async Task Should_escape_the_key_into_the_path()
    {
        _server.Values["a/b c?d&e"] = "odd";

        var read = await Adapter(Sys, _server.Url).GetConfigAsync("a/b c?d&e", null, Timeout);

        Assert.Equal("/config/a%2Fb%20c%3Fd%26e", _server.RawTargets.Last());
        Assert.True(read.Found);
        Assert.Equal("odd", read.Value);
    }

    [Fact]
    public async Task Should_read_metadata_from_the_reference_metadata_route()
    {
        var adapter = Adapter(Sys, _server.Url);

        var entry = await adapter.GetConfigWithMetadataAsync("monitor.probe", Timeout);
        var absent = await adapter.GetConfigWithMetadataAsync("no.such.key", Timeout);

        Assert.Equal(new("monitor.probe", "42", true, "probe key", DateTimeOffset.Parse("2026-11-30T10:00:00Z"), 7, true), entry);
        Assert.Equal(new("no.such.key", null, false, null, null, 0, false), absent);
    }

    [Fact]
    public async Task Should_read_a_custom_api_at_its_pointer_with_version_and_time_from_ETag_and_Last_Modified()
    {
        _server.Routes["/v1/settings/feature.x"] = async context =>
        {
            context.Response.Headers.ETag = "\"12\"";
            context.Response.Headers.LastModified = "Tue, 01 Dec 2026 08:00:00 GMT";
            await FakeConfigHttpServer.Raw(200, """{"data":{"setting":{"value":true}}}""")(context);
        };
        var adapter = Adapter(Sys, _server.Url, ("Config:Path", "/v1/settings/{key}"), ("Config:Pointer", "/data/setting/value"));

        var read = await adapter.GetConfigAsync("feature.x", null, Timeout);
        var entry = await adapter.GetConfigWithMetadataAsync("feature.x", Timeout);

        Assert.Equal(new("feature.x", "true", true), read);
        Assert.Equal(new("feature.x", "true", true, null, new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), 12, false), entry);
    }

    [Fact]
    public async Task Should_fail_with_the_services_reason_and_status_when_it_answers_503()
    {
        _server.DatabaseDown = true;
        var adapter = Adapter(Sys, _server.Url);

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, Timeout));
        var metadata = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigWithMetadataAsync("monitor.probe", Timeout));

        Assert.Equal("get_config", failure.Operation);
        Output.WriteLine(failure.Message);
        Assert.Contains("503", failure.Message);
        Assert.Contains("database unavailable", failure.Message);
        Assert.Contains("/config/monitor.probe", failure.Message);
        Assert.Equal("get_config_with_metadata", metadata.Operation);
    }

    [Fact]
    public async Task Should_time_out_within_the_probe_timeout_when_the_server_hangs()
    {
        _server.Hang = true;
        var adapter = Adapter(Sys, _server.Url);
        var timeout = TimeSpan.FromMilliseconds(400);
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<ProbeTimeoutException>(() => adapter.GetConfigAsync("monitor.probe", null, timeout));

        // The deadline's timer may fire a tick early; the point is that it fires: without it the hung request would wait out the
        // HTTP client's own 2 minutes, so 10 s of room for a busy machine still tells the two apart.
        Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(10));
        Assert.Contains("get_config", failure.Message);
    }

    [Fact]
    public async Task Should_fail_naming_the_port_when_the_connection_is_refused()
    {
        var port = RefusedPort();
        var adapter = Adapter(Sys, $"http://127.0.0.1:{port}");

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, Timeout));

        Assert.Contains($"127.0.0.1:{port}", failure.Message);
        Assert.Contains("refused", failure.Message, StringComparison.OrdinalIgnoreCase);
        Output.WriteLine(failure.Message);
    }

    [Theory]
    [InlineData("""{"key":"monitor.probe","value":""", 200)]
    [InlineData("<html><body>Bad gateway</body></html>", 200)]
    public async Task Should_fail_on_a_malformed_reply_quoting_it(string body, int status)
    {
        _server.Routes["/config/monitor.probe"] = FakeConfigHttpServer.Raw(status, body);

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).GetConfigAsync("monitor.probe", null, Timeout));

        Output.WriteLine(failure.Message);
        Assert.Contains("malformed JSON", failure.Message);
        Assert.Contains("200", failure.Message);
        Assert.Contains(body[..10], failure.Message);
        Assert.DoesNotContain('\n', failure.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Should_refuse_a_reply_larger_than_one_mebibyte(bool withContentLength)
    {
        var big = "{\"value\":\"" + new string('x', 5 * 1024 * 1024) + "\"}";
        _server.Routes["/config/monitor.probe"] = async context =>
        {
            context.Response.ContentType = "application/json";
            if (withContentLength) context.Response.ContentLength = big.Length;
            await context.Response.WriteAsync(big);
        };

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).GetConfigAsync("monitor.probe", null, Timeout));

        Output.WriteLine(failure.Message);
        Assert.Contains("1 MiB", failure.Message);
        Assert.True(failure.Message.Length < 400, failure.Message);
    }

    [Fact]
    public async Task Should_fail_saying_the_reply_broke_off_when_it_ends_before_its_content_length()
    {
        _server.Routes["/config/monitor.probe"] = async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("{\"value\":");
            await context.Response.Body.FlushAsync();
            context.Abort();
        };

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).GetConfigAsync("monitor.probe", null, Timeout));

        Output.WriteLine(failure.Message);
        // Whether the abort reaches the client while it reads the body or (on a busy machine) before the headers are read,
        // the failure names the request and the break, on one line.
        Assert.Contains("GET http://127.0.0.1:", failure.Message);
        Assert.True(failure.Message.Contains("broke off", StringComparison.Ordinal) || failure.Message.Contains("reset by peer", StringComparison.Ordinal),
            failure.Message);
        Assert.DoesNotContain('\n', failure.Message);
    }

    [Fact]
    public async Task Should_fail_naming_the_pointer_when_it_names_nothing_in_the_reply()
    {
        var adapter = Adapter(Sys, _server.Url, ("Config:Pointer", "/data/value"));

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, Timeout));

        Assert.Contains("'/data/value'", failure.Message);
        Assert.Contains("Pointer", failure.Message);
    }

    [Fact]
    public async Task Should_send_the_env_secret_as_a_bearer_token_and_never_show_it()
    {
        var variable = "CM_HTTP_TOKEN_" + Guid.NewGuid().ToString("N");
        var token = "tok-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, token);
        try
        {
            var adapter = Adapter(Sys, _server.Url, ("Secret", $"env:{variable}"));
            await adapter.GetConfigAsync("monitor.probe", null, Timeout);
            Assert.Equal($"Bearer {token}", _server.Authorizations.Last());

            // A server that echoes the token in its error: the failure says *** instead.
            _server.Routes["/config/monitor.probe"] = async context =>
                await FakeConfigHttpServer.Raw(401, $$"""{"error":"token {{context.Request.Headers.Authorization}} is not allowed"}""")(context);
            var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, Timeout));
            Assert.Contains("401", failure.Message);
            Assert.DoesNotContain(token, failure.Message);
            Assert.Contains("***", failure.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Should_fail_naming_the_secret_reference_when_it_is_not_set_and_send_nothing()
    {
        var variable = "CM_HTTP_UNSET_" + Guid.NewGuid().ToString("N");
        var adapter = Adapter(Sys, _server.Url, ("Secret", $"env:{variable}"));

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("monitor.probe", null, Timeout));

        Assert.Contains($"env:{variable}", failure.Message);
        Assert.Empty(_server.Authorizations);
    }

    [Fact]
    public async Task Should_share_the_nodes_one_client_among_many_targets()
    {
        var connections = ConfigMonitor.Actors.Adapters.FacetConnections.For(Sys);
        var adapters = Enumerable.Range(0, 40).Select(_ => Adapter(Sys, _server.Url)).ToList();

        foreach (var adapter in adapters) Assert.True((await adapter.GetConfigAsync("monitor.probe", null, Timeout)).Found);

        // One pooled keep-alive connection served 40 targets' sequential reads; no per-endpoint client was made.
        Assert.Single(_server.Connections);
        Assert.Equal(0, connections.SharedCount);
    }
}
