using System.Diagnostics;
using Xunit.Sdk;

namespace ConfigMonitor.Host.Tests;

/// <summary>The shared polling helper: it returns as soon as the condition holds and, when it never does, says what it last saw.</summary>
public sealed class EventuallySpecs
{
    [Fact]
    public async Task Should_return_the_value_once_the_condition_holds()
    {
        var reads = 0;
        var value = await Eventually.MatchAsync(() => Task.FromResult(++reads), n => n == 3, TimeSpan.FromSeconds(5), "the third read",
            TimeSpan.FromMilliseconds(10));
        Assert.Equal(3, value);
    }

    [Fact]
    public async Task Should_fail_after_the_deadline_naming_the_last_value_observed()
    {
        var reads = 0;
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() =>
            Eventually.MatchAsync(() => Task.FromResult($"read {++reads}"), _ => false, TimeSpan.FromMilliseconds(300), "never", TimeSpan.FromMilliseconds(20)));
        Assert.Contains("Condition not met within 0.3 s", failure.Message);
        Assert.Contains(": never", failure.Message);
        Assert.Contains($"last observed: read {reads}", failure.Message);
    }

    [Fact]
    public async Task Should_retry_a_try_that_throws_and_name_the_last_error_when_the_deadline_passes()
    {
        var tries = 0;
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() => Eventually.AssertAsync(
            () => ++tries < 3 ? throw new InvalidOperationException($"not yet {tries}") : throw new TimeoutException("still starting"),
            TimeSpan.FromMilliseconds(300), "the server answers", TimeSpan.FromMilliseconds(20)));
        Assert.True(tries > 3, $"{tries} tries");
        Assert.Contains("the last try failed with TimeoutException: still starting", failure.Message);
    }

    [Fact]
    public async Task Should_end_at_once_on_a_failed_assertion_inside_a_try()
    {
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() => Eventually.AssertAsync(() =>
        {
            Assert.Fail("the node exited");
            return Task.FromResult(false);
        }, TimeSpan.FromSeconds(30)));
        Assert.Equal("the node exited", failure.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.Elapsed}");
    }

    [Fact]
    public async Task Should_count_the_deadline_from_a_given_start()
    {
        var started = Stopwatch.GetTimestamp() - Stopwatch.Frequency; // a second ago
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() =>
            Eventually.AssertAsync(() => Task.FromResult(false), TimeSpan.FromSeconds(1), "from a second ago", TimeSpan.FromMilliseconds(20), started));
        // One try, then the end: the deadline had passed, so it did not wait (a wait counted from now would make about fifty).
        Assert.Contains("(1 tries)", failure.Message);
    }
}
