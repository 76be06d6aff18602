using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ConfigMonitor.Testing.Servers;

/// <summary>What the private servers share: finding a binary on PATH, starting without leaking a folder, and signals.</summary>
internal static class ServerProcessSupport
{
    internal const int SigCont = 18;
    internal const int SigStop = 19;

    /// <summary>The full path of <paramref name="name"/> on PATH (or /usr/sbin, /usr/bin), or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/sbin")
            .Select(dir => System.IO.Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Starts a new server with <paramref name="start"/>; one that does not come up is disposed (its folder deleted) before the failure is thrown.</summary>
    public static async Task<T> StartedAsync<T>(T server, Func<T, Task> start) where T : IAsyncDisposable
    {
        try
        {
            await start(server);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to process <paramref name="pid"/> (Linux numbers); for SIGSTOP and SIGCONT, returns once
    /// the process is stopped (state 'T' in /proc) or running again, since delivery is asynchronous.
    /// </summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            if (Marshal.GetLastPInvokeError() == 3 /* ESRCH: already gone */) return;
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
        if (signal is not (SigStop or SigCont)) return;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (State(pid) is { } state && (state == 'T') != (signal == SigStop))
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"process {pid} did not {(signal == SigStop ? "stop" : "continue")} within 5 s");
            Thread.Sleep(5);
        }
    }

    // The state letter of /proc/PID/stat (after the parenthesised command name); null when the process is gone.
    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
