using ConfigMonitor.Actors.Protocol;
using Akka.Actor;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Actors.Tests.Metrics;

public sealed class MetricsStoreActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static MetricSample[] Samples(string metric, int count, DateTimeOffset from, double first = 1) =>
        Enumerable.Range(0, count).Select(i => new MetricSample(metric, first + i, from.AddSeconds(i))).ToArray();

    private IActorRef Store(PersistentNode node, string target = "orders", MetricsStoreSettings? settings = null) =>
        node.System.ActorOf(MetricsStoreHost.Props(target, settings ?? new MetricsStoreSettings { FlushInterval = TimeSpan.FromHours(1) }, _clock));

    [Fact]
    public async Task Should_persist_many_samples_as_one_batch_event()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node);
        for (var i = 0; i < 3; i++) store.Tell(new RecordSamples("orders", Samples("config_access_ms", 10, T0.AddMinutes(i))));

        var flushed = await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);

        Assert.Equal(30, flushed.PersistedSamples);
        Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
    }

    [Fact]
    public async Task Should_flush_a_batch_by_itself_once_it_reaches_the_batch_size()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node, settings: new MetricsStoreSettings { BatchSize = 20, FlushInterval = TimeSpan.FromHours(1) });
        store.Tell(new RecordSamples("orders", Samples("m", 25, T0)));

        await AwaitAssertAsync(async () => Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders")), Timeout);
    }

    [Fact]
    public async Task Should_flush_pending_samples_on_its_interval()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node, settings: new MetricsStoreSettings { FlushInterval = TimeSpan.FromMilliseconds(200) });
        store.Tell(new RecordSamples("orders", Samples("m", 3, T0)));

        await AwaitAssertAsync(async () => Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders")), Timeout);
    }

    [Fact]
    public async Task Should_answer_latest_values_and_window_summaries()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node);
        store.Tell(new RecordSamples("orders", Samples("config_access_ms", 60, T0.AddMinutes(-2))));
        store.Tell(new RecordSamples("orders", [new MetricSample("cache_hit_rate", 0.93, T0)]));

        var latest = await store.Ask<LatestMetrics>(new GetLatestMetrics("orders"), Timeout);
        var summary = await store.Ask<MetricSummary>(new GetMetricSummary("orders", "config_access_ms", TimeSpan.FromMinutes(2)), Timeout);

        Assert.Equal(["cache_hit_rate", "config_access_ms"], latest.Latest.Select(s => s.Metric));
        Assert.Equal(60, latest.Latest[1].Value);
        Assert.Equal(60, summary.Count);
        Assert.Equal(1, summary.Min);
        Assert.Equal(60, summary.Max);
        Assert.Equal(30.5, summary.Average);

        // The same in one answer: every latest value, and a summary of each timing metric only.
        var overview = await store.Ask<MetricsOverview>(new GetMetricsOverview("orders", TimeSpan.FromMinutes(2)), Timeout);
        Assert.Equal(latest.Latest, overview.Latest);
        var timing = Assert.Single(overview.Summaries);
        Assert.Equal(summary with { From = timing.From, To = timing.To }, timing);
    }

    [Fact]
    public async Task Should_recover_its_history_after_the_actor_system_restarts()
    {
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Store(node);
            store.Tell(new RecordSamples("orders", Samples("db_response_ms", 5, T0.AddMinutes(-1))));
            await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var summary = await Store(restarted).Ask<MetricSummary>(new GetMetricSummary("orders", "db_response_ms", TimeSpan.FromHours(1)), Timeout);

        Assert.Equal(5, summary.Count);
        Assert.Equal(3, summary.Average);
    }

    [Fact]
    public async Task Should_make_pending_samples_durable_before_it_stops_on_hand_off()
    {
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Store(node);
            var watcher = CreateTestProbe(node.System);
            watcher.Watch(store);
            store.Tell(new RecordSamples("orders", Samples("m", 7, T0)));
            store.Tell(HandOffTarget.Instance);
            await watcher.ExpectTerminatedAsync(store, Timeout);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var latest = await Store(restarted).Ask<LatestMetrics>(new GetLatestMetrics("orders"), Timeout);
        Assert.Equal(7, Assert.Single(latest.Latest).Value);
    }

    [Fact]
    public async Task Should_prune_old_history_from_memory_and_from_the_journal()
    {
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Store(node);
            store.Tell(new RecordSamples("orders", Samples("m", 10, T0.AddHours(-30))));
            await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);
            store.Tell(new RecordSamples("orders", Samples("m", 4, T0.AddHours(-1), first: 100)));
            await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);
            Assert.Equal(2, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));

            var pruned = await store.Ask<MetricsPruned>(new PruneMetrics("orders", T0.AddHours(-24)), Timeout);

            Assert.Equal(10, pruned.RemovedSamples);
            Assert.Equal(4, pruned.RetainedSamples);
            await AwaitAssertAsync(async () => Assert.Equal(0, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders")), Timeout);
            Assert.Equal(1, await JournalInspector.CountSnapshotsAsync(_data.Path, "metrics-orders"));
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var summary = await Store(restarted).Ask<MetricSummary>(new GetMetricSummary("orders", "m", TimeSpan.FromDays(3)), Timeout);
        Assert.Equal(4, summary.Count);
        Assert.Equal(100, summary.Min);
    }

    [Fact]
    public async Task Should_snapshot_its_rollups_every_few_batches_and_recover_without_counting_a_sample_twice()
    {
        var settings = new MetricsStoreSettings { BatchSize = 10, SnapshotEveryBatches = 2, FlushInterval = TimeSpan.FromHours(1) };
        await using (var node = await PersistentNode.StartAsync(_data.Path))
        {
            var store = Store(node, settings: settings);
            for (var i = 0; i < 5; i++) store.Tell(new RecordSamples("orders", Samples("config_access_ms", 5, T0.AddMinutes(-50 + i), first: 1 + 5 * i)));
            await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);

            await AwaitAssertAsync(async () =>
            {
                Assert.Equal(1, await JournalInspector.CountSnapshotsAsync(_data.Path, "metrics-orders"));
                Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
            }, Timeout);
        }

        await using var restarted = await PersistentNode.StartAsync(_data.Path);
        var summary = await Store(restarted, settings: settings)
            .Ask<MetricSummary>(new GetMetricSummary("orders", "config_access_ms", TimeSpan.FromHours(1)), Timeout);
        Assert.Equal(25, summary.Count);
        Assert.Equal(1, summary.Min);
        Assert.Equal(25, summary.Max);
        Assert.Equal(13, summary.Average);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
