using System.Globalization;
using System.Runtime.InteropServices;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// CPU time and resident memory of another process, read from /proc (Linux): utime + stime of /proc/PID/stat, VmRSS and
/// VmHWM of /proc/PID/status, and the CPU time of each thread by its name (/proc/PID/task/TID/stat) for a rough profile.
/// </summary>
public static class ProcStats
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK
    private const int OpenFilesResource = 7; // RLIMIT_NOFILE

    /// <summary>Clock ticks per second of utime/stime (100 on Linux).</summary>
    public static readonly double ClockTicks = Sysconf(ClockTicksName) is > 0 and var t ? t : 100;

    /// <summary>User + system CPU seconds the process has used so far.</summary>
    public static double CpuSeconds(int pid) => CpuSecondsOf(File.ReadAllText($"/proc/{pid}/stat"));

    /// <summary>The resident set now (VmRSS) and the highest it has been (VmHWM), in bytes.</summary>
    public static (long Rss, long Peak) Memory(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
        }
        return (rss, peak);
    }

    /// <summary>
    /// User + system CPU seconds of a process and its children (e.g. PostgreSQL's postmaster and its backends): its own, what its
    /// ended children used (cutime + cstime), and what its live children have used so far.
    /// </summary>
    public static double TreeCpuSeconds(int parent)
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // Field 4 (1-based) is the parent's pid; 16 and 17 the waited-for children's utime and stime.
                if (pid == parent)
                    total += CpuSecondsOf(stat) + (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / ClockTicks;
                else if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
                    total += CpuSecondsOf(stat);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return total;
    }

    /// <summary>CPU seconds per live thread (by thread id), with the thread's name (digits dropped, so a pool's threads group together).</summary>
    public static Dictionary<int, (string Name, double Cpu)> Threads(int pid)
    {
        var result = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var name = new string(stat[(open + 1)..close].Where(c => !char.IsDigit(c)).ToArray()).Trim();
                result[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (name, CpuSecondsOf(stat));
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }
        return result;
    }

    /// <summary>CPU seconds by thread name between two <see cref="Threads"/> readings (threads that ended in between are not counted).</summary>
    public static IEnumerable<(string Name, double Cpu)> ThreadSplit(Dictionary<int, (string Name, double Cpu)> before, Dictionary<int, (string Name, double Cpu)> after) =>
        after.Select(t => (t.Value.Name, Cpu: t.Value.Cpu - (before.TryGetValue(t.Key, out var b) ? b.Cpu : 0)))
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, g.Sum(t => t.Cpu)))
            .OrderByDescending(t => t.Item2);

    /// <summary>The soft limit of open files, raised to the hard limit when lower; returns the limit in effect.</summary>
    public static long RaiseOpenFilesLimit()
    {
        if (GetRLimit(OpenFilesResource, out var limit) != 0) return -1;
        if (limit.Current < limit.Max)
        {
            var raised = limit with { Current = limit.Max };
            if (SetRLimit(OpenFilesResource, ref raised) == 0) return (long)raised.Current;
        }
        return (long)limit.Current;
    }

    private static double CpuSecondsOf(string stat)
    {
        // Fields after "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    [StructLayout(LayoutKind.Sequential)]
    private record struct RLimit(ulong Current, ulong Max);

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long Sysconf(int name);

    [DllImport("libc", EntryPoint = "getrlimit")]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit")]
    private static extern int SetRLimit(int resource, ref RLimit limit);
}
