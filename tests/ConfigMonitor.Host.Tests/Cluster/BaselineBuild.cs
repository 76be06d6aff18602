using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>
/// The node build of an earlier commit (the rolling-upgrade baseline), built once per commit from the repository's own
/// history and kept under /tmp, so that only the first run on a machine pays for the build.
/// </summary>
public static class BaselineBuild
{
    /// <summary>
    /// The commit whose node must still share a cluster and a journal with this build. Each issue moves it to its own last
    /// commit when it is done (the contracts that issue shipped become the baseline of the next); docs/operations.md "Upgrading".
    /// </summary>
    public const string Commit = "ba2b1ed";

    /// <summary>Where builds are kept, one folder per full commit id.</summary>
    public static string CacheRoot => Path.Combine(Path.GetTempPath(), "configmonitor-baseline-builds");

    /// <summary>The longest a build may take (restore from the local package cache, then a Release build of the node).</summary>
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    /// <summary>True when git is on the PATH.</summary>
    public static bool GitAvailable =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "git")));

    /// <summary>Why the baseline is missing, for the gate (the test fails with it under CI).</summary>
    public static string MissingCommitReason(string commit) =>
        $"the rolling-upgrade baseline commit {commit} is not in this clone (git rev-parse --verify {commit}^{{commit}} failed in {LocalCluster.RepositoryRoot}): " +
        "clone with full history (git clone, not --depth 1; or git fetch --unshallow), or move BaselineBuild.Commit to a commit of this history";

    /// <summary>The full id of <paramref name="commit"/> in this repository, or null when it is not there.</summary>
    public static async Task<string?> ResolveAsync(string commit)
    {
        var (code, stdout, _) = await RunAsync("git", LocalCluster.RepositoryRoot, TimeSpan.FromSeconds(30), "rev-parse", "--verify", "--quiet", commit + "^{commit}");
        return code == 0 && stdout.Trim().Length == 40 ? stdout.Trim() : null;
    }

    /// <summary>The path of ConfigMonitor.Host.dll built from <paramref name="fullCommit"/>: from the cache, or built now (git archive, dotnet build -c Release).</summary>
    public static async Task<string> HostAssemblyAsync(string fullCommit, ITestOutputHelper output)
    {
        var folder = Path.Combine(CacheRoot, fullCommit);
        var dll = Path.Combine(folder, "host", "ConfigMonitor.Host.dll");
        var complete = Path.Combine(folder, "complete");
        if (File.Exists(complete) && File.Exists(dll)) return dll;

        Directory.CreateDirectory(CacheRoot);
        // One build per commit at a time on this machine (two test runs may meet here); the lock ends with the process.
        await using var lockFile = await LockAsync(Path.Combine(CacheRoot, fullCommit + ".lock"));
        if (File.Exists(complete) && File.Exists(dll)) return dll;

        var work = Path.Combine(CacheRoot, $"{fullCommit}.build-{Guid.NewGuid():N}");
        var source = Path.Combine(work, "source");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(source);
            // git archive, not git worktree add: the same files of that commit, without registering a worktree in the repository
            // (nothing to prune when a run is killed halfway).
            var archive = Path.Combine(work, "source.tar");
            await MustAsync("git", LocalCluster.RepositoryRoot, TimeSpan.FromMinutes(2), "archive", "--format=tar", "-o", archive, fullCommit);
            await MustAsync("tar", work, TimeSpan.FromMinutes(2), "-xf", archive, "-C", source);
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
            await MustAsync(dotnet, source, BuildTimeout, "build", Path.Combine(source, "src", "ConfigMonitor.Host"), "-c", "Release",
                "-o", Path.Combine(work, "host"), "--nologo", "-v", "q", "-clp:ErrorsOnly");
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            Directory.Move(Path.Combine(work, "host"), Path.Combine(folder, "host"));
            await File.WriteAllTextAsync(complete, $"built {DateTimeOffset.UtcNow:O} from {fullCommit} in {stopwatch.Elapsed.TotalSeconds:0} s\n");
            output.WriteLine($"built the baseline {fullCommit[..7]} in {stopwatch.Elapsed.TotalSeconds:0} s into {folder}");
            return dll;
        }
        finally
        {
            try
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = DateTime.UtcNow + BuildTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000);
            }
        }
    }

    private static async Task MustAsync(string program, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(program, workingDirectory, timeout, args);
        if (code != 0)
            throw new InvalidOperationException(
                $"building the rolling-upgrade baseline: '{program} {string.Join(' ', args)}' exited with {code}:{Environment.NewLine}{Tail(stdout + stderr)}");
    }

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory };
        foreach (var a in args) info.ArgumentList.Add(a);
        return ChildProcess.RunAsync(info, timeout, $"'{program} {string.Join(' ', args)}'");
    }

    private static string Tail(string text) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).TakeLast(30)) is { Length: > 0 } tail
            ? tail
            : "(no output)";
}
