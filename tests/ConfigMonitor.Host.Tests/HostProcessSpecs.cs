
namespace ConfigMonitor.Host.Tests;

/// <summary>The node as an operator runs it: <c>dotnet ConfigMonitor.Host.dll</c>, stopped with a signal.</summary>
public sealed class HostProcessSpecs : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _work = TempDirectory.ForNode();

    private string DataDirectory => Path.Combine(_work.Path, "data");

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")] // what systemd sends (deploy/systemd/configmonitor.service)
    public async Task Should_monitor_the_demo_target_and_exit_0_through_coordinated_shutdown_on_a_stop_signal(string signal)
    {
        using var node = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0", $"--ConfigMonitor:DataDirectory={DataDirectory}");

        await node.WaitForOutputAsync("Monitoring 1 target on this node", StartTimeout);
        // Where the demo listens is in the log: a new user breaks it from there without asking the API.
        var demo = System.Text.RegularExpressions.Regex.Match(node.StandardOutput, @"Demo config service \(target 'demo'\) listening on (http://127\.0\.0\.1:\d+);");
        Assert.True(demo.Success, node.StandardOutput);
        using (var http = new HttpClient())
            Assert.Contains("\"readDelay\"", await http.GetStringAsync($"{demo.Groups[1].Value}/faults"));
        await node.SignalAsync(signal);

        var exited = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(exited, $"the node should exit within {ExitTimeout.TotalSeconds:0} s of SIG{signal}.{Environment.NewLine}stdout:{Environment.NewLine}{node.StandardOutput}");
        Assert.True(node.ExitCode == 0,
            $"exit code {node.ExitCode}.{Environment.NewLine}stdout:{Environment.NewLine}{node.StandardOutput}{Environment.NewLine}stderr:{Environment.NewLine}{node.StandardError}");
        Assert.Contains("CoordinatedShutdown invoked", node.StandardOutput);
        // Every singleton is found at once on a one-node cluster: no report that one is missing (akka.net#8568 made one per start).
        Assert.DoesNotContain("failed to find an associated singleton", node.StandardOutput);
        Assert.DoesNotContain("not found", node.StandardOutput);
        // A graceful leave, not a crash: the node left the cluster after handing its shards off.
        Assert.Contains("Exiting completed", node.StandardOutput);
        Assert.True(File.Exists(Path.Combine(DataDirectory, "configmonitor.db")), "the node should write its journal to the given data folder");
    }

    [Fact]
    public async Task Should_exit_2_and_name_the_target_and_field_when_a_target_is_malformed()
    {
        using var node = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0", $"--ConfigMonitor:DataDirectory={DataDirectory}",
            "--ConfigMonitor:Targets:demo:Performance:Interval=soon");

        var exited = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(exited, "a node with a malformed target should exit at once");
        Assert.Equal(2, node.ExitCode);
        Assert.Contains("target 'demo': field 'Performance:Interval'", node.StandardError);
        Assert.False(Directory.Exists(DataDirectory), "a refused node must not create its data folder");
    }

    [Fact]
    public async Task Should_exit_2_and_say_why_when_the_api_listens_beyond_loopback_without_a_token()
    {
        using var node = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", $"--ConfigMonitor:DataDirectory={DataDirectory}",
            "--ConfigMonitor:Api:Url=http://0.0.0.0:0");

        var exited = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(exited, "a node with an open API and no token should exit at once");
        Assert.Equal(2, node.ExitCode);
        Assert.Contains("field 'Api:Url' is 'http://0.0.0.0:0', which other hosts can reach, and 'Api:Token' is not set", node.StandardError);
        Assert.False(Directory.Exists(DataDirectory), "a refused node must not create its data folder");
    }

    public void Dispose() => _work.Dispose();
}
