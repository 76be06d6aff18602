namespace ConfigMonitor.Host.Tests.Support;

/// <summary>Polls a condition until it holds or a deadline passes: waiting on state, never sleeping a fixed time.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Retries <paramref name="condition"/> every 100 ms until it returns true; a try that throws counts as "not yet"
    /// (a shard region or singleton still starting), and the last error is reported if the deadline passes.
    /// A failed assertion inside the condition ends the wait at once.
    /// </summary>
    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string? because = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? lastError = null;
        var tries = 0;
        while (true)
        {
            tries++;
            try
            {
                if (await condition()) return;
                lastError = null;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                lastError = e;
            }
            if (DateTime.UtcNow >= deadline) break;
            await Task.Delay(PollDelay);
        }
        var message = $"Condition not met within {timeout.TotalSeconds:0} s ({tries} tries)" + (because is null ? "" : $": {because}");
        if (lastError is not null) message += $"; last try failed with {lastError.GetType().Name}: {lastError.Message}";
        Assert.Fail(message);
    }
}
