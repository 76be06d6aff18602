using Akka.Event;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.Actors.Tests.Adapters.Http.HttpTargets;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

public sealed class HttpEventsFacetSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private FakeConfigHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeConfigHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_deliver_a_notified_change_to_the_subscriber_actor(bool crLfAndMultiLineData)
    {
        _server.CrLfMultiLineEvents = crLfAndMultiLineData;
        var adapter = Adapter(Sys, _server.Url);

        var subscribed = await adapter.SubscribeAsync("monitor.event-probe", TestActor, Timeout);
        var notified = await adapter.NotifyChangeAsync("monitor.event-probe", "old", "new-token", Timeout);

        Assert.Equal(new("monitor.event-probe", 1), notified);
        var changed = await ExpectMsgAsync<ConfigChanged>(Timeout);
        Assert.Equal(new(subscribed.SubscriptionId, "monitor.event-probe", "old", "new-token", DateTimeOffset.Parse("2026-11-30T10:00:01Z")), changed);
        Assert.Equal("/events?key=monitor.event-probe", _server.RawTargets.First());
        await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);
    }

    [Fact]
    public async Task Should_keep_answering_requests_while_more_streams_are_open_than_the_probe_pool_has_connections()
    {
        // 40 event round trips on one server at once (the event round probes every target together) against a probe pool of
        // 16 connections a server: streams have a pool of their own, so the round trips' notify calls and every other read
        // still get a connection.
        var adapter = Adapter(Sys, _server.Url);
        var subscriptions = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => adapter.SubscribeAsync("shared", TestActor, Timeout)));

        var notified = await adapter.NotifyChangeAsync("shared", null, "for-all", Timeout);
        var changes = new List<ConfigChanged>();
        for (var i = 0; i < 40; i++) changes.Add(await ExpectMsgAsync<ConfigChanged>(Timeout));

        Assert.Equal(40, _server.OpenStreams);
        Assert.Equal(new("shared", 40), notified);
        Assert.Equal(subscriptions.Select(s => s.SubscriptionId).Order(), changes.Select(c => c.SubscriptionId).Order());
        foreach (var subscription in subscriptions) await adapter.UnsubscribeAsync(subscription.SubscriptionId, Timeout);
    }

    [Fact]
    public async Task Should_deliver_only_changes_of_the_subscribed_key()
    {
        var adapter = Adapter(Sys, _server.Url);
        var subscribed = await adapter.SubscribeAsync("a", TestActor, Timeout);

        await adapter.NotifyChangeAsync("b", null, "not-ours", Timeout);
        await adapter.NotifyChangeAsync("a", null, "ours", Timeout);

        Assert.Equal("ours", (await ExpectMsgAsync<ConfigChanged>(Timeout)).NewValue);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);
    }

    [Fact]
    public async Task Should_close_the_stream_on_unsubscribe()
    {
        var adapter = Adapter(Sys, _server.Url);
        var subscribed = await adapter.SubscribeAsync("monitor.event-probe", TestActor, Timeout);
        Assert.Equal(1, _server.OpenStreams);

        var unsubscribed = await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);
        var again = await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);

        Assert.Equal(new(subscribed.SubscriptionId, true), unsubscribed);
        Assert.Equal(new(subscribed.SubscriptionId, false), again);
        await AwaitAssertAsync(() => Assert.Equal(0, _server.OpenStreams), Timeout);
        Assert.Equal(new("monitor.event-probe", 0), await adapter.NotifyChangeAsync("monitor.event-probe", null, "x", Timeout));
    }

    [Fact]
    public async Task Should_not_count_the_subscription_live_until_the_subscribed_comment_arrives()
    {
        _server.SilentSubscribe = true;
        var adapter = Adapter(Sys, _server.Url);
        var timeout = TimeSpan.FromMilliseconds(500);

        var failure = await Assert.ThrowsAsync<ProbeTimeoutException>(() => adapter.SubscribeAsync("monitor.event-probe", TestActor, timeout));

        Assert.Contains("subscribe_to_changes", failure.Message);
        await AwaitAssertAsync(() => Assert.Equal(0, _server.OpenStreams), Timeout);
    }

    [Fact]
    public async Task Should_count_a_custom_stream_live_when_its_headers_arrive()
    {
        // A stream at a path of its own (not the reference's), which sends no ': subscribed' handshake.
        _server.SilentSubscribe = true;
        var adapter = Adapter(Sys, _server.Url, ("EventProbe:Path", "/events?key={key}&format=sse"), ("EventProbe:NotifyPath", "/events/notify"));

        var subscribed = await adapter.SubscribeAsync("k", TestActor, Timeout);
        await AwaitAssertAsync(() => Assert.Equal(1, _server.OpenStreams), Timeout);
        await adapter.NotifyChangeAsync("k", null, "v", Timeout);

        Assert.Equal("v", (await ExpectMsgAsync<ConfigChanged>(Timeout)).NewValue);
        await adapter.UnsubscribeAsync(subscribed.SubscriptionId, Timeout);
    }

    [Fact]
    public async Task Should_fail_subscribe_with_the_status_when_the_stream_is_refused()
    {
        _server.Routes["/events"] = FakeConfigHttpServer.Raw(503, """{"operation":"subscribe_to_changes","error":"event bus unavailable"}""");

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).SubscribeAsync("k", TestActor, Timeout));

        Assert.Contains("503", failure.Message);
        Assert.Contains("event bus unavailable", failure.Message);
    }

    [Fact]
    public async Task Should_fail_subscribe_when_the_reply_is_not_an_event_stream()
    {
        _server.Routes["/events"] = FakeConfigHttpServer.Raw(200, """{"key":"k"}""");

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).SubscribeAsync("k", TestActor, Timeout));

        Assert.Contains("text/event-stream", failure.Message);
    }

    [Fact]
    public async Task Should_fail_notify_with_the_services_reason()
    {
        _server.Routes["/events/notify"] = FakeConfigHttpServer.Raw(500, """{"error":"notify queue full"}""");

        var failure = await Assert.ThrowsAsync<ConfigServiceException>(() => Adapter(Sys, _server.Url).NotifyChangeAsync("k", null, "v", Timeout));

        Assert.Equal("notify_change", failure.Operation);
        Assert.Contains("notify queue full", failure.Message);
    }

    [Fact]
    public async Task Should_complete_the_event_round_trip_of_the_real_event_probe()
    {
        var target = Read(_server.Url, ("EventProbe:Key", "probe.key"), ("EventProbe:Timeout", "3s"));
        var adapter = ConfigMonitor.Actors.Adapters.FacetAdapters.Create(Sys, ConfigMonitor.Actors.Adapters.FacetConnections.For(Sys), target);

        var result = await EventRoundTrip.RunAsync(Sys, target, adapter, SystemClock.Instance);

        Assert.True(result.Delivered, result.Error);
        Assert.Null(result.Error);
        await AwaitAssertAsync(() => Assert.Equal(0, _server.OpenStreams), Timeout);
    }

    [Fact]
    public async Task Should_report_a_lost_event_when_the_stream_ends_after_subscribing()
    {
        _server.Routes["/events"] = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": subscribed 1\n\n");
            // …and the stream ends: the event can never arrive.
        };
        var target = Read(_server.Url, ("EventProbe:Timeout", "1s"));
        var adapter = ConfigMonitor.Actors.Adapters.FacetAdapters.Create(Sys, ConfigMonitor.Actors.Adapters.FacetConnections.For(Sys), target);

        var result = await EventRoundTrip.RunAsync(Sys, target, adapter, SystemClock.Instance);

        Assert.False(result.Delivered);
        Assert.Contains("did not arrive within", result.Error);
    }
    [Fact]
    public async Task Should_not_log_a_late_notify_failure_of_a_finished_probe_as_a_dead_letter()
    {
        // The change is never delivered, and the notify call answers 500 only after the event has timed out: its failure
        // reaches a probe that has reported and stopped. It is no news (the probe already said the event was lost), so it
        // must not become a dead-letter line (a new user once saw one carrying the exception's stack trace).
        _server.Routes["/events/notify"] = async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{\"error\":\"boom\"}");
        };
        _server.Routes["/events"] = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": subscribed 1\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
        };
        var letters = CreateTestProbe();
        Sys.EventStream.Subscribe(letters.Ref, typeof(AllDeadLetters));
        var target = Read(_server.Url, ("EventProbe:Timeout", "500ms"), ("ProbeTimeout", "5s"));
        var adapter = ConfigMonitor.Actors.Adapters.FacetAdapters.Create(Sys, ConfigMonitor.Actors.Adapters.FacetConnections.For(Sys), target);

        var result = await EventRoundTrip.RunAsync(Sys, target, adapter, SystemClock.Instance);

        Assert.False(result.Delivered);
        Assert.Contains("did not arrive within", result.Error);
        // The late failure does arrive, as a suppressed dead letter (not logged), and its text is one line without a stack trace.
        var late = await letters.FishForMessageAsync<AllDeadLetters>(l => l.Message.GetType().Name == "StepFailed", TimeSpan.FromSeconds(15));
        Assert.IsType<SuppressedDeadLetter>(late);
        Assert.DoesNotContain("\n", late.Message.ToString());
        Assert.Contains("notify_change", late.Message.ToString());
    }
}
