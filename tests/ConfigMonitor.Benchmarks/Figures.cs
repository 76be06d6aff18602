using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ConfigMonitor.Benchmarks;

/// <summary>Writes one JSON object per figure to the real stdout; everything else goes to stderr.</summary>
public static class Figures
{
    private static TextWriter _out = Console.Out;

    /// <summary>Keeps the real stdout for figures and sends every other write (Akka's loggers included) to stderr.</summary>
    public static void CaptureStdout()
    {
        _out = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        Console.SetOut(Console.Error);
    }

    /// <summary>One figure over repeated measurements.</summary>
    public static void Emit(string scenario, string figure, long size, IReadOnlyCollection<double> values, string unit)
    {
        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{{\"scenario\": {JsonSerializer.Serialize(scenario)}, \"figure\": {JsonSerializer.Serialize(figure)}, \"size\": {size}, " +
            $"\"median\": {Number(median)}, \"min\": {Number(sorted[0])}, \"max\": {Number(sorted[^1])}, \"unit\": {JsonSerializer.Serialize(unit)}}}");
        lock (_out) _out.WriteLine(line);
    }

    /// <summary>One figure measured once.</summary>
    public static void Emit(string scenario, string figure, long size, double value, string unit) => Emit(scenario, figure, size, [value], unit);

    /// <summary>A figure line written by a child run of the benchmark, passed through as it is.</summary>
    public static void Relay(string line)
    {
        lock (_out) _out.WriteLine(line);
    }

    /// <summary>Progress for the person watching, on stderr.</summary>
    public static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static string Number(double v) =>
        !double.IsFinite(v) ? "null" : Math.Abs(v) >= 1000 ? Math.Round(v).ToString("0", CultureInfo.InvariantCulture) : v.ToString("G5", CultureInfo.InvariantCulture);
}
