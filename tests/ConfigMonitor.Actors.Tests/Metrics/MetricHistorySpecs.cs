using ConfigMonitor.Actors.Metrics;

namespace ConfigMonitor.Actors.Tests.Metrics;

public class MetricHistorySpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Should_summarize_only_the_samples_inside_the_window()
    {
        var history = new MetricHistory();
        history.Add(Enumerable.Range(1, 100).Select(i => new MetricSample("latency_ms", i, T0.AddSeconds(i))));
        history.Add([new MetricSample("other", 1000, T0.AddSeconds(50))]);

        var summary = history.Summarize("t", "latency_ms", T0.AddSeconds(51), T0.AddSeconds(100));

        Assert.Equal(50, summary.Count);
        Assert.Equal(51, summary.Min);
        Assert.Equal(100, summary.Max);
        Assert.Equal(75.5, summary.Average);
        Assert.Equal(75, summary.P50);
        Assert.Equal(98, summary.P95);
        Assert.Equal(100, summary.P99);
    }

    [Fact]
    public void Should_answer_an_empty_summary_with_no_figures()
    {
        var summary = new MetricHistory().Summarize("t", "nothing", T0, T0.AddHours(1));

        Assert.Equal(0, summary.Count);
        Assert.Null(summary.Average);
        Assert.Null(summary.P99);
    }

    [Fact]
    public void Should_keep_out_of_order_samples_in_time_order_and_report_the_newest_as_latest()
    {
        var history = new MetricHistory();
        history.Add([new MetricSample("m", 3, T0.AddSeconds(3)), new MetricSample("m", 1, T0.AddSeconds(1)), new MetricSample("m", 2, T0.AddSeconds(2))]);

        Assert.Equal([1.0, 2.0, 3.0], history.All().Select(s => s.Value));
        Assert.Equal(3, Assert.Single(history.Latest()).Value);
    }

    [Fact]
    public void Should_prune_samples_older_than_the_cutoff_and_forget_empty_metrics()
    {
        var history = new MetricHistory();
        history.Add([new MetricSample("old", 1, T0), new MetricSample("m", 1, T0), new MetricSample("m", 2, T0.AddHours(2))]);

        var removed = history.Prune(T0.AddHours(1));

        Assert.Equal(2, removed);
        Assert.Equal(1, history.Count);
        Assert.Equal("m", Assert.Single(history.Latest()).Metric);
    }
}
