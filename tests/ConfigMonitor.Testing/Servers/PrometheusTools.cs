using System.Diagnostics;

namespace ConfigMonitor.Testing.Servers;

/// <summary>Debian's <c>prometheus</c> package: <c>promtool</c> and <c>prometheus</c> on PATH (.ci/run installs them).</summary>
public static class PrometheusTools
{
    /// <summary>Skips (developer) or fails (CI=true) the running test when promtool or prometheus is missing.</summary>
    public static void Require() =>
        RequiredServer.Require(Find("promtool") is not null && Find("prometheus") is not null,
            "promtool/prometheus are not installed (apt-get install prometheus; .ci/run installs them)");

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs a tool to completion with <paramref name="stdin"/>; returns exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> args, string? stdin = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
