using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Adapters.Etcd;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Adapters.Etcd;

/// <summary>The 'etcd' kind against a real, private etcd (Debian's etcd-server) on loopback, through its JSON gateway.</summary>
public sealed class EtcdKindSpecs(ITestOutputHelper testOutput) : Akka.TestKit.Xunit2.TestKit(output: testOutput), IAsyncLifetime
{
    private readonly ITestOutputHelper _output = testOutput;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    // A call must end by its probe timeout, not by the HTTP client's own (2 min): 10 s of slack is room for a busy machine and
    // still a small fraction of what a call without a deadline would take.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);
    private readonly FacetConnections _connections = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<EtcdServer> _servers = [];

    private static void RequireEtcd() => RequiredServer.Require(EtcdServer.Available, "etcd (Debian package etcd-server) is not installed");

    private async Task<EtcdServer> StartEtcdAsync(params string[] arguments)
    {
        var server = await EtcdServer.StartNewAsync(arguments);
        _servers.Add(server);
        return server;
    }

    private static TargetDefinition Target(EtcdServer server, string? configPrefix = "/app/") =>
        TargetDefinition.WithDefaults("orders", server.Endpoint) with
        {
            Adapter = FacetKinds.Etcd,
            ProbeTimeout = Timeout,
            Config = new ConfigFacetSettings { KeyPrefix = configPrefix },
            Database = new DatabaseSettings { KeyPrefix = configPrefix },
        };

    private IConfigServiceAdapter Adapter(TargetDefinition target)
    {
        Assert.Empty(TargetDefinitionReader.Validate(target));
        return FacetAdapters.Create(Sys, _connections, target);
    }

    [SkippableFact]
    public async Task Should_read_a_present_key_with_its_version_and_give_the_default_for_an_absent_one()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        await PutAsync(etcd, "/app/db.pool", "10");
        await PutAsync(etcd, "/app/db.pool", "12");
        var adapter = Adapter(Target(etcd));

        Assert.Equal(new ConfigValue("db.pool", "12", true), await adapter.GetConfigAsync("db.pool", "fallback", Timeout));
        var entry = await adapter.GetConfigWithMetadataAsync("db.pool", Timeout);
        Assert.Equal(("db.pool", "12", true, 2L, (DateTimeOffset?)null, false), (entry.Key, entry.Value, entry.Found, entry.Version, entry.UpdatedAt, entry.FromCache));
        Assert.Matches("^etcd mod_revision [0-9]+, create_revision [0-9]+$", entry.Description);

        Assert.Equal(new ConfigValue("missing", "fallback", false), await adapter.GetConfigAsync("missing", "fallback", Timeout));
        Assert.False((await adapter.GetConfigWithMetadataAsync("missing", Timeout)).Found);
        // The prefix is part of the key: a key outside it is not read.
        await PutAsync(etcd, "db.timeout", "30");
        Assert.False((await adapter.GetConfigAsync("db.timeout", null, Timeout)).Found);
    }

    [SkippableFact]
    public async Task Should_report_the_status_figures_and_count_only_the_keys_under_the_prefix()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync("--quota-backend-bytes=104857600");
        foreach (var key in new[] { "/app/a", "/app/b", "/app/c", "/other/d", "/apq" }) await PutAsync(etcd, key, "v");
        var adapter = Adapter(Target(etcd));

        var result = await adapter.ProbeDatabaseAsync(Timeout);

        Assert.Equal((1L, 3L), (result.SelectOne, result.ConfigurationRowCount));
        var figures = Assert.IsAssignableFrom<IReadOnlyDictionary<string, double>>(result.Figures);
        Assert.Equal(1, figures["leader"]);
        Assert.InRange(figures["db_size_bytes"], 1, 100_000_000);
        Assert.Equal(104857600, figures["db_quota_bytes"]); // read from etcd's /metrics, not assumed
        Assert.True(figures["raft_term"] >= 1);

        // Without a prefix the whole keyspace is counted.
        var all = await Adapter(Target(etcd, configPrefix: null)).ProbeDatabaseAsync(Timeout);
        Assert.Equal(5, all.ConfigurationRowCount);
    }

    [SkippableFact]
    public async Task Should_deliver_puts_on_the_probe_key_to_the_subscriber_actor_and_delete_the_key_on_unsubscribe()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        var adapter = Adapter(Target(etcd) with { EventProbe = new EventProbeSettings { Key = "monitor.event-probe" } });
        var subscriber = CreateTestProbe();

        var subscribed = await adapter.SubscribeAsync("monitor.event-probe", subscriber, Timeout);
        await adapter.NotifyChangeAsync("monitor.event-probe", null, "first", Timeout);
        var first = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10));
        Assert.Equal((subscribed.SubscriptionId, "monitor.event-probe", (string?)null, (string?)"first"), (first.SubscriptionId, first.Key, first.OldValue, first.NewValue));
        Assert.Equal("first", await ValueAsync(etcd, "/configmonitor/probe/orders/monitor.event-probe")); // the probe's own key, nowhere else

        await adapter.NotifyChangeAsync("monitor.event-probe", "first", "second", Timeout);
        var second = await subscriber.ExpectMsgAsync<ConfigChanged>(TimeSpan.FromSeconds(10));
        Assert.Equal(("first", "second"), (second.OldValue, second.NewValue)); // the old value comes from etcd's prev_kv

        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, true), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout));
        Assert.Equal(0, await CountAllAsync(etcd)); // the monitor leaves nothing behind
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // the clean-up delete is not an event
        await PutAsync(etcd, "/configmonitor/probe/orders/monitor.event-probe", "after");
        await subscriber.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // and the watch is closed
        await DeleteAsync(etcd, "/configmonitor/probe/orders/monitor.event-probe");
        Assert.Equal(new Unsubscribed(subscribed.SubscriptionId, false), await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout));
    }

    [SkippableFact]
    public async Task Should_complete_the_monitors_event_round_trip_through_the_event_probe_actor()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        var target = Target(etcd);
        var adapter = Adapter(target);

        var result = await EventRoundTrip.RunAsync(Sys, target, adapter, SystemClock.Instance).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Delivered, result.Error);
        Assert.Null(result.Error);
        _output.WriteLine($"etcd event round trip: {result.RoundTripMs:F1} ms");
        Assert.Equal(0, await CountAllAsync(etcd));
    }

    [SkippableFact]
    public async Task Should_fail_clearly_within_the_timeout_when_etcd_is_stopped_and_recover_with_the_same_client_when_it_starts_again()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        await PutAsync(etcd, "/app/k", "v");
        var adapter = Adapter(Target(etcd));
        Assert.True((await adapter.GetConfigAsync("k", null, Timeout)).Found);

        await etcd.StopAsync();
        var watch = Stopwatch.StartNew();
        var read = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.GetConfigAsync("k", null, Timeout));
        var probe = await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.ProbeDatabaseAsync(Timeout));
        Assert.True(watch.Elapsed < Timeout * 2 + Slack, $"the failures took {watch.Elapsed}");
        Assert.Contains($"cannot reach etcd at {etcd.Endpoint}", read.Message);
        Assert.Contains("refused", read.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("database_probe", probe.Message);
        await Assert.ThrowsAsync<ConfigServiceException>(() => adapter.SubscribeAsync("monitor.event-probe", TestActor, Timeout));

        await etcd.StartAsync();
        Assert.Equal(new ConfigValue("k", "v", true), await adapter.GetConfigAsync("k", null, Timeout));
        Assert.Equal(1, (await adapter.ProbeDatabaseAsync(Timeout)).SelectOne);
    }

    [SkippableFact]
    public async Task Should_time_out_every_facet_within_the_probe_timeout_when_etcd_hangs()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        var adapter = Adapter(Target(etcd));
        await adapter.GetConfigAsync("warm", null, Timeout);
        var oneSecond = TimeSpan.FromSeconds(1);

        etcd.Pause();
        try
        {
            foreach (var call in new Func<Task>[]
                     {
                         () => adapter.GetConfigAsync("k", null, oneSecond),
                         () => adapter.ProbeDatabaseAsync(oneSecond),
                         () => adapter.SubscribeAsync("monitor.event-probe", TestActor, oneSecond),
                         () => adapter.NotifyChangeAsync("monitor.event-probe", null, "x", oneSecond),
                     })
            {
                var watch = Stopwatch.StartNew();
                var timedOut = await Assert.ThrowsAsync<ProbeTimeoutException>(call);
                Assert.InRange(watch.Elapsed, oneSecond - TimeSpan.FromMilliseconds(50), oneSecond + Slack);
                Assert.Contains("within 1s", timedOut.Message);
            }
        }
        finally
        {
            etcd.Resume();
        }
        Assert.False((await adapter.GetConfigAsync("k", null, Timeout)).Found); // and it serves again once resumed
    }

    [SkippableFact]
    public async Task Should_authenticate_with_the_secrets_user_and_password_and_refuse_wrong_ones_without_echoing_them()
    {
        RequireEtcd();
        // etcd checks a password with bcrypt, which a loaded 2-core machine took more than 2 s for: the refusal, not the
        // machine's speed, is what this spec is about, so its calls have 20 s.
        var authTimeout = TimeSpan.FromSeconds(20);
        TargetDefinition Auth(TargetDefinition target) => target with { ProbeTimeout = authTimeout };
        var etcd = await StartEtcdAsync();
        await PutAsync(etcd, "/app/k", "v");
        foreach (var (path, body) in new (string, object)[]
                 {
                     ("/v3/auth/role/add", new { name = "root" }), ("/v3/auth/user/add", new { name = "root", password = "s3cret-pw" }),
                     ("/v3/auth/user/grant", new { user = "root", role = "root" }), ("/v3/auth/enable", new { }),
                 })
            (await _http.PostAsJsonAsync(etcd.Endpoint + path, body)).EnsureSuccessStatusCode();
        var variable = "CONFIGMONITOR_TEST_ETCD_" + Guid.NewGuid().ToString("N");
        try
        {
            Environment.SetEnvironmentVariable(variable, "root:s3cret-pw");
            var good = Adapter(Auth(Target(etcd)) with { Secret = $"env:{variable}" });
            Assert.Equal(new ConfigValue("k", "v", true), await good.GetConfigAsync("k", null, authTimeout));
            Assert.Equal(1, (await good.ProbeDatabaseAsync(authTimeout)).SelectOne);

            var unauthenticated = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Auth(Target(etcd))).GetConfigAsync("k", null, authTimeout));
            Assert.Contains("authentication enabled", unauthenticated.Message);

            var wrongVariable = variable + "_WRONG";
            Environment.SetEnvironmentVariable(wrongVariable, "root:not-the-pw");
            var wrong = await Assert.ThrowsAsync<ConfigServiceException>(() =>
                Adapter(Auth(Target(etcd)) with { Secret = $"env:{wrongVariable}" }).GetConfigAsync("k", null, authTimeout));
            Assert.Contains("refused to authenticate", wrong.Message);
            Assert.Contains($"env:{wrongVariable}", wrong.Message);
            Assert.DoesNotContain("not-the-pw", wrong.Message);
            Environment.SetEnvironmentVariable(wrongVariable, null);

            // A restarted etcd keeps its users but not its tokens: the client authenticates again on the 401.
            await etcd.StopAsync();
            await etcd.StartAsync();
            await AwaitAssertAsync(async () => Assert.True((await good.GetConfigAsync("k", null, authTimeout)).Found), TimeSpan.FromSeconds(60));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [SkippableFact]
    public async Task Should_give_an_etcd_target_no_cache_facet_and_share_one_gateway_per_endpoint()
    {
        RequireEtcd();
        var etcd = await StartEtcdAsync();
        var adapters = Enumerable.Range(0, 5).Select(i => Adapter(Target(etcd) with { Id = $"t{i}" })).ToList();

        Assert.Equal(FacetKinds.None, adapters[0].KindOf(FacetNames.Cache));
        Assert.Equal(FacetKinds.Etcd, adapters[0].KindOf(FacetNames.Database));
        await Assert.ThrowsAsync<FacetNotApplicableException>(() => adapters[0].GetCacheStatsAsync(Timeout));
        Assert.Equal(1, _connections.SharedCount);
    }

    private async Task PutAsync(EtcdServer etcd, string key, string value) =>
        (await _http.PostAsJsonAsync($"{etcd.Endpoint}/v3/kv/put", new { key = Encoding.UTF8.GetBytes(key), value = Encoding.UTF8.GetBytes(value) }))
        .EnsureSuccessStatusCode();

    private async Task DeleteAsync(EtcdServer etcd, string key) =>
        (await _http.PostAsJsonAsync($"{etcd.Endpoint}/v3/kv/deleterange", new { key = Encoding.UTF8.GetBytes(key) })).EnsureSuccessStatusCode();

    private async Task<string?> ValueAsync(EtcdServer etcd, string key)
    {
        var reply = await (await _http.PostAsJsonAsync($"{etcd.Endpoint}/v3/kv/range", new { key = Encoding.UTF8.GetBytes(key) })).Content.ReadFromJsonAsync<JsonObject>();
        return reply?["kvs"]?[0]?["value"]?.GetValue<string>() is { } value ? Encoding.UTF8.GetString(Convert.FromBase64String(value)) : null;
    }

    private async Task<long> CountAllAsync(EtcdServer etcd)
    {
        var reply = await (await _http.PostAsJsonAsync($"{etcd.Endpoint}/v3/kv/range", new { key = new byte[] { 0 }, range_end = new byte[] { 0 }, count_only = true }))
            .Content.ReadFromJsonAsync<JsonObject>();
        return reply?["count"] is { } count ? long.Parse(count.GetValue<string>()) : 0;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
        await _connections.DisposeAsync();
        _http.Dispose();
    }
}
