using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ConfigMonitor.Host.Api;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>What <see cref="LocalCluster"/> starts: nodes, generated targets (all probing one reference config service) and extra node settings.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>The number of node processes.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Targets t01…tNN, configured on every node, all probing the script's reference config service (0: no service, no targets).</summary>
    public int Targets { get; init; } = 30;

    /// <summary>The interval of every loop of the generated targets.</summary>
    public string Interval { get; init; } = "2s";

    /// <summary>Extra settings of every node, as environment variables (<c>ConfigMonitor__Metrics__FlushInterval</c> = <c>1s</c>).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>
    {
        ["ConfigMonitor__Metrics__FlushInterval"] = "1s",
    };

    /// <summary>Nodes (1-based) that run another build than the tests' copy: its ConfigMonitor.Host.dll (cluster.sh's CONFIGMONITOR_HOST_DLL_I).</summary>
    public IReadOnlyDictionary<int, string> NodeHostAssemblies { get; init; } = new Dictionary<int, string>();
}

/// <summary>One node of the <see cref="LocalCluster"/>: its API, its Akka address, its log and (read afresh each time) its pid.</summary>
public sealed record LocalClusterNode(int Index, Uri Api, string AkkaAddress, string LogFile, string PidFile)
{
    /// <summary>The node's current process id (it changes when the node is restarted).</summary>
    public int Pid => int.Parse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture);

    /// <summary>True while the process runs (paused counts as running).</summary>
    public bool Running
    {
        get
        {
            try
            {
                using var process = Process.GetProcessById(Pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }
}

/// <summary>
/// PostgreSQL and N ConfigMonitor node processes started by <c>deploy/local/cluster.sh</c> (the script under test, not a copy of
/// its steps), with the reference config service and generated targets; every node ready before the first test. Share one per
/// test class (<c>IClassFixture</c>); it always stops everything (<c>cluster.sh stop</c>, then SIGKILL of any pid it started).
/// Helpers kill (-9), pause (SIGSTOP), resume (SIGCONT), stop and restart single nodes, and measure the seconds from an event
/// until a condition holds. Nothing is started when PostgreSQL is not installed: tests gate on <see cref="Available"/>.
/// </summary>
public class LocalCluster : IAsyncLifetime
{
    /// <summary>How long the script may take to start everything (one build is skipped: the tests' copy of the node is used).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly LocalClusterOptions _options;
    private readonly string _state = Path.Combine(Path.GetTempPath(), "configmonitor-cluster-tests", Guid.NewGuid().ToString("N")[..12]);
    private Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private Exception? _startFailure;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>Three nodes, 30 targets at 2 s.</summary>
    public LocalCluster() : this(new LocalClusterOptions())
    {
    }

    /// <summary>A cluster of <paramref name="options"/>: derive a fixture class with a parameterless constructor (xunit's rule) to use it.</summary>
    protected LocalCluster(LocalClusterOptions options) => _options = options;

    /// <summary>True when the script can run here: bash, ss and curl, and PostgreSQL's server tools (and, as root, the postgres user).</summary>
    public static bool Available =>
        OperatingSystem.IsLinux() && PostgresServer.Available && File.Exists(Script)
        && new[] { "bash", "ss", "curl", "setsid" }.All(OnPath);

    /// <summary>Why <see cref="Available"/> is false, for the skip.</summary>
    public const string Requirement = "deploy/local/cluster.sh needs Linux, bash, ss, curl, setsid and PostgreSQL 15 (Debian: apt-get install postgresql iproute2 curl)";

    /// <summary>The script under test.</summary>
    public static string Script => Path.Combine(RepositoryRoot, "deploy", "local", "cluster.sh");

    /// <summary>The repository's top folder (found from the test assembly upwards).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ConfigMonitor.Actors.sln"))) return dir.FullName;
            throw new InvalidOperationException($"no ConfigMonitor.Actors.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The script's state folder (CONFIGMONITOR_LOCAL_DIR): logs, pids, PostgreSQL's data.</summary>
    public string StateDirectory => _state;

    /// <summary>The nodes, 1-based as the script numbers them: <c>Nodes[0]</c> is node 1, the first seed.</summary>
    public IReadOnlyList<LocalClusterNode> Nodes { get; private set; } = [];

    /// <summary>The generated target ids (t01…).</summary>
    public IReadOnlyList<string> TargetIds => Enumerable.Range(1, _options.Targets).Select(k => $"t{k:00}").ToList();

    /// <summary>The reference config service every generated target probes (null without targets).</summary>
    public Uri? ConfigServiceUrl => _values.TryGetValue("CONFIG_SERVICE_URL", out var url) ? new Uri(url) : null;

    /// <summary>The nodes' PostgreSQL connection string (with its generated password; never log it).</summary>
    public string ConnectionString => File.ReadAllText(Value("POSTGRES_CONNECTION_STRING_FILE")).Trim();

    /// <summary>What the last <c>cluster.sh start</c> printed.</summary>
    public string StartOutput { get; private set; } = "";

    /// <summary>The node numbered <paramref name="index"/> (1-based).</summary>
    public LocalClusterNode Node(int index) => Nodes[index - 1];

    public async Task InitializeAsync()
    {
        if (!Available) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_state)!);
            var envFile = Path.Combine(Path.GetDirectoryName(_state)!, Path.GetFileName(_state) + ".env");
            await File.WriteAllLinesAsync(envFile, _options.NodeEnvironment.Select(e => $"{e.Key}={e.Value}"));
            var args = new List<string> { "start", _options.Nodes.ToString(CultureInfo.InvariantCulture), "--no-build", "--env-file", envFile };
            if (_options.Targets > 0) args.AddRange(["--targets", _options.Targets.ToString(CultureInfo.InvariantCulture), "--interval", _options.Interval]);
            StartOutput = await RunScriptAsync(StartTimeout, [.. args]);
            ReadState();
        }
        catch (Exception e)
        {
            _startFailure = e;
            await StopEverythingAsync();
        }
    }

    /// <summary>Fails the calling test with the reason when the script did not start the cluster.</summary>
    public void EnsureStarted()
    {
        if (_startFailure is not null) throw new InvalidOperationException($"deploy/local/cluster.sh start failed: {_startFailure.Message}", _startFailure);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (!Available) return;
        await StopEverythingAsync();
        // CONFIGMONITOR_KEEP_CLUSTER_STATE=1 keeps the logs (node-N/node.log) and PostgreSQL's data to look at after a failure.
        if (Environment.GetEnvironmentVariable("CONFIGMONITOR_KEEP_CLUSTER_STATE") == "1") return;
        try
        {
            if (Directory.Exists(_state)) Directory.Delete(_state, recursive: true);
            File.Delete(_state + ".env");
        }
        catch (IOException)
        {
            // A file still held by a process that is ending: the temp cleaner takes the rest.
        }
    }

    private async Task StopEverythingAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_state, "cluster.env"))) await RunScriptAsync(TimeSpan.FromMinutes(3), "stop");
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // The fallback below still ends what was started.
        }
        // Whatever the script could not stop: every pid it recorded, if it is still one of ours.
        if (!File.Exists(Path.Combine(_state, "cluster.env"))) return;
        ReadState();
        var pids = _values.Where(v => v.Key.EndsWith("_PID", StringComparison.Ordinal)).Select(v => v.Value)
            .Concat(Nodes.Select(n => File.Exists(n.PidFile) ? File.ReadAllText(n.PidFile).Trim() : ""));
        foreach (var text in pids.Distinct())
        {
            if (!int.TryParse(text, out var pid) || !IsOurs(pid)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Gone meanwhile.
            }
        }
    }

    private bool IsOurs(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return commandLine.Contains("ConfigMonitor", StringComparison.Ordinal) || commandLine.Contains(_state, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void ReadState()
    {
        _values = File.ReadAllLines(Path.Combine(_state, "cluster.env"))
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .GroupBy(l => l[..l.IndexOf('=', StringComparison.Ordinal)])
            .ToDictionary(g => g.Key, g => g.Last()[(g.Key.Length + 1)..], StringComparer.Ordinal);
        var count = int.Parse(Value("NODES"), CultureInfo.InvariantCulture);
        Nodes = Enumerable.Range(1, count).Select(i => new LocalClusterNode(i, new Uri(Value($"NODE_{i}_API")), Value($"NODE_{i}_AKKA"),
            Value($"NODE_{i}_LOG"), Path.Combine(_state, $"node-{i}", "node.pid"))).ToList();
    }

    private string Value(string key) =>
        _values.TryGetValue(key, out var value) ? value : throw new InvalidOperationException($"{_state}/cluster.env has no {key}");

    /// <summary>Runs <c>cluster.sh args…</c> against this cluster's state folder; returns stdout, throws with both streams on a non-zero exit.</summary>
    public async Task<string> RunScriptAsync(TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("bash");
        info.ArgumentList.Add(Script);
        foreach (var a in args) info.ArgumentList.Add(a);
        // Settings of the environment running the tests must not leak into the nodes.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ConfigMonitor__", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["CONFIGMONITOR_LOCAL_DIR"] = _state;
        info.Environment["CONFIGMONITOR_HOST_DLL"] = NodeProcess.HostAssembly;
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CONFIGMONITOR_HOST_DLL_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        foreach (var (node, dll) in _options.NodeHostAssemblies) info.Environment[$"CONFIGMONITOR_HOST_DLL_{node}"] = dll;
        info.Environment["CONFIGMONITOR_CONFIG_SERVICE_DLL"] = Path.Combine(AppContext.BaseDirectory, "ConfigMonitor.ConfigService.dll");
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet)) info.Environment["DOTNET"] = dotnet;
        var (code, stdout, stderr) = await ChildProcess.RunAsync(info, timeout, $"cluster.sh {string.Join(' ', args)}");
        if (code != 0)
            throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} exited with {code}:{Environment.NewLine}{stdout}{stderr}");
        return stdout;
    }

    // --- one node ----------------------------------------------------------------------------------------------------

    /// <summary>kill -9 of node <paramref name="index"/> (a crash: no leave, no flush); returns when the signal was sent.</summary>
    public Task KillAsync(int index) => SignalAsync(index, "KILL");

    /// <summary>SIGSTOP: node <paramref name="index"/> freezes (a long GC pause, a frozen VM); its sockets stay open.</summary>
    public Task PauseAsync(int index) => SignalAsync(index, "STOP");

    /// <summary>SIGCONT: a paused node runs again (its overdue timers fire at once).</summary>
    public Task ResumeAsync(int index) => SignalAsync(index, "CONT");

    /// <summary>Sends <paramref name="signal"/> (KILL, STOP, CONT, TERM …) to node <paramref name="index"/>'s process.</summary>
    public async Task SignalAsync(int index, string signal)
    {
        var pid = Node(index).Pid;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {pid} (node {index}) exited with {kill.ExitCode}");
    }

    /// <summary>A graceful stop of node <paramref name="index"/> (SIGTERM: it leaves the cluster; SIGKILL after 60 s).</summary>
    public Task StopNodeAsync(int index) => RunScriptAsync(TimeSpan.FromMinutes(2), "stop-node", index.ToString(CultureInfo.InvariantCulture));

    /// <summary>Starts node <paramref name="index"/> again on its own ports (after a kill or stop) and waits until it is ready.</summary>
    public async Task RestartAsync(int index, bool waitUntilReady = true)
    {
        var args = new List<string> { "start-node", index.ToString(CultureInfo.InvariantCulture) };
        if (!waitUntilReady) args.Add("--no-wait");
        await RunScriptAsync(StartTimeout, [.. args]);
    }

    /// <summary>The last <paramref name="lines"/> lines of node <paramref name="index"/>'s log (for failure messages).</summary>
    public string LogTail(int index, int lines = 40)
    {
        var all = File.Exists(Node(index).LogFile) ? File.ReadAllLines(Node(index).LogFile) : [];
        return string.Join(Environment.NewLine, all.TakeLast(lines));
    }

    // --- reads -------------------------------------------------------------------------------------------------------

    /// <summary>An HTTP client on node <paramref name="index"/>'s API (15 s timeout).</summary>
    public HttpClient Client(int index) => new() { BaseAddress = Node(index).Api, Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>GET <paramref name="path"/> on node <paramref name="index"/> (the status and body; a refused connection throws).</summary>
    public async Task<(int Status, string Body)> GetAsync(int index, string path)
    {
        using var response = await _http.GetAsync(new Uri(Node(index).Api, path));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>True when node <paramref name="index"/> answers 200 on /health/ready.</summary>
    public async Task<bool> ReadyAsync(int index)
    {
        try
        {
            return (await GetAsync(index, "/health/ready")).Status == 200;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>GET /api/cluster on node <paramref name="index"/>.</summary>
    public async Task<ClusterView> ClusterAsync(int index) =>
        await _http.GetFromJsonAsync<ClusterView>(new Uri(Node(index).Api, "/api/cluster"), Json)
        ?? throw new InvalidOperationException($"node {index} answered an empty /api/cluster");

    /// <summary>The Akka address of the node monitoring <paramref name="targetId"/>, as node <paramref name="viaIndex"/> reports it (GET /api/targets/{id}, <c>status.node</c>); null when no status came.</summary>
    public async Task<string?> MonitoringNodeAsync(int viaIndex, string targetId)
    {
        var (status, body) = await GetAsync(viaIndex, $"/api/targets/{Uri.EscapeDataString(targetId)}");
        if (status != 200) return null;
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object
               && s.TryGetProperty("monitoring", out var monitoring) && monitoring.GetBoolean()
            ? s.GetProperty("node").GetString()
            : null;
    }

    /// <summary>The node index whose Akka address is <paramref name="address"/> (0 when none).</summary>
    public int IndexOf(string? address) => Nodes.FirstOrDefault(n => n.AkkaAddress == address)?.Index ?? 0;

    // --- timing ------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The time from <paramref name="since"/> (a <see cref="Stopwatch.GetTimestamp"/> value) until <paramref name="condition"/> holds,
    /// polled every 100 ms; a try that throws counts as "not yet". Fails the test after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<TimeSpan> TimeUntilAsync(long since, Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        await Eventually.AssertAsync(condition, timeout, because, since: since);
        return Stopwatch.GetElapsedTime(since);
    }

    /// <summary>kill -9 of node <paramref name="index"/>, then the time until <paramref name="condition"/> holds (e.g. every target monitored on a survivor).</summary>
    public async Task<TimeSpan> KillAndMeasureAsync(int index, Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var since = Stopwatch.GetTimestamp();
        await KillAsync(index);
        return await TimeUntilAsync(since, condition, timeout, because);
    }

    /// <summary>Every target monitored, as node <paramref name="viaIndex"/> reports, by one of <paramref name="allowedNodes"/> (1-based); null when any target has no node or another one.</summary>
    public async Task<IReadOnlyDictionary<string, int>?> PlacementAsync(int viaIndex, params int[] allowedNodes)
    {
        var placement = new Dictionary<string, int>();
        foreach (var id in TargetIds)
        {
            var node = IndexOf(await MonitoringNodeAsync(viaIndex, id));
            if (node == 0 || (allowedNodes.Length > 0 && !allowedNodes.Contains(node))) return null;
            placement[id] = node;
        }
        return placement;
    }

    /// <summary>
    /// Waits until every node runs and sees every node Up and reachable, and every target is monitored as node <paramref name="viaIndex"/>
    /// reports it (and <paramref name="accept"/>, when given, takes that placement); returns the placement. Fails the test after
    /// <paramref name="timeout"/> with <paramref name="because"/>, and at once, with the end of its log, when a node is not running.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> WaitForPlacementAsync(TimeSpan timeout, string because, int viaIndex = 1,
        Func<IReadOnlyDictionary<string, int>, Task<bool>>? accept = null)
    {
        IReadOnlyDictionary<string, int>? placement = null;
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in Nodes)
            {
                if (!node.Running) Assert.Fail($"node {node.Index} is not running; the end of its log:{Environment.NewLine}{LogTail(node.Index)}");
                if ((await ClusterAsync(node.Index)).Members.Count(m => m.Status == "up" && m.Reachable) != Nodes.Count) return false;
            }
            placement = await PlacementAsync(viaIndex);
            return placement is not null && (accept is null || await accept(placement));
        }, timeout, because);
        return placement!;
    }

    /// <summary>A one-line summary of who monitors how many targets, per node, as node <paramref name="viaIndex"/> sees it.</summary>
    public async Task<string> DescribePlacementAsync(int viaIndex)
    {
        var text = new StringBuilder();
        foreach (var group in (await ClusterAsync(viaIndex)).Targets.GroupBy(t => IndexOf(t.Node)).OrderBy(g => g.Key))
            text.Append(CultureInfo.InvariantCulture, $"node {group.Key}: {group.Count()} ");
        return text.ToString().Trim();
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, program)));
}
