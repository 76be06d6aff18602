using ConfigMonitor.Actors.Protocol;
using Akka.Actor;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Actors.Tests.Metrics;

/// <summary>No query can fail a MetricsStore, and a store that fails for another reason keeps the samples it accepted.</summary>
public sealed class MetricsStoreFailureSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const string Metric = "config_access_ms";
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(T0);

    private static MetricSample[] Samples(int count) =>
        Enumerable.Range(0, count).Select(i => new MetricSample(Metric, 1 + i, T0.AddMinutes(-30).AddSeconds(i))).ToArray();

    private IActorRef Store(PersistentNode node) =>
        node.System.ActorOf(MetricsStoreHost.Props("orders", new MetricsStoreSettings { FlushInterval = TimeSpan.FromHours(1) }, _clock));

    private async Task<long> RecoveredCount(PersistentNode node, IActorRef store)
    {
        var watcher = CreateTestProbe(node.System);
        watcher.Watch(store);
        store.Tell(HandOffTarget.Instance);
        await watcher.ExpectTerminatedAsync(store, Timeout);
        var again = Store(node);
        return (await again.Ask<MetricSummary>(new GetMetricSummary("orders", Metric, TimeSpan.MaxValue), Timeout)).Count;
    }

    public static TheoryData<TimeSpan> HugeWindows()
    {
        var sinceStartOfTime = T0 - DateTimeOffset.MinValue;
        return new TheoryData<TimeSpan>
        {
            TimeSpan.MaxValue, Durations.Largest, sinceStartOfTime, sinceStartOfTime + TimeSpan.FromTicks(1),
            TimeSpan.FromDays(99_999), TimeSpan.FromHours(2),
        };
    }

    [Theory]
    [MemberData(nameof(HugeWindows))]
    public async Task A_summary_over_a_window_longer_than_the_history_should_summarise_it_all_and_keep_every_pending_sample(TimeSpan window)
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node);
        store.Tell(new RecordSamples("orders", Samples(10)));

        var summary = await store.Ask<MetricSummary>(new GetMetricSummary("orders", Metric, window), Timeout);
        var overview = await store.Ask<MetricsOverview>(new GetMetricsOverview("orders", window), Timeout);

        Assert.Equal(10, summary.Count);
        Assert.Equal(T0, summary.To);
        Assert.Equal(10, Assert.Single(overview.Summaries).Count);
        var flushed = await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);
        Assert.Equal(10, flushed.PersistedSamples);
        Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
        Assert.Equal(10, await RecoveredCount(node, store));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public async Task A_summary_over_an_empty_or_negative_window_should_answer_an_empty_window_ending_now(long ticks)
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node);
        store.Tell(new RecordSamples("orders", Samples(10)));

        var summary = await store.Ask<MetricSummary>(new GetMetricSummary("orders", Metric, TimeSpan.FromTicks(ticks)), Timeout);

        Assert.Equal((T0, T0), (summary.From, summary.To));
        Assert.Equal(10, (await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout)).PersistedSamples);
    }

    [Fact]
    public async Task A_query_that_fails_should_be_answered_with_the_failure_and_leave_the_store_and_its_pending_samples_alone()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var store = Store(node);
        store.Tell(new RecordSamples("orders", Samples(10)));

        // A metric name missing from the query (null, as a message deserialised without it would carry).
        await Assert.ThrowsAsync<ArgumentNullException>(() => store.Ask<RecentSamples>(new GetRecentSamples("orders", null!), Timeout));

        Assert.Equal(10, (await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout)).PersistedSamples);
        Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
    }

    [Fact]
    public async Task A_store_that_crashes_should_carry_its_unflushed_samples_into_its_next_incarnation()
    {
        await using var node = await PersistentNode.StartAsync(_data.Path);
        var errors = CreateTestProbe(node.System);
        node.System.EventStream.Subscribe(errors.Ref, typeof(Akka.Event.Error));
        var store = Store(node);
        store.Tell(new RecordSamples("orders", Samples(10)));

        // A batch with a sample that names no metric (as a sender bug or a message deserialised without it carries)
        // fails the store, and its supervisor restarts it: the real failure path, no hook in the store.
        store.Tell(new RecordSamples("orders", [new MetricSample(null!, 1, T0)]));
        await errors.FishForMessageAsync(m => m is Akka.Event.Error { Cause: ArgumentNullException }, Timeout);
        // Messages that reached the mailbox during the failure come first; the carried samples follow them.
        await AwaitAssertAsync(async () => Assert.Equal(10,
            (await store.Ask<MetricSummary>(new GetMetricSummary("orders", Metric, TimeSpan.FromHours(2)), Timeout)).Count), Timeout);

        var flushed = await store.Ask<MetricsFlushed>(new FlushMetrics("orders"), Timeout);
        Assert.Equal(10, flushed.PersistedSamples);
        Assert.Equal(1, await JournalInspector.CountEventsAsync(_data.Path, "metrics-orders"));
        Assert.Equal(10, await RecoveredCount(node, store));
    }
}
