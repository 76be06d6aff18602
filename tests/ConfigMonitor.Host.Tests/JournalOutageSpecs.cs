using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// A real node whose SQLite journal goes away for a while (its table renamed from outside, as a locked or broken database
/// would): the API says so with a 503 and a Retry-After instead of a 500, the node stays up, and once the journal is back
/// every sample the demo's store accepted during the outage is there.
/// </summary>
public sealed class JournalOutageSpecs : IDisposable
{
    private readonly TempDirectory _data = TempDirectory.ForNode();

    [Fact]
    public async Task A_journal_outage_answers_503_with_retry_after_and_loses_no_sample()
    {
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:Metrics:RetryBackoff"] = "500ms";
        settings["ConfigMonitor:Metrics:MaxRetryBackoff"] = "2s";
        var app = await TestNode.BuildAsync(settings);
        await app.StartAsync();
        long lastCount;
        try
        {
            using var client = app.ApiClient();
            long before = 0;
            await Eventually.AssertAsync(async () => (before = await CountAsync(client)) >= 3, TimeSpan.FromSeconds(60),
                "the demo should record and persist a few samples first");

            await ExecuteAsync("ALTER TABLE journal RENAME TO journal_away");
            var outage = DateTimeOffset.UtcNow;
            HttpResponseMessage? refused = null;
            await Eventually.AssertAsync(async () =>
            {
                var response = await client.GetAsync("/api/targets/demo/metrics");
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable) return false;
                refused = response;
                return true;
            }, TimeSpan.FromSeconds(60), "a query while the store cannot write should be refused with 503");
            var problem = await refused!.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Metrics store unavailable", problem.GetProperty("title").GetString());
            Assert.Contains("the samples it accepted are kept", problem.GetProperty("detail").GetString());
            Assert.True(refused.Headers.RetryAfter is not null, "a 503 of the store says when to ask again");
            // The loops go on probing the demo during the outage: three more timed reads that only the store's memory holds.
            var probesAtOutage = await PerformanceProbesAsync(client);
            await Eventually.AssertAsync(async () => await PerformanceProbesAsync(client) >= probesAtOutage + 3, TimeSpan.FromSeconds(60),
                "the performance loop should go on probing while the journal is away");

            var restored = DateTimeOffset.UtcNow;
            await ExecuteAsync("ALTER TABLE journal_away RENAME TO journal");
            long after = 0;

            await Eventually.AssertAsync(async () => (after = await CountAsync(client)) > before + 3, TimeSpan.FromSeconds(60),
                "the store should come back with everything it accepted");
            var recent = await client.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics/config_access_ms/recent");
            var taken = recent.EnumerateArray().Select(r => r.GetProperty("timestamp").GetDateTimeOffset()).ToList();
            Assert.True(taken.Any(t => t > outage && t < restored),
                $"a sample taken while the journal was away ({outage:O} to {restored:O}) should have survived; recent: {string.Join(", ", taken.Select(t => t.ToString("O")))}");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
            lastCount = after;
        }
        finally
        {
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }

        // A second node on the same folder recovers every sample from the journal: none was dropped, none is missing.
        var secondSettings = TestNode.FastSettings(_data.Path);
        secondSettings["ConfigMonitor:Targets:demo:Performance:Interval"] = "1h";
        var second = await TestNode.BuildAsync(secondSettings);
        await second.StartAsync();
        try
        {
            using var client = second.ApiClient();
            long recovered = 0;
            await Eventually.AssertAsync(async () => (recovered = await CountAsync(client)) > 0, TimeSpan.FromSeconds(60), "the second node recovers the history");
            Assert.True(recovered >= lastCount, $"the second node recovered {recovered} config_access_ms samples; the first had {lastCount} before it stopped");
        }
        finally
        {
            await second.StopWithinAsync(TestNode.StopTimeout);
            await second.DisposeAsync();
        }
    }

    private static async Task<long> PerformanceProbesAsync(HttpClient client)
    {
        var target = await client.GetFromJsonAsync<JsonElement>("/api/targets/demo");
        return target.GetProperty("status").GetProperty("loops").EnumerateArray()
            .Single(l => l.GetProperty("loop").GetString() == "performance").GetProperty("probes").GetInt64();
    }

    private static async Task<long> CountAsync(HttpClient client)
    {
        var response = await client.GetAsync("/api/targets/demo/metrics/config_access_ms/summary?window=24h");
        if (!response.IsSuccessStatusCode) return 0;
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt64();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_data.Path, "configmonitor.db")};Default Timeout=30;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose() => _data.Dispose();
}
