using System.Diagnostics;

namespace ConfigMonitor.ConfigService.Tests.Http;

/// <summary>Each fault applied over HTTP and seen from outside, as a monitor would see it.</summary>
public sealed class ReferenceServiceFaultSpecs : IAsyncLifetime
{
    private ReferenceServiceServer _server = null!;

    public async Task InitializeAsync() => _server = await ReferenceServiceServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Should_delay_reads_by_the_read_delay()
    {
        await _server.GetJsonAsync("/config/app.name"); // cached: the delay is the fault's, not the database's
        var delay = TimeSpan.FromMilliseconds(800);

        await _server.FaultAsync("read-delay", """{"delay":"800ms"}""");
        var clock = Stopwatch.StartNew();
        var (status, _) = await _server.GetJsonAsync("/config/app.name");
        var elapsed = clock.Elapsed;
        var (_, faults) = await _server.GetJsonAsync("/faults");

        Assert.Equal(200, status);
        Assert.True(elapsed >= delay, $"the read took {elapsed.TotalMilliseconds} ms, less than the 800 ms delay");
        Assert.Equal("800ms", faults.GetProperty("readDelay").GetString());
    }

    [Fact]
    public async Task Should_report_the_database_down_and_fail_uncached_reads()
    {
        await _server.GetJsonAsync("/config/app.name");

        await _server.FaultAsync("database", """{"available":false}""");
        var (healthStatus, health) = await _server.GetJsonAsync("/health");
        var (uncachedStatus, uncached) = await _server.GetJsonAsync("/config/db.pool_size");
        var (cachedStatus, _) = await _server.GetJsonAsync("/config/app.name");
        using var write = await _server.PutJsonAsync("/config/app.name", """{"value":"x"}""");

        Assert.Equal(503, healthStatus);
        Assert.Equal("""{"status":"down","database":{"status":"down","error":"database unavailable"}}""", health.GetRawText());
        Assert.Equal(503, uncachedStatus);
        Assert.Equal("""{"operation":"get_config","error":"database unavailable"}""", uncached.GetRawText());
        Assert.Equal(200, cachedStatus);
        Assert.Equal(503, (int)write.StatusCode);
        Assert.Equal("""{"operation":"set_config","error":"database unavailable"}""", (await ReferenceServiceServer.JsonAsync(write)).GetRawText());
    }

    [Fact]
    public async Task Should_drop_events_while_notify_still_answers()
    {
        using var stream = await EventStreamClient.OpenAsync(_server.Client, "app.name");

        await _server.FaultAsync("drop-events", """{"drop":true}""");
        var subscribersWhileDropping = await _server.NotifyAsync("app.name", null, "lost");
        var duringDrop = await stream.NextChangeAsync(TimeSpan.FromSeconds(1));
        await _server.FaultAsync("drop-events", """{"drop":false}""");
        await _server.NotifyAsync("app.name", null, "delivered");
        var after = await stream.NextChangeAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, subscribersWhileDropping);
        Assert.Null(duringDrop);
        // The first event the stream ever carries is the one sent after the fault: the dropped one never arrives.
        Assert.NotNull(after);
        Assert.Equal(1, after.Value.Id);
        Assert.Equal("delivered", after.Value.Data.GetProperty("newValue").GetString());
    }

    [Fact]
    public async Task Should_leave_reads_unanswered_while_hung_but_answer_fault_routes()
    {
        await _server.FaultAsync("hang", """{"hang":true}""");

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var read = _server.Client.GetAsync("/config/app.name", giveUp.Token);
        var (faultsStatus, faults) = await _server.GetJsonAsync("/faults");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        Assert.Equal(200, faultsStatus);
        Assert.True(faults.GetProperty("hang").GetBoolean());
        await _server.FaultAsync("hang", """{"hang":false}""");
        var (status, _) = await _server.GetJsonAsync("/config/app.name");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Should_give_up_on_a_hung_service_after_the_ask_timeout()
    {
        await using var server = await ReferenceServiceServer.StartAsync(new ConfigService.Http.ReferenceServiceHttpOptions { AskTimeout = TimeSpan.FromMilliseconds(300) });
        await server.FaultAsync("hang", """{"hang":true}""");

        var (healthStatus, health) = await server.GetJsonAsync("/health");
        var (readStatus, read) = await server.GetJsonAsync("/config/app.name");

        Assert.Equal(503, healthStatus);
        Assert.Equal("""{"status":"down","database":{"status":"down","error":"no answer within 300ms"}}""", health.GetRawText());
        Assert.Equal(504, readStatus);
        Assert.Equal("""{"operation":"get_config","error":"the service did not answer within 300ms"}""", read.GetRawText());
    }

    [Fact]
    public async Task Should_empty_the_cache_and_reset_its_counters_on_cache_flush()
    {
        await _server.GetJsonAsync("/config/app.name");
        await _server.GetJsonAsync("/config/app.name");

        await _server.FaultAsync("cache-flush");
        var (_, stats) = await _server.GetJsonAsync("/cache/stats");
        var (_, metadata) = await _server.GetJsonAsync("/config/app.name/metadata");

        Assert.Equal("""{"hits":0,"misses":0,"size":0,"maxSize":100}""", stats.GetRawText());
        Assert.False(metadata.GetProperty("fromCache").GetBoolean());
    }

    [Fact]
    public async Task Should_restore_everything_on_reset()
    {
        // A minute's read delay: a read that still waited it would be told from a read on a busy machine by a wide margin.
        await _server.FaultAsync("read-delay", """{"delay":"60s"}""");
        await _server.FaultAsync("database", """{"available":false}""");
        await _server.FaultAsync("drop-events", """{"drop":true}""");
        await _server.FaultAsync("hang", """{"hang":true}""");

        using var reset = await _server.PostJsonAsync("/faults/reset", "");
        var (_, faults) = await _server.GetJsonAsync("/faults");
        var clock = Stopwatch.StartNew();
        var (readStatus, _) = await _server.GetJsonAsync("/config/db.pool_size");
        var readTook = clock.Elapsed;
        var (healthStatus, _) = await _server.GetJsonAsync("/health");
        using var stream = await EventStreamClient.OpenAsync(_server.Client, "app.name");
        await _server.NotifyAsync("app.name", null, "after reset");

        Assert.Equal(200, (int)reset.StatusCode);
        Assert.Contains("every fault cleared", (await ReferenceServiceServer.JsonAsync(reset)).GetProperty("applied").GetString());
        Assert.Equal("""{"readDelay":"0s","databaseAvailable":true,"dropEvents":false,"hang":false}""", faults.GetRawText());
        Assert.Equal(200, readStatus);
        Assert.True(readTook < TimeSpan.FromSeconds(20), $"the read took {readTook.TotalSeconds} s after the reset (the delay was 60 s)");
        Assert.Equal(200, healthStatus);
        Assert.NotNull(await stream.NextChangeAsync(TimeSpan.FromSeconds(10)));
    }
}
