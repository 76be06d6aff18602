using System.Text.Json;
using ConfigMonitor.ConfigService.Http;

namespace ConfigMonitor.ConfigService.Tests.Http;

/// <summary>Every route's shape, over real HTTP on loopback against the real actor and SQLite file.</summary>
public sealed class ReferenceServiceHttpSpecs : IAsyncLifetime
{
    private ReferenceServiceServer _server = null!;

    public async Task InitializeAsync() => _server = await ReferenceServiceServer.StartAsync(cacheCapacity: 50);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string[] Names(JsonElement body) => body.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public async Task Should_answer_a_key_with_its_value()
    {
        var (status, body) = await _server.GetJsonAsync("/config/app.name");

        Assert.Equal(200, status);
        Assert.Equal(["key", "value", "found"], Names(body));
        Assert.Equal("app.name", body.GetProperty("key").GetString());
        Assert.Equal("ConfigMonitor Reference Service", body.GetProperty("value").GetString());
        Assert.True(body.GetProperty("found").GetBoolean());
    }

    [Fact]
    public async Task Should_answer_an_absent_key_with_404_and_found_false()
    {
        var (status, body) = await _server.GetJsonAsync("/config/no.such.key");

        Assert.Equal(404, status);
        Assert.Equal("""{"key":"no.such.key","value":null,"found":false}""", body.GetRawText());
    }

    [Fact]
    public async Task Should_answer_metadata_and_say_whether_it_came_from_the_cache()
    {
        var (firstStatus, first) = await _server.GetJsonAsync("/config/feature.new_checkout/metadata");
        var (_, second) = await _server.GetJsonAsync("/config/feature.new_checkout/metadata");
        var (absentStatus, absent) = await _server.GetJsonAsync("/config/no.such.key/metadata");

        Assert.Equal(200, firstStatus);
        Assert.Equal(["key", "value", "found", "description", "updatedAt", "version", "fromCache"], Names(first));
        Assert.Equal("false", first.GetProperty("value").GetString());
        Assert.False(string.IsNullOrEmpty(first.GetProperty("description").GetString()));
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("updatedAt").GetString(), out _));
        Assert.Equal(1, first.GetProperty("version").GetInt64());
        Assert.False(first.GetProperty("fromCache").GetBoolean());
        Assert.True(second.GetProperty("fromCache").GetBoolean());
        Assert.Equal(404, absentStatus);
        Assert.False(absent.GetProperty("found").GetBoolean());
        Assert.Equal(JsonValueKind.Null, absent.GetProperty("value").ValueKind);
    }

    [Fact]
    public async Task Should_write_a_key_with_PUT_and_serve_the_new_version()
    {
        await _server.GetJsonAsync("/config/db.pool_size"); // cached now: the write must invalidate it

        using var put = await _server.PutJsonAsync("/config/db.pool_size", """{"value":"40","description":"bigger pool"}""");
        var written = await ReferenceServiceServer.JsonAsync(put);
        var (_, read) = await _server.GetJsonAsync("/config/db.pool_size/metadata");
        using var created = await _server.PutJsonAsync("/config/brand.new", """{"value":null}""");

        Assert.Equal(200, (int)put.StatusCode);
        Assert.Equal("""{"key":"db.pool_size","version":2}""", written.GetRawText());
        Assert.Equal("40", read.GetProperty("value").GetString());
        Assert.Equal("bigger pool", read.GetProperty("description").GetString());
        Assert.Equal(2, read.GetProperty("version").GetInt64());
        Assert.False(read.GetProperty("fromCache").GetBoolean());
        Assert.Equal("""{"key":"brand.new","version":1}""", (await ReferenceServiceServer.JsonAsync(created)).GetRawText());
    }

    [Fact]
    public async Task Should_report_cache_statistics()
    {
        await _server.GetJsonAsync("/config/app.name");
        await _server.GetJsonAsync("/config/app.name");
        await _server.GetJsonAsync("/config/no.such.key");

        var (status, body) = await _server.GetJsonAsync("/cache/stats");

        Assert.Equal(200, status);
        Assert.Equal("""{"hits":1,"misses":2,"size":1,"maxSize":50}""", body.GetRawText());
    }

    [Fact]
    public async Task Should_report_health_with_the_database_figures()
    {
        var (status, body) = await _server.GetJsonAsync("/health");

        Assert.Equal(200, status);
        Assert.Equal(["status", "database"], Names(body));
        Assert.Equal("up", body.GetProperty("status").GetString());
        var database = body.GetProperty("database");
        Assert.Equal(["status", "selectOne", "rows", "responseMs"], Names(database));
        Assert.Equal("up", database.GetProperty("status").GetString());
        Assert.Equal(1, database.GetProperty("selectOne").GetInt64());
        Assert.True(database.GetProperty("rows").GetInt64() > 0);
        Assert.True(database.GetProperty("responseMs").GetDouble() > 0);
    }

    [Fact]
    public async Task Should_report_the_faults_in_force()
    {
        var (status, body) = await _server.GetJsonAsync("/faults");

        Assert.Equal(200, status);
        Assert.Equal("""{"readDelay":"0s","databaseAvailable":true,"dropEvents":false,"hang":false}""", body.GetRawText());
    }

    [Fact]
    public async Task Should_stream_changes_made_by_PUT_and_by_notify_in_order()
    {
        using var stream = await EventStreamClient.OpenAsync(_server.Client, "app.name");

        using var put = await _server.PutJsonAsync("/config/app.name", """{"value":"Renamed"}""");
        Assert.Equal(200, (int)put.StatusCode);
        Assert.Equal(1, await _server.NotifyAsync("app.name", "Renamed", "Notified"));
        var first = await stream.NextChangeAsync(TimeSpan.FromSeconds(10));
        var second = await stream.NextChangeAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(first);
        Assert.Equal(1, first.Value.Id);
        Assert.Equal(["key", "oldValue", "newValue", "changedAt"], Names(first.Value.Data));
        Assert.Equal("app.name", first.Value.Data.GetProperty("key").GetString());
        Assert.Equal("ConfigMonitor Reference Service", first.Value.Data.GetProperty("oldValue").GetString());
        Assert.Equal("Renamed", first.Value.Data.GetProperty("newValue").GetString());
        Assert.True(DateTimeOffset.TryParse(first.Value.Data.GetProperty("changedAt").GetString(), out _));
        Assert.NotNull(second);
        Assert.Equal(2, second.Value.Id);
        Assert.Equal("Notified", second.Value.Data.GetProperty("newValue").GetString());
    }

    [Fact]
    public async Task Should_deliver_only_the_changes_of_the_subscribed_key()
    {
        using var stream = await EventStreamClient.OpenAsync(_server.Client, "app.name");

        Assert.Equal(0, await _server.NotifyAsync("other.key", null, "x"));
        Assert.Equal(1, await _server.NotifyAsync("app.name", null, "mine"));
        var change = await stream.NextChangeAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(change);
        Assert.Equal("mine", change.Value.Data.GetProperty("newValue").GetString());
    }

    [Fact]
    public async Task Should_unsubscribe_when_the_client_closes_the_stream()
    {
        var stream = await EventStreamClient.OpenAsync(_server.Client, "app.version");
        Assert.Equal(1, await _server.NotifyAsync("app.version", null, "1"));

        stream.Dispose();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var subscribers = -1;
        while (DateTime.UtcNow < deadline && (subscribers = await _server.NotifyAsync("app.version", null, "2")) != 0)
            await Task.Delay(100);
        Assert.Equal(0, subscribers);
    }

    [Fact]
    public async Task Should_write_keep_alive_comments_on_an_idle_stream()
    {
        await using var server = await ReferenceServiceServer.StartAsync(new ReferenceServiceHttpOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(200) });
        using var stream = await EventStreamClient.OpenAsync(server.Client, "app.name");

        var frame = await stream.NextFrameAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([": keep-alive"], frame);
    }

    [Fact]
    public async Task Should_answer_notify_with_the_number_of_subscribers_of_the_key()
    {
        using var one = await EventStreamClient.OpenAsync(_server.Client, "app.name");
        using var two = await EventStreamClient.OpenAsync(_server.Client, "app.name");

        using var response = await _server.PostJsonAsync("/events/notify", """{"key":"app.name","oldValue":null,"newValue":"v"}""");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("""{"key":"app.name","subscribers":2}""", (await ReferenceServiceServer.JsonAsync(response)).GetRawText());
        Assert.NotNull(await one.NextChangeAsync(TimeSpan.FromSeconds(10)));
        Assert.NotNull(await two.NextChangeAsync(TimeSpan.FromSeconds(10)));
    }
}
