using System.Diagnostics;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>Runs a program to its end with a time limit, for the cluster harness's scripts and builds.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="info"/> (its output redirected here) and waits for its exit code and output; past <paramref name="timeout"/>
    /// it kills the process tree and throws a <see cref="TimeoutException"/> naming <paramref name="what"/> with what it had printed.
    /// </summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(ProcessStartInfo info, TimeSpan timeout, string what)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{what}: {info.FileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            // A process it started elsewhere may still hold the pipes: wait a little for the output, not for ever.
            var output = Task.WhenAll(stdout, stderr);
            var printed = await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(5))) == output
                ? $"; it printed:{Environment.NewLine}{await stdout}{await stderr}"
                : "";
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0} s{printed}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
