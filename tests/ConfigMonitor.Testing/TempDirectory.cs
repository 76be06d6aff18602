namespace ConfigMonitor.Testing;

/// <summary>
/// A folder of its own per test under the system's temp folder, removed afterwards. <c>new()</c> creates it;
/// <see cref="ForNode"/> only names it, for a node that must create its data folder itself (the specs of a refused start
/// check that it did not).
/// </summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>A folder made now.</summary>
    public TempDirectory() : this(create: true)
    {
    }

    private TempDirectory(bool create)
    {
        if (create) Directory.CreateDirectory(Path);
    }

    /// <summary>A folder named but not made: the node under test creates it (or, refused, must not).</summary>
    public static TempDirectory ForNode() => new(create: false);

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "configmonitor-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A file's path inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A SQLite handle still closing, or a file system that reports it that way; the OS temp cleaner takes the rest.
        }
    }
}
