using System.Net;
using System.Net.Http.Json;
using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Dispatch;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Host.Tests;

/// <summary>The start-up rules in-process: listen addresses and the token, the strict akka.hocon reader, exit codes.</summary>
public sealed class StartupRulesSpecs : IDisposable
{
    private readonly TempDirectory _data = TempDirectory.ForNode();

    [Theory]
    [InlineData("http://127.0.0.1:9110", true)]
    [InlineData("http://127.8.9.10:0", true)]
    [InlineData("https://localhost:9110/", true)]
    [InlineData("http://LOCALHOST", true)]
    [InlineData("http://[::1]:9110", true)]
    [InlineData("http://[::ffff:127.0.0.1]:9110", true)]
    [InlineData("http://0.0.0.0:9110", false)]
    [InlineData("http://[::]:9110", false)]
    [InlineData("http://*:9110", false)]
    [InlineData("http://+:9110", false)]
    [InlineData("http://10.1.2.3:9110", false)]
    [InlineData("http://monitor.example.org:9110", false)]
    [InlineData("http://localhost.example.org:9110", false)]
    [InlineData("http://unix:/run/configmonitor.sock", false)]
    [InlineData("127.0.0.1:9110", false)]
    [InlineData("", false)]
    public void Should_count_only_localhost_and_loopback_ips_as_loopback(string address, bool loopback)
    {
        Assert.Equal(loopback, ListenAddresses.IsLoopbackAddress(address));
    }

    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("::1", false, true)]
    [InlineData("::ffff:127.0.0.1", false, true)]
    [InlineData("10.0.0.5", false, false)]
    [InlineData("::ffff:10.0.0.5", false, false)]
    [InlineData("fe80::1", false, false)]
    [InlineData(null, false, false)]
    [InlineData("10.0.0.5", true, true)]
    [InlineData(null, true, true)]
    public void Should_answer_a_request_beyond_loopback_only_with_a_token(string? local, bool hasToken, bool answered)
    {
        // The middleware's decision, tested directly: this machine has no non-loopback address a test may bind to.
        Assert.Equal(answered, ListenAddresses.MayAnswer(local is null ? null : IPAddress.Parse(local), hasToken));
    }

    [Fact]
    public async Task Should_stop_the_node_when_kestrel_bound_an_address_beyond_loopback_without_a_token()
    {
        var server = new BoundServer("http://127.0.0.1:5000", "http://0.0.0.0:5001");
        var check = new BoundAddressCheck(server, new ApiSettings("http://127.0.0.1:0", null, TimeSpan.FromSeconds(10)));
        var error = await Assert.ThrowsAsync<NodeConfigurationException>(() => check.StartedAsync(CancellationToken.None));
        Assert.Contains("listening on http://0.0.0.0:5001, which other hosts can reach", error.Message);

        var withToken = new BoundAddressCheck(server, new ApiSettings("http://127.0.0.1:0", "secret", TimeSpan.FromSeconds(10)));
        await withToken.StartedAsync(CancellationToken.None);
        await new BoundAddressCheck(new BoundServer("http://127.0.0.1:5000", "http://[::1]:5000"),
            new ApiSettings("http://127.0.0.1:0", null, TimeSpan.FromSeconds(10))).StartedAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9110/api", "has the path '/api'")]
    [InlineData("http://127.0.0.1:9110/api/", "has the path '/api/'")]
    [InlineData("http://127.0.0.1:9110?x=1", "has a query")]
    [InlineData("http://127.0.0.1:9110/?x=1", "has a query")]
    [InlineData("http://127.0.0.1:9110#top", "has a fragment")]
    [InlineData("http://admin:secret@127.0.0.1:9110", "has user information")]
    [InlineData("http://admin@127.0.0.1:9110", "has user information")]
    [InlineData("http://127.0.0.1", "names no port")]
    [InlineData("https://localhost/", "names no port")]
    public void Should_refuse_an_api_url_that_is_more_than_scheme_host_and_port(string url, string why)
    {
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConfigMonitor:Api:Url"] = url }).Build().GetSection("ConfigMonitor");

        var error = Assert.Throws<Actors.Hosting.InvalidConfigMonitorOptionsException>(() => ApiSettings.Read(section));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"field 'Api:Url' is '{url.Replace("admin:secret@", "…@").Replace("admin@", "…@")}', which {why}", problem);
        Assert.Contains("; the API is served at the root of its address, so write only scheme, host and port", problem);
        Assert.DoesNotContain("secret", problem);
        Assert.EndsWith("such as http://127.0.0.1:9110", problem);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9110/")]
    [InlineData("https://localhost:9443")]
    [InlineData("http://[::1]:0")]
    public void Should_take_an_api_url_of_scheme_host_and_port(string url)
    {
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConfigMonitor:Api:Url"] = url }).Build().GetSection("ConfigMonitor");

        Assert.Equal(url, ApiSettings.Read(section).Url);
    }

    public static TheoryData<string, string, string> HttpsWithoutCertificate => new()
    {
        // setting, value, the address and setting named
        { "ConfigMonitor:Api:Url", "https://127.0.0.1:0", "https://127.0.0.1:0 (ConfigMonitor:Api:Url)" },
        { "Kestrel:Endpoints:tls:Url", "https://127.0.0.1:0", "https://127.0.0.1:0 (Kestrel:Endpoints:tls:Url)" },
    };

    [Theory]
    [MemberData(nameof(HttpsWithoutCertificate))]
    public async Task Should_refuse_https_without_a_certificate_naming_the_address_and_how_to_configure_one(string setting, string value, string named)
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings[setting] = value;
        var app = await TestNode.BuildAsync(settings);
        try
        {
            var error = await Assert.ThrowsAsync<NodeConfigurationException>(() => app.StartNodeAsync());
            Assert.StartsWith($"the management API cannot serve {named}: Unable to configure HTTPS endpoint; give Kestrel a certificate with Kestrel:Certificates:Default:Path", error.Message);
        }
        finally
        {
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_refuse_https_whose_certificate_file_is_missing_naming_the_file()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Api:Url"] = "https://127.0.0.1:0";
        var missing = Path.Combine(_data.Path, "no-such.pfx");
        settings["Kestrel:Certificates:Default:Path"] = missing;
        var app = await TestNode.BuildAsync(settings);
        try
        {
            var error = await Assert.ThrowsAsync<NodeConfigurationException>(() => app.StartNodeAsync());
            Assert.StartsWith("the management API cannot serve https://127.0.0.1:0 (ConfigMonitor:Api:Url): ", error.Message);
            Assert.Contains("no-such.pfx", error.Message);
        }
        finally
        {
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }
    }

    public static TheoryData<string, string> TokenSources => new()
    {
        // Loopback values: a test never listens beyond loopback; what is proven is that every source starts with a token and mutations need it.
        { "Kestrel:Endpoints:api:Url", "http://127.0.0.1:0" },
        { "urls", "http://127.0.0.1:0" },
        { "http_ports", "0" },
        { "ConfigMonitor:Api:Url", "http://127.0.0.1:0" },
    };

    [Theory]
    [MemberData(nameof(TokenSources))]
    public async Task Should_start_with_a_token_and_refuse_an_unauthenticated_post(string setting, string value)
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Api:Token"] = "secret";
        settings[setting] = value;
        var app = await TestNode.BuildAsync(settings);
        try
        {
            await app.StartNodeAsync();
            using var anonymous = app.ApiClient();
            var refused = await anonymous.PostAsJsonAsync("/api/targets", new { id = "orders", endpoint = "/user/config-service-demo", probeKey = "app.name" });
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }
    }

    public static TheoryData<string, string> HoconSyntaxErrors => new()
    {
        { "akka {\n  loglevel = INFO\n  this is garbage\n  actor { ask-timeout = 10s }\n}\n", "akka.hocon:3: expected '=', ':' or '{' after the key 'this'" },
        { "akka {\n  loglevel = INFO\n  }}\n  actor { ask-timeout = 10s }\n}\n", "akka.hocon:3: a '}' without a matching '{'" },
        { "akka {\n  loglevel = INFO\n  actor { ask-timeout = 10s\n}\n", "akka.hocon:5: the '{' opened on line 1 is never closed" },
        { "akka {\n  loglevel = INFO\n  = 5\n}\n", "akka.hocon:3: expected a key, found '= 5'" },
        { "akka {\n  x = [1, 2\n}\n", "akka.hocon:3: expected ',' or ']' in the list 'akka.x'" },
        { "akka {\n  a = \"unterminated\n  b = 1\n}\n", "akka.hocon:2: a quoted string is not closed on its line" },
        { "akka {\n  loglevel =\n}\n", "akka.hocon:2: 'akka.loglevel' has no value" },
        { "akka.loglevel = INFO\n@@@ garbage\n", "akka.hocon:2: expected a key, found '@@@ garbage'" },
        { "akka.loglevel = INFO INFO = x\n", "akka.hocon:1: unexpected '= x' in the value of 'akka.loglevel'" },
        { "include \"other.conf\"\n", "akka.hocon:1: 'include' is not supported" },
        { "{ akka.loglevel = INFO }\n}\n", "akka.hocon:2: unexpected '}' after the closing '}' of the file's object" },
    };

    [Theory]
    [MemberData(nameof(HoconSyntaxErrors))]
    public void Should_refuse_a_hocon_syntax_error_anywhere_naming_the_line(string text, string expected)
    {
        var error = Assert.Throws<NodeConfigurationException>(() => HoconValidation.Parse(text, "akka.hocon"));
        Assert.StartsWith(expected, error.Message);
    }

    public static TheoryData<string, string> HoconBadValues => new()
    {
        { "akka.cluster.split-brain-resolver.stable-after = 20", "akka.hocon:1: 'akka.cluster.split-brain-resolver.stable-after' is '20', which is not a duration" },
        { "akka.actor.ask-timeout = soon", "'akka.actor.ask-timeout' is 'soon', which is not a duration" },
        { "akka.remote.dot-netty.tcp.maximum-frame-size = 4 parsecs", "'akka.remote.dot-netty.tcp.maximum-frame-size' is '4 parsecs', which is not a size" },
        { "akka.remote.dot-netty.tcp.maximum-frame-size = 1000b", "which is outside 32000b to 2 GiB" },
        { "akka.remote.dot-netty.tcp.maximum-frame-size = 99999999999 GiB", "which is outside 32000b to 2 GiB" },
        { "akka.persistence.max-concurrent-recoveries = 0", "which is not a whole number from 1" },
        { "akka.persistence.max-concurrent-recoveries = 2.5", "which is not a whole number from 1" },
        { "akka.coordinated-shutdown.exit-clr = maybe", "which is not on or off" },
        { "akka.loglevel = LOUD", "which is not one of OFF, ERROR, WARNING, INFO, DEBUG" },
        { "akka.cluster.split-brain-resolver.active-strategy = keep-most", "which is not one of keep-majority" },
        { "akka.cluster.sharding.state-store-mode = disk", "which is not ddata or persistence" },
        { "akka.cluster.sharding.passivate-idle-entity-after = never", "which is neither a duration" },
        { "akka { log-dead-letters = lots }", "'akka.log-dead-letters' is 'lots', which is neither on, off nor a whole number" },
        { "akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit = 1.5", "which is not a fraction above 0 and at most 1" },
        { "akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit = 0", "which is not a fraction above 0 and at most 1" },
        { "akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit = most", "which is not a fraction above 0 and at most 1" },
        { "akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit = -3", "which is not a whole number from 1" },
    };

    [Theory]
    [MemberData(nameof(HoconBadValues))]
    public void Should_refuse_a_bad_value_of_a_key_our_akka_hocon_sets(string text, string expected)
    {
        var error = Assert.Throws<NodeConfigurationException>(() => HoconValidation.Parse(text + "\n", "akka.hocon"));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Should_read_the_shipped_akka_hocon_into_the_values_akka_uses()
    {
        var config = HoconValidation.Load(Path.Combine(AppContext.BaseDirectory, "akka.hocon"));
        // The failover budget of docs/cluster.md: detection (1 s heartbeats, 3 s pause), decision 3 s, removal 1 s.
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.down-removal-margin"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.sharding.entity-restart-backoff"));
        Assert.Equal(4L * 1024 * 1024, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal("ddata", config.GetString("akka.cluster.sharding.state-store-mode"));
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.exit-clr"));
        Assert.Equal(20, config.GetInt("akka.persistence.max-concurrent-recoveries"));
        Assert.Equal(10, config.GetInt("akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit"));
        Assert.Equal(0.2, config.GetDouble("akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit"));
    }

    [Fact]
    public async Task The_shipped_akka_hocon_should_run_the_cluster_and_remoting_on_threads_of_their_own()
    {
        var shipped = HoconValidation.Load(Path.Combine(AppContext.BaseDirectory, "akka.hocon"));
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """).WithFallback(shipped);
        using var system = ActorSystem.Create("dispatchers", config);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            await cluster.JoinAsync(cluster.SelfAddress);
            async Task<MessageDispatcher> DispatcherOf(string path)
            {
                var actor = await system.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(10));
                return ((ActorCell)((ActorRefWithCell)actor).Underlying).Dispatcher;
            }

            // The heartbeat sender (Akka gives it the cluster's use-dispatcher): it sends the heartbeats and records the answers the
            // failure detector judges by. Answers reach it through remoting's endpoints, on remoting's dispatcher.
            Assert.Equal("akka.actor.cluster-dispatcher", (await DispatcherOf("/system/cluster/core/daemon/heartbeatSender")).Id);
            Assert.Equal("akka.remote.default-remote-dispatcher", (await DispatcherOf("/system/endpointManager")).Id);
            // Dedicated threads, not the shared .NET pool: each runs its work on a thread that is not a pool thread.
            foreach (var id in new[] { "akka.actor.cluster-dispatcher", "akka.remote.default-remote-dispatcher" })
            {
                var ranOnPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                system.Dispatchers.Lookup(id).Schedule(() => ranOnPool.SetResult(Thread.CurrentThread.IsThreadPoolThread));
                Assert.False(await ranOnPool.Task.WaitAsync(TimeSpan.FromSeconds(10)), $"{id} ran its work on a .NET thread-pool thread");
            }
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Should_accept_the_hocon_forms_akka_documents()
    {
        var config = HoconValidation.Parse("""
            # comment
            // another comment
            akka {
              loglevel = "DEBUG", log-dead-letters = 10
              actor.ask-timeout : 5s
              cluster { seed-nodes = ["akka.tcp://a@127.0.0.1:1", "akka.tcp://a@127.0.0.1:2"] }
              "quoted-key" = 1
              remote.dot-netty.tcp.maximum-frame-size = 512 KiB
              x = ${akka.loglevel}
              y = ${?NOT_SET_ANYWHERE}
              text = \"\"\"multi
            line\"\"\"
            }
            akka.cluster.sharding.passivate-idle-entity-after = off
            """.Replace("\\\"", "\"", StringComparison.Ordinal), "akka.hocon");
        Assert.Equal("DEBUG", config.GetString("akka.loglevel"));
        Assert.Equal(2, config.GetStringList("akka.cluster.seed-nodes").Count);
        Assert.Equal(512L * 1024, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
    }

    [Fact]
    public void Should_exit_3_when_the_cluster_downed_the_node_and_0_otherwise()
    {
        Assert.Equal(ExitCodes.Transient, ExitCodes.AfterShutdown(CoordinatedShutdown.ClusterDowningReason.Instance));
        Assert.Equal(ExitCodes.Stopped, ExitCodes.AfterShutdown(CoordinatedShutdown.ClrExitReason.Instance));
        Assert.Equal(ExitCodes.Stopped, ExitCodes.AfterShutdown(CoordinatedShutdown.ClusterLeavingReason.Instance));
        Assert.Equal(ExitCodes.Stopped, ExitCodes.AfterShutdown(null));
        Assert.Equal([0, 1, 2, 3], new[] { ExitCodes.Stopped, ExitCodes.Crashed, ExitCodes.ConfigurationWrong, ExitCodes.Transient });
    }

    [Fact]
    public void Should_redact_the_password_of_a_connection_string()
    {
        var redacted = Actors.Hosting.SqliteStore.Redacted("Host=db;Username=cm;Password=s3cret;Database=x");
        Assert.DoesNotContain("s3cret", redacted);
        Assert.Contains("password=***", redacted);
        Assert.DoesNotContain("hunter2", Actors.Hosting.SqliteStore.Redacted("Server=db;PWD=hunter2"));
    }

    public void Dispose() => _data.Dispose();

    /// <summary>An IServer that reports given addresses, standing in for Kestrel bound beyond loopback (which a test must not do).</summary>
    private sealed class BoundServer : IServer
    {
        public BoundServer(params string[] addresses)
        {
            var feature = new ServerAddressesFeature();
            foreach (var a in addresses) feature.Addresses.Add(a);
            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();
        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Dispose() { }
    }
}
