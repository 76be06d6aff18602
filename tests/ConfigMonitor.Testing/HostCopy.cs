namespace ConfigMonitor.Testing;

/// <summary>
/// A node's own folder made from a built host: the files a run may change or read per node (ConfigMonitor.Host.dll, akka.hocon,
/// every .json) are copied, everything else is linked, so each node has its own settings beside one shared build.
/// </summary>
public static class HostCopy
{
    /// <summary>Fills <paramref name="folder"/> (created) from the build in <paramref name="source"/>.</summary>
    public static void Into(string source, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var entry in Directory.EnumerateFileSystemEntries(source))
        {
            var name = Path.GetFileName(entry);
            var target = Path.Combine(folder, name);
            if (Directory.Exists(entry)) Directory.CreateSymbolicLink(target, entry);
            else if (name is "ConfigMonitor.Host.dll" or "akka.hocon" || name.EndsWith(".json", StringComparison.Ordinal)) File.Copy(entry, target);
            else File.CreateSymbolicLink(target, entry);
        }
    }
}
