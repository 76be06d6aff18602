using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// A logger provider that counts the lines a node writes, by level and by when (Stopwatch timestamp), and keeps their text so the
/// benchmark can say which lines were written: the "quiet logs at scale" figure (Information lines a minute from healthy targets).
/// </summary>
public sealed class LogLineCounter : ILoggerProvider
{
    private readonly ConcurrentQueue<(long At, LogLevel Level, string Category, string Text)> _lines = new();

    /// <summary>Every line written so far (at its time, level, category, text).</summary>
    public IReadOnlyList<(long At, LogLevel Level, string Category, string Text)> Lines => _lines.ToArray();

    /// <summary>Lines of <paramref name="level"/> or above written between two Stopwatch timestamps.</summary>
    public IReadOnlyList<(long At, LogLevel Level, string Category, string Text)> Between(long from, long to, LogLevel level) =>
        _lines.Where(l => l.At >= from && l.At < to && l.Level >= level).ToList();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Counter(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Counter(LogLineCounter owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((Stopwatch.GetTimestamp(), logLevel, category, formatter(state, exception)));
    }
}

/// <summary>The node's logging path for a benchmark node: the filters of the node's appsettings.json, every line that passes counted, none printed.</summary>
public static class BenchNodeLogging
{
    /// <summary>Sends every line through <paramref name="counter"/> with the node's filters.</summary>
    public static void CountInto(ILoggingBuilder logging, LogLineCounter counter)
    {
        logging.ClearProviders();
        logging.AddProvider(counter);
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
    }

    /// <summary>Akka at INFO through the node's OperatorLogger (into Microsoft.Extensions.Logging).</summary>
    public static void AkkaThroughOperatorLogger(Akka.Hosting.LoggerConfigBuilder loggers)
    {
        loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
        loggers.ClearLoggers();
        loggers.AddLogger<ConfigMonitor.Actors.Hosting.OperatorLogger>();
    }
}

