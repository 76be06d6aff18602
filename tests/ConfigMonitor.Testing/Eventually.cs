using System.Diagnostics;
using Xunit.Sdk;

namespace ConfigMonitor.Testing;

/// <summary>
/// Polls until a condition holds or a deadline passes: tests wait on state, never sleep a fixed time. A try that throws counts
/// as "not yet" (a shard region or singleton still starting, a server not listening yet) and a failed assertion inside a try
/// ends the wait at once. The failure names the deadline, the number of tries and the last value observed or the last error.
/// </summary>
public static class Eventually
{
    /// <summary>How long to wait between tries unless told otherwise.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Retries <paramref name="condition"/> every <paramref name="pollInterval"/> (100 ms by default) until it returns true; fails the
    /// test after <paramref name="timeout"/>, counted from <paramref name="since"/> (a <see cref="Stopwatch.GetTimestamp"/> value) when given.
    /// </summary>
    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string? because = null, TimeSpan? pollInterval = null,
        long? since = null) =>
        await PollAsync(async () =>
        {
            var holds = await condition().ConfigureAwait(false);
            return (holds, holds, (string?)null);
        }, timeout, because, pollInterval, since).ConfigureAwait(false);

    /// <summary>
    /// Reads <paramref name="observe"/> every <paramref name="pollInterval"/> (100 ms by default) until <paramref name="accept"/> takes the
    /// value, and returns that value; fails the test after <paramref name="timeout"/> with the last value read.
    /// </summary>
    public static Task<T> MatchAsync<T>(Func<Task<T>> observe, Func<T, bool> accept, TimeSpan timeout, string? because = null,
        TimeSpan? pollInterval = null) =>
        PollAsync(async () =>
        {
            var value = await observe().ConfigureAwait(false);
            return (accept(value), value, $"{value}");
        }, timeout, because, pollInterval, since: null);

    private static async Task<T> PollAsync<T>(Func<Task<(bool Done, T Value, string? Observed)>> attempt, TimeSpan timeout, string? because,
        TimeSpan? pollInterval, long? since)
    {
        var start = since ?? Stopwatch.GetTimestamp();
        var interval = pollInterval ?? DefaultPollInterval;
        Exception? lastError = null;
        string? lastObserved = null;
        var tries = 0;
        while (true)
        {
            tries++;
            try
            {
                var (done, value, observed) = await attempt().ConfigureAwait(false);
                if (done) return value;
                lastError = null;
                lastObserved = observed;
            }
            catch (Exception e) when (e is not XunitException)
            {
                lastError = e;
            }
            if (Stopwatch.GetElapsedTime(start) >= timeout) break;
            await Task.Delay(interval).ConfigureAwait(false);
        }
        var message = $"Condition not met within {timeout.TotalSeconds:0.#} s ({tries} tries)" + (because is null ? "" : $": {because}");
        if (lastError is not null) message += $"; the last try failed with {lastError.GetType().Name}: {lastError.Message}";
        else if (lastObserved is not null) message += $"; last observed: {lastObserved}";
        throw new XunitException(message);
    }
}
