using System.Diagnostics;

namespace ConfigMonitor.Benchmarks;

/// <summary>Small timing helpers (repetitions on one machine; figures are read as ratios to a reference measured alongside).</summary>
public static class Measure
{
    /// <summary>Runs <paramref name="action"/> <paramref name="repetitions"/> times and returns the elapsed seconds of each.</summary>
    public static List<double> Seconds(int repetitions, Action action)
    {
        var results = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            action();
            results.Add(stopwatch.Elapsed.TotalSeconds);
        }
        return results;
    }

    /// <summary>Forces a full, compacting collection and returns the live heap.</summary>
    public static long LiveHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The process's resident memory now.</summary>
    public static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempFolder(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), "configmonitor-bench", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
