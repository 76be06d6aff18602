using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// The node as an operator starts it, with something wrong: each case must end with its documented exit code
/// (ExitCodes: 2 configuration, 3 transient) and one line on stderr naming the file, key or address — never a stack trace.
/// </summary>
public sealed class StartupProcessSpecs : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = TempDirectory.ForNode();

    private string DataDirectory => Path.Combine(_work.Path, "data");

    private string[] Args(params string[] more) =>
        ["--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0", $"--ConfigMonitor:DataDirectory={DataDirectory}", .. more];

    private static async Task<string> ExitsWith(NodeProcess node, int code)
    {
        var exited = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(exited, $"the node should exit on its own.{Environment.NewLine}stdout:{Environment.NewLine}{node.StandardOutput}");
        Assert.True(node.ExitCode == code,
            $"exit code {node.ExitCode}, expected {code}.{Environment.NewLine}stderr:{Environment.NewLine}{node.StandardError}{Environment.NewLine}stdout:{Environment.NewLine}{node.StandardOutput}");
        Assert.DoesNotContain("Unhandled exception", node.StandardError);
        Assert.DoesNotContain("   at ", node.StandardError);
        return node.StandardError;
    }

    public static TheoryData<string, string, string> TakenPorts => new()
    {
        // where another process listens (PORT stands for its port), the node's settings, and the refusal's words
        { "127.0.0.1", "--ConfigMonitor:Port=0|--ConfigMonitor:Api:Url=http://127.0.0.1:PORT",
            "the management API cannot listen on http://127.0.0.1:PORT (ConfigMonitor:Api:Url): the port is already in use" },
        { "127.0.0.1", "--ConfigMonitor:Port=PORT|--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            "Akka remoting cannot listen on 127.0.0.1:PORT (ConfigMonitor:Hostname, ConfigMonitor:Port): the port is already in use" },
        // Kestrel binds localhost on ::1 as well, and fails when that half is taken.
        { "::1", "--ConfigMonitor:Port=0|--ConfigMonitor:Api:Url=http://localhost:PORT",
            "the management API cannot listen on http://localhost:PORT (ConfigMonitor:Api:Url): the port is already in use" },
        { "::1", "--ConfigMonitor:Hostname=::1|--ConfigMonitor:Port=PORT|--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            "Akka remoting cannot listen on [::1]:PORT (ConfigMonitor:Hostname, ConfigMonitor:Port): the port is already in use" },
    };

    [Theory]
    [MemberData(nameof(TakenPorts))]
    public async Task Should_exit_3_naming_the_address_and_setting_before_anything_listens_when_a_port_is_taken(string heldOn, string settings, string refusal)
    {
        using var holder = new TcpListener(IPAddress.Parse(heldOn), 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var node = NodeProcess.Start(_work.Path, [.. settings.Replace("PORT", $"{port}", StringComparison.Ordinal).Split('|'),
            $"--ConfigMonitor:DataDirectory={DataDirectory}"]);

        var stderr = await ExitsWith(node, ExitCodes.Transient);
        Assert.Single(node.StandardErrorLines);
        Assert.Contains(refusal.Replace("PORT", $"{port}", StringComparison.Ordinal), stderr);
        NothingStarted(node);
    }

    /// <summary>A port found taken stops the node before the demo, Akka or the API start: no cluster formed, no stack trace logged.</summary>
    private static void NothingStarted(NodeProcess node)
    {
        Assert.DoesNotContain("Exception", node.StandardOutput);
        Assert.DoesNotContain("Cluster Node [", node.StandardOutput);
        Assert.DoesNotContain("Demo config service", node.StandardOutput);
    }

    [Fact]
    public async Task Should_exit_3_when_a_running_node_listens_on_the_same_akka_port_and_leave_that_node_alone()
    {
        var port = LoopbackPorts.Free();
        using var first = NodeProcess.Start(_work.Path, $"--ConfigMonitor:Port={port}", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={DataDirectory}", "--ConfigMonitor:Demo:Enabled=false");
        await first.WaitForOutputAsync("Now listening on", ExitTimeout);

        // Another API port and data folder, the same Akka port: Akka's transport would bind it beside the first node (SO_REUSEPORT).
        using var second = NodeProcess.Start(_work.Path, $"--ConfigMonitor:Port={port}", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={Path.Combine(_work.Path, "second")}", "--ConfigMonitor:Demo:Enabled=false");

        var stderr = await ExitsWith(second, ExitCodes.Transient);
        Assert.Single(second.StandardErrorLines);
        Assert.Contains($"Akka remoting cannot listen on 127.0.0.1:{port} (ConfigMonitor:Hostname, ConfigMonitor:Port): the port is already in use", stderr);
        NothingStarted(second);
        Assert.False(await first.WaitForExitAsync(TimeSpan.FromMilliseconds(200)), $"the first node should still run.{Environment.NewLine}{first.StandardError}");
        Assert.Equal([first.Id], ListenersOn(port));
    }

    [Fact]
    public async Task Should_exit_3_when_a_running_node_listens_on_the_same_api_port()
    {
        var apiPort = LoopbackPorts.Free();
        using var first = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", $"--ConfigMonitor:Api:Url=http://127.0.0.1:{apiPort}",
            $"--ConfigMonitor:DataDirectory={DataDirectory}", "--ConfigMonitor:Demo:Enabled=false");
        await first.WaitForOutputAsync("Now listening on", ExitTimeout);

        using var second = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", $"--ConfigMonitor:Api:Url=http://localhost:{apiPort}",
            $"--ConfigMonitor:DataDirectory={Path.Combine(_work.Path, "second")}", "--ConfigMonitor:Demo:Enabled=false");

        var stderr = await ExitsWith(second, ExitCodes.Transient);
        Assert.Single(second.StandardErrorLines);
        Assert.Contains($"the management API cannot listen on http://localhost:{apiPort} (ConfigMonitor:Api:Url): the port is already in use", stderr);
        NothingStarted(second);
        Assert.Equal([first.Id], ListenersOn(apiPort));
    }

    [Fact]
    public async Task Should_exit_3_when_a_running_node_holds_the_same_data_folder_and_leave_that_node_alone()
    {
        using var first = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={DataDirectory}", "--ConfigMonitor:Demo:Enabled=false");
        await first.WaitForOutputAsync("Now listening on", ExitTimeout);
        var journal = Path.Combine(DataDirectory, "configmonitor.db");
        var journalBefore = File.ReadAllBytes(journal).Length;

        // Other ports, the same folder: it would write the first node's SQLite journal beside it.
        using var second = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={DataDirectory}", "--ConfigMonitor:Demo:Enabled=false");

        var stderr = await ExitsWith(second, ExitCodes.Transient);
        Assert.Single(second.StandardErrorLines);
        Assert.Contains($"the data folder {DataDirectory} (ConfigMonitor:DataDirectory) is in use by another ConfigMonitor node (pid {first.Id})", stderr);
        NothingStarted(second);
        Assert.False(await first.WaitForExitAsync(TimeSpan.FromMilliseconds(200)), $"the first node should still run.{Environment.NewLine}{first.StandardError}");
        Assert.True(File.ReadAllBytes(journal).Length >= journalBefore, "the first node's journal is untouched");

        // Once the first node has stopped (even killed: the kernel drops its lock), a node may start on the folder.
        await first.SignalAsync("KILL");
        Assert.True(await first.WaitForExitAsync(ExitTimeout), "the first node should exit when killed");
        using var third = NodeProcess.Start(_work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={DataDirectory}", "--ConfigMonitor:Demo:Enabled=false");
        await third.WaitForOutputAsync("Now listening on", ExitTimeout);
    }

    public static TheoryData<string, string, string> OwnPortClashes => new()
    {
        // the settings of one node (PORT stands for one free port), and the two settings its refusal names
        { "--ConfigMonitor:Port=PORT|--ConfigMonitor:Api:Url=http://127.0.0.1:PORT", "(ConfigMonitor:Hostname, ConfigMonitor:Port)", "(ConfigMonitor:Api:Url)" },
        { "--ConfigMonitor:Port=0|--ConfigMonitor:Api:Url=http://127.0.0.1:PORT|--ConfigMonitor:Demo:Url=http://127.0.0.1:PORT", "(ConfigMonitor:Api:Url)", "(ConfigMonitor:Demo:Url)" },
        { "--ConfigMonitor:Port=PORT|--ConfigMonitor:Api:Url=http://127.0.0.1:0|--ConfigMonitor:Demo:Url=http://0.0.0.0:PORT|--ConfigMonitor:Api:Token=t", "(ConfigMonitor:Hostname, ConfigMonitor:Port)", "(ConfigMonitor:Demo:Url)" },
    };

    [Theory]
    [MemberData(nameof(OwnPortClashes))]
    public async Task Should_exit_2_naming_both_settings_when_two_of_its_own_listeners_ask_for_one_port(string settings, string first, string second)
    {
        var port = LoopbackPorts.Free();
        using var node = NodeProcess.Start(_work.Path, [.. settings.Replace("PORT", $"{port}", StringComparison.Ordinal).Split('|'),
            $"--ConfigMonitor:DataDirectory={DataDirectory}"]);

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Single(node.StandardErrorLines);
        Assert.Contains(first, stderr);
        Assert.Contains(second, stderr);
        Assert.Contains($"ask for the same port {port}", stderr);
        NothingStarted(node);
    }

    /// <summary>The processes with a listening TCP socket on <paramref name="port"/>, read from /proc (what <c>ss -ltnp</c> shows).</summary>
    private static IReadOnlyList<int> ListenersOn(int port)
    {
        var hex = $":{port:X4} ";
        // The inodes of the listening sockets (state 0A) on that port, IPv4 and IPv6 (a dual-mode socket is listed in tcp6).
        var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[1].EndsWith(hex.TrimEnd(), StringComparison.Ordinal) && f[3] == "0A")
            .Select(f => $"socket:[{f[9]}]")
            .ToHashSet(StringComparer.Ordinal);
        var pids = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                if (Directory.EnumerateFileSystemEntries(Path.Combine(folder, "fd")).Any(fd => inodes.Contains(new FileInfo(fd).LinkTarget ?? "")))
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that ended meanwhile, or not ours to read
            }
        }
        return pids;
    }

    [Fact]
    public async Task Should_exit_2_naming_the_file_and_line_of_a_hocon_syntax_error()
    {
        using var node = NodeProcess.StartCopy(_work.Path, folder =>
        {
            var path = Path.Combine(folder, "akka.hocon");
            var lines = File.ReadAllLines(path).ToList();
            lines.Insert(5, "  this line is garbage");
            File.WriteAllLines(path, lines);
        }, Args());

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Single(node.StandardErrorLines);
        Assert.Contains("akka.hocon:6: expected '=', ':' or '{' after the key 'this'", stderr);
        Assert.False(Directory.Exists(DataDirectory), "a refused node must not create its data folder");
    }

    [Fact]
    public async Task Should_exit_2_naming_the_key_and_line_of_a_bad_hocon_value()
    {
        using var node = NodeProcess.StartCopy(_work.Path, folder =>
        {
            var path = Path.Combine(folder, "akka.hocon");
            var text = File.ReadAllText(path);
            Assert.Contains("stable-after = 3s", text);
            File.WriteAllText(path, text.Replace("stable-after = 3s", "stable-after = 3 parsecs", StringComparison.Ordinal));
        }, Args());

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Single(node.StandardErrorLines);
        Assert.Matches(@"akka\.hocon:\d+: 'akka\.cluster\.split-brain-resolver\.stable-after' is '3 parsecs', which is not a duration", stderr);
    }

    [Fact]
    public async Task Should_exit_2_naming_the_missing_akka_hocon()
    {
        using var node = NodeProcess.StartCopy(_work.Path, folder => File.Delete(Path.Combine(folder, "akka.hocon")), Args());

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Single(node.StandardErrorLines);
        Assert.Contains("akka.hocon: the file is missing", stderr);
    }

    [Fact]
    public async Task Should_exit_2_naming_the_file_and_line_of_an_appsettings_syntax_error()
    {
        using var node = NodeProcess.StartCopy(_work.Path, folder =>
        {
            var path = Path.Combine(folder, "appsettings.json");
            var lines = File.ReadAllLines(path).ToList();
            lines.Insert(2, "    oops,");
            File.WriteAllLines(path, lines);
        }, Args());

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Single(node.StandardErrorLines);
        Assert.Contains("appsettings.json:3: not valid JSON", stderr);
    }

    /// <summary>
    /// Runs <paramref name="test"/> with the node as a process (one target, monitoring) and a second, in-process member joined to
    /// it, both Up as the peer sees them; the peer stops afterwards. The test gets the node, the peer's cluster and the node's address.
    /// </summary>
    private async Task WithJoinedPeerAsync(Func<NodeProcess, Cluster, Address, Task> test)
    {
        var port = LoopbackPorts.Free();
        using var node = NodeProcess.Start(_work.Path, $"--ConfigMonitor:Port={port}", "--ConfigMonitor:Api:Url=http://127.0.0.1:0",
            $"--ConfigMonitor:DataDirectory={DataDirectory}");
        await node.WaitForOutputAsync("Monitoring 1 target on this node", ExitTimeout);

        var settings = TestNode.FastSettings(Path.Combine(_work.Path, "peer"));
        settings["ConfigMonitor:SeedNodes:0"] = $"akka.tcp://configmonitor@127.0.0.1:{port}";
        settings["ConfigMonitor:Demo:Enabled"] = "false";
        var peer = await TestNode.BuildAsync(settings);
        try
        {
            await peer.StartNodeAsync();
            var cluster = Cluster.Get(peer.System());
            await Eventually.AssertAsync(() => Task.FromResult(cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2),
                ExitTimeout, "the peer should join the process node");
            await test(node, cluster, Address.Parse($"akka.tcp://configmonitor@127.0.0.1:{port}"));
        }
        finally
        {
            await peer.StopWithinAsync(TestNode.StopTimeout);
            await peer.DisposeAsync();
        }
    }

    [Fact]
    public Task Should_exit_3_when_the_cluster_downs_the_node() =>
        // The second member downs the process node, as a split-brain resolver would.
        WithJoinedPeerAsync(async (node, cluster, nodeAddress) =>
        {
            cluster.Down(nodeAddress);

            var stderr = await ExitsWith(node, ExitCodes.Transient);
            Assert.Contains("the cluster downed this node", stderr);
        });

    [Fact]
    public Task Should_stop_probing_and_exit_3_when_it_resumes_after_a_pause_longer_than_the_cluster_allows() =>
        // With a second member: alone, a paused node carries on (nothing could have moved); with a peer, its targets may have.
        WithJoinedPeerAsync(async (node, _, _) =>
        {
            // Paused past the failure detector's 3 s and the resolver's 3 s (akka.hocon), as a long GC pause or a frozen VM would.
            await node.SignalAsync("STOP");
            await Task.Delay(TimeSpan.FromSeconds(9));
            await node.SignalAsync("CONT");
            var resumed = System.Diagnostics.Stopwatch.StartNew();

            var stderr = await ExitsWith(node, ExitCodes.Transient);
            Assert.Contains("this node was away longer than the cluster allows", stderr);
            Assert.Contains("longer than the cluster allows (6.0 s)", node.StandardOutput);
            Assert.True(resumed.Elapsed < TimeSpan.FromSeconds(30), $"the node took {resumed.Elapsed} to stop after it resumed");
        });

    public static TheoryData<string, string, string> OpenAddresses => new()
    {
        // how it is set, the setting named in the refusal, the address named
        { "arg:--Kestrel:Endpoints:open:Url=http://0.0.0.0:0", "Kestrel:Endpoints:open:Url", "http://0.0.0.0:0" },
        { "arg:--urls=http://[::]:0", "urls (ASPNETCORE_URLS, DOTNET_URLS or --urls)", "http://[::]:0" },
        { "arg:--urls=http://127.0.0.1:0;http://*:0", "urls (ASPNETCORE_URLS, DOTNET_URLS or --urls)", "http://*:0" },
        { "env:ASPNETCORE_URLS=http://+:0", "urls (ASPNETCORE_URLS, DOTNET_URLS or --urls)", "http://+:0" },
        { "env:DOTNET_URLS=http://0.0.0.0:0", "urls (ASPNETCORE_URLS, DOTNET_URLS or --urls)", "http://0.0.0.0:0" },
        { "env:HTTP_PORTS=8080", "http_ports (HTTP_PORTS, ASPNETCORE_HTTP_PORTS or DOTNET_HTTP_PORTS)", "http://*:8080" },
        { "env:ASPNETCORE_HTTP_PORTS=8080", "http_ports (HTTP_PORTS, ASPNETCORE_HTTP_PORTS or DOTNET_HTTP_PORTS)", "http://*:8080" },
        { "env:HTTPS_PORTS=8443", "https_ports (HTTPS_PORTS, ASPNETCORE_HTTPS_PORTS or DOTNET_HTTPS_PORTS)", "https://*:8443" },
        { "arg:--ConfigMonitor:Api:Url=http://0.0.0.0:0", "Api:Url", "http://0.0.0.0:0" },
    };

    [Theory]
    [MemberData(nameof(OpenAddresses))]
    public async Task Should_exit_2_naming_the_setting_when_any_address_source_reaches_beyond_loopback_without_a_token(
        string source, string setting, string address)
    {
        var environment = new Dictionary<string, string>();
        var args = Args().ToList();
        var value = source[4..];
        if (source.StartsWith("env:", StringComparison.Ordinal))
            environment[value[..value.IndexOf('=')]] = value[(value.IndexOf('=') + 1)..];
        else
            args.Add(value);
        using var node = NodeProcess.Start(_work.Path, environment, [.. args]);

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Contains($"'{setting}' is '{address}', which other hosts can reach, and '", stderr);
        Assert.False(Directory.Exists(DataDirectory), "a refused node must not create its data folder");
    }

    public static TheoryData<string, string, bool> NewUserMistakes => new()
    {
        // the argument, the start of the line on stderr, whether it is refused before anything is created
        { "--ConfigMonitor:Api:Url=https://127.0.0.1:0", "the management API cannot serve https://127.0.0.1:0 (ConfigMonitor:Api:Url): Unable to configure HTTPS endpoint; give Kestrel a certificate", false },
        { "--ConfigMonitor:Api:Url=http://127.0.0.1:0/api", "field 'Api:Url' is 'http://127.0.0.1:0/api', which has the path '/api'", true },
        { "--ConfigMonitor:ConnectionString=this is not;a=connection;Password=hunter2", "setting 'ConfigMonitor:ConnectionString' is not a valid SQLite connection string", true },
        { "--ConfigMonitor:SeedNodes:0=garbage", "setting 'ConfigMonitor:SeedNodes:0' is 'garbage', which is not an Akka address; write akka.tcp://configmonitor@host:4053", true },
        { "--ConfigMonitor:Alerts:Rules:cache/hitrate:FailureThreshold=5", "setting 'ConfigMonitor:Alerts:Rules:cache/hitrate' names the rule 'hitrate', which cache does not have", true },
    };

    [Theory]
    [MemberData(nameof(NewUserMistakes))]
    public async Task Should_exit_2_with_one_line_naming_the_setting_for_a_new_users_mistake(string argument, string expected, bool beforeStart)
    {
        using var node = NodeProcess.Start(_work.Path, Args(argument));

        var stderr = await ExitsWith(node, ExitCodes.ConfigurationWrong);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("hunter2", stderr);
        if (beforeStart) Assert.False(Directory.Exists(DataDirectory), "a refused node must not create its data folder");
    }

    public void Dispose() => _work.Dispose();
}
