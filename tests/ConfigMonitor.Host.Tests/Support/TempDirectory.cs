namespace ConfigMonitor.Host.Tests.Support;

/// <summary>A data folder of its own per test (not created: the node creates it), removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>The folder's absolute path.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "configmonitor-host-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A SQLite handle still closing; the OS temp cleaner takes the rest.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above on file systems that report it this way.
        }
    }
}
