namespace ConfigMonitor.Host;

/// <summary>
/// A node's hold on its data folder: an exclusive lock on <c>.configmonitor.lock</c> inside it (flock, which .NET takes for
/// <see cref="FileShare.None"/> on Linux and the kernel releases when the process ends, even after a crash or kill -9), for
/// as long as the node runs. A second node given the same folder would write one SQLite journal and one demo database twice;
/// it stops at start instead (exit 3: the folder may be free once the first node has stopped).
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the data folder.</summary>
    public const string FileName = ".configmonitor.lock";

    // What .NET reports when another open file holds the lock: flock's EWOULDBLOCK (11) on Linux, ERROR_SHARING_VIOLATION on Windows.
    private static readonly int[] HeldElsewhere = [11, unchecked((int)0x80070020)];

    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (made if missing), or throws <see cref="TransientStartupException"/> when
    /// another process holds it and <see cref="NodeConfigurationException"/> when the folder cannot be written.
    /// </summary>
    public static DataFolderLock Take(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try
        {
            Directory.CreateDirectory(folder);
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            // The holder's pid beside the lock, for the refusal of a second node (a locked file cannot be read by another process).
            File.WriteAllText(Path.Combine(folder, PidFileName), $"{Environment.ProcessId}\n");
            return new DataFolderLock(file);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new NodeConfigurationException($"the data folder {folder} (ConfigMonitor:DataDirectory) cannot be written: {e.Message}");
        }
        catch (IOException e) when (!HeldElsewhere.Contains(e.HResult))
        {
            throw new TransientStartupException($"the data folder {folder} (ConfigMonitor:DataDirectory) cannot hold the node's lock {path}: {e.Message}", e);
        }
        catch (IOException e)
        {
            var holder = HolderPid(folder) is { } pid ? $" (pid {pid})" : "";
            throw new TransientStartupException(
                $"the data folder {folder} (ConfigMonitor:DataDirectory) is in use by another ConfigMonitor node{holder}, which holds {path}; " +
                "two nodes on one folder would write one journal twice: give each node a folder of its own, or stop the other node first", e);
        }
    }

    /// <summary>The file beside the lock that names the holder's process.</summary>
    public const string PidFileName = ".configmonitor.pid";

    private static int? HolderPid(string folder)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(folder, PidFileName)).Trim(), out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the lock (the file stays).</summary>
    public void Dispose() => _file.Dispose();
}
