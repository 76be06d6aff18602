using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// A process the benchmark started and drives: this program in another mode (control lines on stdin/stdout, figure lines
/// passed through, progress on stderr) or an outside tool (its output to a log file). Disposing it ends it (by its id).
/// </summary>
public sealed class BenchProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _pumps;

    private readonly TextWriter? _log;

    private BenchProcess(Process process, TextWriter? log)
    {
        _process = process;
        _log = log;
        _pumps = log is null
            ? Task.WhenAll(Pump(process.StandardOutput, Control), Pump(process.StandardError, line => Console.Error.WriteLine(line)))
            : Task.WhenAll(Pump(process.StandardOutput, log.WriteLine), Pump(process.StandardError, log.WriteLine));
    }

    /// <summary>The process id (for /proc).</summary>
    public int Pid => _process.Id;

    /// <summary>The name it was started as.</summary>
    public string Name { get; private init; } = "";

    /// <summary>True once it has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>This benchmark program with <paramref name="arguments"/> (a mode such as <c>serve</c>).</summary>
    public static BenchProcess Benchmark(string name, IReadOnlyList<string> arguments)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the benchmark's own executable is not known");
        var start = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(BenchProcess).Assembly.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        return new BenchProcess(process, null) { Name = name };
    }

    /// <summary>An outside program (e.g. prometheus), its stdout and stderr written to <paramref name="logFile"/>.</summary>
    public static BenchProcess Tool(string executable, IReadOnlyList<string> arguments, string logFile)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        return new BenchProcess(process, TextWriter.Synchronized(new StreamWriter(logFile) { AutoFlush = true })) { Name = Path.GetFileName(executable) };
    }

    /// <summary>The next control line it wrote (figure lines are passed through to this run's stdout), or a clear failure.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        try
        {
            return await _lines.Reader.ReadAsync().AsTask().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{Name} (pid {Pid}) wrote nothing for {timeout.TotalSeconds:0} s");
        }
        catch (ChannelClosedException)
        {
            await _process.WaitForExitAsync();
            throw new InvalidOperationException($"{Name} (pid {Pid}) ended with exit code {_process.ExitCode}");
        }
    }

    /// <summary>Sends one command line and returns the one-line answer.</summary>
    public async Task<string> AskAsync(string command, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await ReadLineAsync(timeout);
    }

    /// <summary>Sends one command line without waiting for an answer.</summary>
    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits up to <paramref name="grace"/> for it to end on its own; true if it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan grace)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(grace);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// This program's modes: closes their stdin (they stop on that), then ends them if still running after a grace period.
    /// An outside tool is ended at once (its data is thrown away with its temp folder).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_log is not null && !_process.HasExited) _process.Kill(entireProcessTree: true);
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It has already gone.
        }
        if (!await WaitForExitAsync(TimeSpan.FromSeconds(30)))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await _pumps;
        _log?.Dispose();
        _process.Dispose();
    }

    private void Control(string line)
    {
        if (line.StartsWith('{')) Figures.Relay(line);
        else _lines.Writer.TryWrite(line);
    }

    private async Task Pump(StreamReader reader, Action<string> write)
    {
        while (await reader.ReadLineAsync() is { } line) write(line);
        if (reader == _process.StandardOutput) _lines.Writer.TryComplete();
    }
}
