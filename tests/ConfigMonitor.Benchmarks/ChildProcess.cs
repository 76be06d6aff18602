using System.Diagnostics;

namespace ConfigMonitor.Benchmarks;

/// <summary>Runs this benchmark program again with other arguments and passes its figures and progress through.</summary>
public static class ChildProcess
{
    /// <summary>Runs the program with <paramref name="arguments"/>; returns its exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> arguments)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the benchmark's own executable is not known");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under `dotnet ConfigMonitor.Benchmarks.dll` the process is dotnet itself: name the program again.
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        var figures = Relay(process.StandardOutput, Figures.Relay);
        var progress = Relay(process.StandardError, line => Console.Error.WriteLine(line));
        await process.WaitForExitAsync();
        await Task.WhenAll(figures, progress);
        return process.ExitCode;
    }

    private static async Task Relay(StreamReader reader, Action<string> write)
    {
        while (await reader.ReadLineAsync() is { } line) write(line);
    }
}
