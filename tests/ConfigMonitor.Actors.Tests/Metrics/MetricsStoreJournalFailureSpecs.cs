using ConfigMonitor.Actors.Protocol;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Actors.Tests.Metrics;

/// <summary>
/// A store whose journal fails loses nothing it accepted: the journal is broken for real, from outside, by renaming its
/// table in the SQLite file through a separate connection, and restored the same way.
/// </summary>
public sealed class MetricsStoreJournalFailureSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Metric = "config_access_ms";
    private static readonly GetMetricSummary WholeHistory = new("orders", Metric, TimeSpan.MaxValue);
    private static readonly FlushMetrics Flush = new("orders");
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    /// <summary><paramref name="count"/> samples of distinct seconds starting at second <paramref name="first"/>.</summary>
    private static RecordSamples Record(int first, int count) => new("orders",
        Enumerable.Range(first, count).Select(i => new MetricSample(Metric, 1 + i, T0.AddMinutes(-30).AddSeconds(i))).ToArray());

    private IActorRef Host(PersistentNode node, MetricsStoreSettings settings) =>
        node.System.ActorOf(MetricsStoreHost.Props("orders", settings, _clock));

    private Task BreakJournalAsync() => JournalSqlAsync("ALTER TABLE journal RENAME TO journal_away");

    private Task RestoreJournalAsync() => JournalSqlAsync("ALTER TABLE journal_away RENAME TO journal");

    private async Task JournalSqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_data.File("configmonitor.db")};Default Timeout=30;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> RecoveredCountAsync(MetricsStoreSettings settings)
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        return (await Host(node, settings).Ask<MetricSummary>(WholeHistory, Timeout)).Count;
    }

    [Fact]
    public async Task A_journal_that_refuses_writes_and_reads_for_a_while_should_lose_no_sample_the_store_accepted()
    {
        var settings = new MetricsStoreSettings
        {
            FlushInterval = TimeSpan.FromHours(1), RetryBackoff = TimeSpan.FromMilliseconds(100), MaxRetryBackoff = TimeSpan.FromMilliseconds(400),
        };
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var warnings = CreateTestProbe(node.System);
            node.System.EventStream.Subscribe(warnings.Ref, typeof(Warning));
            var store = Host(node, settings);
            store.Tell(Record(0, 10));
            Assert.Equal(10, (await store.Ask<MetricsFlushed>(Flush, Timeout)).PersistedSamples);

            await BreakJournalAsync();
            store.Tell(Record(10, 5));
            // The asker of the flush whose write failed hears why, instead of waiting for an answer that never comes.
            var flushFailed = await Assert.ThrowsAsync<MetricsStoreUnavailableException>(() => store.Ask<MetricsFlushed>(Flush, Timeout));
            Assert.Contains("could not be saved", flushFailed.Message);
            store.Tell(Record(15, 3)); // accepted while the store is down
            // While the table is away the new store cannot even recover, again and again; queries get the reason meanwhile.
            await AwaitAssertAsync(async () =>
            {
                var queryFailed = await Assert.ThrowsAsync<MetricsStoreUnavailableException>(() => store.Ask<MetricSummary>(WholeHistory, TimeSpan.FromSeconds(3)));
                Assert.Contains("could not be recovered", queryFailed.Message);
            }, Timeout);

            await RestoreJournalAsync();
            await AwaitAssertAsync(async () => Assert.Equal(18, (await store.Ask<MetricSummary>(WholeHistory, Timeout)).Count), Timeout);
            // The retry saved the failed batch by itself; nothing is left to flush but what came after it.
            Assert.InRange((await store.Ask<MetricsFlushed>(Flush, Timeout)).PersistedSamples, 0, 3);

            // One warning for the operator however many attempts failed.
            var ours = warnings.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => (m as Warning)?.ToString())
                .OfType<string>().Where(w => w.Contains("Metrics of target orders")).ToList();
            var warning = Assert.Single(ours);
            Assert.Contains("could not be saved to the journal", warning);
            // The failed batch (5), and the 3 recorded after it when they reached the store before it reported.
            var kept = System.Text.RegularExpressions.Regex.Match(warning, @"(\d+) unsaved samples are kept");
            Assert.True(kept.Success, warning);
            Assert.InRange(int.Parse(kept.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 5, 8);
        }

        // Every sample once: the failed batch is neither lost nor saved twice.
        Assert.Equal(18, await RecoveredCountAsync(settings));
    }

    [Fact]
    public async Task A_query_while_the_store_waits_to_retry_should_be_answered_with_the_reason_and_hand_off_should_still_save_every_sample()
    {
        var settings = new MetricsStoreSettings
        {
            FlushInterval = TimeSpan.FromHours(1), RetryBackoff = TimeSpan.FromHours(1), MaxRetryBackoff = TimeSpan.FromHours(1),
        };
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Host(node, settings);
            var watcher = CreateTestProbe(node.System);
            watcher.Watch(store);
            store.Tell(Record(0, 4));
            Assert.Equal(4, (await store.Ask<MetricsFlushed>(Flush, Timeout)).PersistedSamples);

            await BreakJournalAsync();
            store.Tell(Record(4, 6));
            await Assert.ThrowsAsync<MetricsStoreUnavailableException>(() => store.Ask<MetricsFlushed>(Flush, Timeout));
            store.Tell(Record(10, 2));

            // Every kind of query is answered at once (the retry is an hour away), naming the target and the reason.
            foreach (var query in new object[] { WholeHistory, new GetLatestMetrics("orders"), new GetRecentSamples("orders", Metric), new GetMetricsOverview("orders", TimeSpan.FromHours(1)) })
            {
                var failed = await Assert.ThrowsAsync<MetricsStoreUnavailableException>(() => store.Ask<object>(query, Timeout));
                Assert.Equal("orders", failed.TargetId);
                Assert.Contains("could not be saved to the journal", failed.Message);
                Assert.Contains("retries in 1h", failed.Message);
            }

            await RestoreJournalAsync();
            // Hand-off does not wait out the backoff: the store comes back at once, saves everything and stops.
            store.Tell(HandOffTarget.Instance);
            await watcher.ExpectTerminatedAsync(store, Timeout);
        }

        Assert.Equal(12, await RecoveredCountAsync(settings));
    }

    [Fact]
    public async Task Hand_off_should_save_the_pending_samples_and_stop_the_host()
    {
        var settings = new MetricsStoreSettings { FlushInterval = TimeSpan.FromHours(1) };
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Host(node, settings);
            var watcher = CreateTestProbe(node.System);
            watcher.Watch(store);
            store.Tell(Record(0, 10));
            Assert.Equal(10, (await store.Ask<MetricsFlushed>(Flush, Timeout)).PersistedSamples);
            store.Tell(Record(10, 7));

            store.Tell(HandOffTarget.Instance);
            await watcher.ExpectTerminatedAsync(store, Timeout);
            Assert.Equal(2, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
        }

        Assert.Equal(17, await RecoveredCountAsync(settings));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
