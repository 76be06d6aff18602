using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Akka.Hosting;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Adapters.Http;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// http-probe: N HTTP config services (<see cref="LoopbackHttpServer"/>, its own process, N loopback ports) probed at the same
/// request rate by ConfigMonitor (a whole node in a child process, over the http kind) and by Prometheus' blackbox_exporter
/// with a Prometheus scraping it; the CPU and peak RSS of the monitoring processes (never the services'), the requests the
/// services served, and how late the probes arrived against their schedule.
/// <para>Phases, one after the other against the same services: <c>configmonitor-keepalive</c> (the node as it runs: one
/// keep-alive connection per endpoint), <c>configmonitor-close</c> (the services answer every request with
/// <c>Connection: close</c>, so each probe opens a new connection: the policy blackbox_exporter always uses) and
/// <c>blackbox-prometheus</c>.</para>
/// </summary>
public static class HttpProbeScenario
{
    private const string Scenario = "http-probe";

    /// <summary>One read of the probe key per target every 10 s on both sides: N / 10 requests per second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>The key the probes read (GET /config/app.name).</summary>
    public const string ProbeKey = "app.name";

    // The health loop also reads the key; at its longest interval (24 h) it reads only when the node starts (an untimed
    // warm-up and one probe, before the measured window), so the window holds the performance loop's reads alone.
    private static readonly TimeSpan HealthInterval = DurationLimits.LoopInterval.Max;

    private static readonly int[] DefaultTargets = [1_000, 3_000, 5_000];
    private static readonly int[] PortBases = [20_000, 10_000];
    private static readonly TimeSpan ControlTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Runs the scenario for <paramref name="targets"/> (none: 1,000, 3,000 and 5,000 when the machine holds it, each in a fresh
    /// process; quick: 100 targets, 30 s phases); <paramref name="passThrough"/> are the options to hand to those processes.
    /// </summary>
    public static async Task<int> RunAsync(bool quick, int? targets, TimeSpan? duration, IReadOnlyList<string> passThrough)
    {
        if (targets is null && !quick)
        {
            foreach (var n in DefaultTargets)
            {
                if (MachineCannotHold(n) is { } reason)
                {
                    Figures.Progress($"{Scenario}: {n:N0} targets skipped: {reason}");
                    continue;
                }
                var code = await ChildProcess.RunAsync([Scenario, "--targets", n.ToString(CultureInfo.InvariantCulture), .. passThrough]);
                if (code != 0) return code;
            }
            return 0;
        }
        await RunTargetsAsync(targets ?? 100, duration ?? (quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(3)));
        return 0;
    }

    // The services' process holds two descriptors a target (listener and connection); memory for both monitors side by side.
    private static string? MachineCannotHold(int targets)
    {
        var limit = ProcStats.RaiseOpenFilesLimit();
        if (limit >= 0 && limit < 2L * targets + 256) return $"the open-files limit is {limit}; about {2L * targets + 256} are needed (ulimit -n)";
        var available = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        var kib = available is null ? long.MaxValue : long.Parse(available.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return kib < 4L * 1024 * 1024 ? $"only {kib / 1024} MiB of memory is available; 4 GiB are wanted" : null;
    }

    private static async Task RunTargetsAsync(int targets, TimeSpan phase)
    {
        var warmUp = TimeSpan.FromSeconds(Math.Clamp(phase.TotalSeconds / 4, 15, 30));
        var measured = phase - warmUp;
        Figures.Progress($"{Scenario}: {targets:N0} targets, phases of {phase.TotalSeconds:0} s ({warmUp.TotalSeconds:0} s warm-up, {measured.TotalSeconds:0} s measured), " +
                         $"one read per target every {Interval.TotalSeconds:0} s = {targets / Interval.TotalSeconds:0.#} requests/s");
        var (server, port) = await StartServerAsync(targets);
        await using (server)
        {
            Figures.Emit(Scenario, "reference-scheduled-requests-per-second", targets, targets / Interval.TotalSeconds, "requests/s");
            await AdapterOnlyAsync("keep-alive", server, targets, port);
            await AdapterOnlyAsync("close", server, targets, port);
            var keepAlive = await ConfigMonitorPhaseAsync("configmonitor-keepalive", "keep-alive", server, targets, port, warmUp, measured);
            var close = await ConfigMonitorPhaseAsync("configmonitor-close", "close", server, targets, port, warmUp, measured);
            var blackbox = await BlackboxPhaseAsync(server, targets, port, warmUp, measured);
            if (blackbox is not null)
            {
                // The comparison the issue asks for is at the same keep-alive policy (a new connection per request on both sides).
                Figures.Emit(Scenario, "cpu-per-request-ratio-configmonitor-to-blackbox-prometheus", targets, close.CpuPerRequest / blackbox.CpuPerRequest, "ratio");
                Figures.Emit(Scenario, "cpu-per-request-ratio-configmonitor-keepalive-to-blackbox-prometheus", targets, keepAlive.CpuPerRequest / blackbox.CpuPerRequest, "ratio");
            }
        }
    }

    private static async Task<(BenchProcess Server, int Port)> StartServerAsync(int targets)
    {
        foreach (var port in PortBases)
        {
            var server = BenchProcess.Benchmark("serve", ["serve", "--targets", targets.ToString(CultureInfo.InvariantCulture), "--port", port.ToString(CultureInfo.InvariantCulture)]);
            try
            {
                if (await server.ReadLineAsync(ControlTimeout) == "ready") return (server, port);
            }
            catch (InvalidOperationException e)
            {
                Figures.Progress($"{Scenario}: the services could not start on ports from {port}: {e.Message}");
            }
            await server.DisposeAsync();
        }
        throw new InvalidOperationException($"the services could not listen on {targets} ports from any of {string.Join(", ", PortBases)}");
    }

    /// <summary>
    /// Where a node's time goes, part one: the http config facet alone (the node's HttpClient settings, no actors) reading the
    /// key from every service in turn, 8 at a time, in this process. Its CPU per request set against the node's tells what the
    /// HTTP client and JSON cost and what the node's loops, stores and alerts cost.
    /// </summary>
    private static async Task AdapterOnlyAsync(string policy, BenchProcess server, int targets, int port)
    {
        await Ask(server, $"policy {policy}");
        await using var connections = new FacetConnections();
        var facets = Enumerable.Range(0, targets)
            .Select(i => new HttpConfigFacet(new HttpFacetClient(connections.Http, $"http://127.0.0.1:{port + i}", null),
                HttpShape.Of(FacetNames.Config, new ConfigFacetSettings())))
            .ToArray();
        var requests = Math.Max(10_000, 2 * targets);
        async Task Run(int count)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                    await facets[i % targets].GetConfigAsync(ProbeKey, null, TimeSpan.FromSeconds(5));
            }));
        }
        await Run(requests / 2); // warm-up: connections and the JIT's tiers
        using var self = Process.GetCurrentProcess();
        var cpuStart = self.TotalProcessorTime;
        var allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        await Run(requests);
        self.Refresh();
        var side = $"adapter-only-{(policy == "close" ? "close" : "keepalive")}";
        Figures.Emit(Scenario, $"{side}-cpu-ms-per-request", targets, (self.TotalProcessorTime - cpuStart).TotalMilliseconds / requests, "ms");
        Figures.Emit(Scenario, $"{side}-allocated-bytes-per-request", targets, (GC.GetTotalAllocatedBytes(precise: true) - allocatedStart) / (double)requests, "bytes");
        Figures.Emit(Scenario, $"{side}-requests-per-second", targets, requests / wall.Elapsed.TotalSeconds, "requests/s");
    }

    /// <summary>What one phase measured.</summary>
    private sealed record PhaseResult(double Seconds, long Requests, double Cpu)
    {
        public double CpuPerRequest => Cpu / Requests;
    }

    private static async Task<PhaseResult> ConfigMonitorPhaseAsync(string side, string policy, BenchProcess server, int targets, int port,
        TimeSpan warmUp, TimeSpan measured)
    {
        await Ask(server, $"policy {policy}");
        await Ask(server, "reset");
        var started = Stopwatch.StartNew();
        var node = BenchProcess.Benchmark("node", ["http-probe-node", "--targets", targets.ToString(CultureInfo.InvariantCulture),
            "--port", port.ToString(CultureInfo.InvariantCulture), "--side", side]);
        await using (node)
        {
            var ready = await node.ReadLineAsync(TimeSpan.FromMinutes(10));
            if (ready != "ready") throw new InvalidOperationException($"the node answered '{ready}' instead of ready");
            Figures.Progress($"{side}: node up with {targets:N0} targets after {started.Elapsed.TotalSeconds:0.0} s; warming up {warmUp.TotalSeconds:0} s");
            Figures.Emit(Scenario, $"{side}-start-seconds", targets, started.Elapsed.TotalSeconds, "s");
            var result = await MeasureAsync(side, [node], server, targets, warmUp, measured,
                onStart: () => node.AskAsync("mark", ControlTimeout), threads: node);
            await node.AskAsync(string.Create(CultureInfo.InvariantCulture, $"stop {result.Requests}"), TimeSpan.FromMinutes(5));
            return result;
        }
    }

    private static async Task<PhaseResult?> BlackboxPhaseAsync(BenchProcess server, int targets, int port, TimeSpan warmUp, TimeSpan measured)
    {
        const string side = "blackbox-prometheus", blackboxPath = "/usr/bin/prometheus-blackbox-exporter", prometheusPath = "/usr/bin/prometheus";
        if (!File.Exists(blackboxPath) || !File.Exists(prometheusPath))
        {
            Figures.Progress($"{side}: skipped: {blackboxPath} or {prometheusPath} is not installed (apt-get install prometheus prometheus-blackbox-exporter)");
            return null;
        }
        // blackbox_exporter disables keep-alive (it sends Connection: close and opens a connection per probe) whatever the service says.
        await Ask(server, "policy close");
        await Ask(server, "reset");
        var folder = Measure.TempFolder(side);
        try
        {
            var blackboxPort = LoopbackPorts.Free();
            var prometheusPort = LoopbackPorts.Free();
            await File.WriteAllTextAsync(Path.Combine(folder, "blackbox.yml"), BlackboxConfig);
            await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), PrometheusConfig(targets, port, blackboxPort));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var blackbox = BenchProcess.Tool(blackboxPath,
                [$"--config.file={Path.Combine(folder, "blackbox.yml")}", $"--web.listen-address=127.0.0.1:{blackboxPort}"], Path.Combine(folder, "blackbox.log"));
            await using (blackbox)
            {
                await WaitReadyAsync(http, blackbox, $"http://127.0.0.1:{blackboxPort}/-/healthy");
                var prometheus = BenchProcess.Tool(prometheusPath,
                [
                    $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                    $"--web.listen-address=127.0.0.1:{prometheusPort}",
                ], Path.Combine(folder, "prometheus.log"));
                await using (prometheus)
                {
                    await WaitReadyAsync(http, prometheus, $"http://127.0.0.1:{prometheusPort}/-/ready");
                    Figures.Progress($"{side}: blackbox_exporter (pid {blackbox.Pid}) and prometheus (pid {prometheus.Pid}) up; warming up {warmUp.TotalSeconds:0} s");
                    var result = await MeasureAsync(side, [blackbox, prometheus], server, targets, warmUp, measured, onStart: null, threads: null);
                    // Every target should be probed successfully: a failing probe is cheaper and would flatter the figures.
                    Figures.Emit(Scenario, $"{side}-targets-probe-success", targets,
                        await QueryAsync(http, prometheusPort, "count(probe_success == 1)"), "targets");
                    Figures.Emit(Scenario, $"{side}-targets-up", targets, await QueryAsync(http, prometheusPort, "count(up == 1)"), "targets");
                    return result;
                }
            }
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    private const string BlackboxConfig = """
        modules:
          http_2xx:
            prober: http
            timeout: 5s
        """;

    // The standard blackbox set-up: each target's URL becomes the probe's ?target=, the exporter is the scraped address.
    private static string PrometheusConfig(int targets, int port, int blackboxPort)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: {Interval.TotalSeconds:0}s
              scrape_timeout: 5s
            scrape_configs:
              - job_name: blackbox
                metrics_path: /probe
                params:
                  module: [http_2xx]
                relabel_configs:
                  - source_labels: [__address__]
                    target_label: __param_target
                  - source_labels: [__param_target]
                    target_label: instance
                  - target_label: __address__
                    replacement: 127.0.0.1:{blackboxPort}
                static_configs:
                  - targets:

            """);
        for (var i = 0; i < targets; i++) text.Append(CultureInfo.InvariantCulture, $"          - http://127.0.0.1:{port + i}/config/{ProbeKey}\n");
        return text.ToString();
    }

    private static async Task WaitReadyAsync(HttpClient http, BenchProcess process, string url)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} ended at start (see its log in the temp folder)");
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200); // polling for readiness with a deadline
        }
        throw new InvalidOperationException($"{process.Name} was not ready at {url} within 2 minutes");
    }

    private static async Task<double> QueryAsync(HttpClient http, int prometheusPort, string query)
    {
        var reply = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{prometheusPort}/api/v1/query?query={Uri.EscapeDataString(query)}");
        var result = reply.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    private static async Task Ask(BenchProcess server, string command)
    {
        var answer = await server.AskAsync(command, ControlTimeout);
        if (answer != "ok") throw new InvalidOperationException($"the services answered '{answer}' to '{command}'");
    }

    /// <summary>
    /// Waits out the warm-up, then measures the processes' CPU (utime + stime) and RSS (sampled each second, and VmHWM) and the
    /// requests the services served over the window, and how late each probe arrived; emits the side's figures.
    /// </summary>
    private static async Task<PhaseResult> MeasureAsync(string side, IReadOnlyList<BenchProcess> processes, BenchProcess server, int targets,
        TimeSpan warmUp, TimeSpan measured, Func<Task<string>>? onStart, BenchProcess? threads)
    {
        await Task.Delay(warmUp);
        var requestsStart = long.Parse(await server.AskAsync("count", ControlTimeout), CultureInfo.InvariantCulture);
        if (onStart is not null) await onStart();
        var cpuStart = processes.Select(p => ProcStats.CpuSeconds(p.Pid)).ToArray();
        var threadsStart = threads is null ? null : ProcStats.Threads(threads.Pid);
        // Threads come and go (the thread pool retires idle workers, the JIT's background thread ends when idle): each one's
        // last reading, taken every second, keeps most of an ended thread's time in the split.
        var threadsSeen = threadsStart is null ? null : new Dictionary<int, (string Name, double Cpu)>(threadsStart);
        var from = Stopwatch.GetTimestamp();
        var sampledPeak = new long[processes.Count];
        var sampler = Stopwatch.StartNew();
        // RSS is sampled once a second while the monitors run (the measurement itself, not a wait for a condition).
        using (var everySecond = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            while (sampler.Elapsed < measured && await everySecond.WaitForNextTickAsync())
            {
                if (threads is not null) Remember(threadsSeen!, ProcStats.Threads(threads.Pid));
                for (var i = 0; i < processes.Count; i++)
                {
                    if (processes[i].HasExited) throw new InvalidOperationException($"{side}: {processes[i].Name} ended while being measured");
                    sampledPeak[i] = Math.Max(sampledPeak[i], ProcStats.Memory(processes[i].Pid).Rss);
                }
                if ((int)sampler.Elapsed.TotalSeconds % 30 == 0)
                    Figures.Progress($"{side}: {sampler.Elapsed.TotalSeconds:0} s, RSS {string.Join(", ", processes.Select((p, i) => $"{p.Name} {sampledPeak[i] / 1048576} MiB"))}");
            }
        }
        var cpu = processes.Select((p, i) => ProcStats.CpuSeconds(p.Pid) - cpuStart[i]).ToArray();
        if (threads is not null) Remember(threadsSeen!, ProcStats.Threads(threads.Pid));
        var to = Stopwatch.GetTimestamp();
        var requests = long.Parse(await server.AskAsync("count", ControlTimeout), CultureInfo.InvariantCulture) - requestsStart;
        var peaks = processes.Select(p => ProcStats.Memory(p.Pid).Peak).ToArray();
        var seconds = Stopwatch.GetElapsedTime(from, to).TotalSeconds;

        var arrivalsFile = Path.Combine(Path.GetTempPath(), $"configmonitor-bench-arrivals-{Guid.NewGuid():N}.bin");
        await Ask(server, $"arrivals {arrivalsFile}");
        var lateness = new List<double>();
        try
        {
            foreach (var arrivals in LoopbackHttpServer.ReadArrivals(arrivalsFile)) lateness.AddRange(ProbeLateness.Of(arrivals, Interval, from, to));
        }
        finally
        {
            File.Delete(arrivalsFile);
        }
        lateness.Sort();

        var totalCpu = cpu.Sum();
        var totalPeak = peaks.Sum();
        Figures.Emit(Scenario, $"{side}-measured-seconds", targets, seconds, "s");
        Figures.Emit(Scenario, $"{side}-requests-served", targets, requests, "requests");
        Figures.Emit(Scenario, $"{side}-requests-per-second", targets, requests / seconds, "requests/s");
        Figures.Emit(Scenario, $"{side}-cpu-seconds", targets, totalCpu, "s");
        Figures.Emit(Scenario, $"{side}-cpu-cores-used", targets, totalCpu / seconds, "cores");
        Figures.Emit(Scenario, $"{side}-cpu-ms-per-request", targets, totalCpu * 1000 / requests, "ms");
        Figures.Emit(Scenario, $"{side}-peak-rss", targets, totalPeak / 1048576.0, "MiB");
        Figures.Emit(Scenario, $"{side}-peak-rss-per-target", targets, totalPeak / 1024.0 / targets, "KiB");
        Figures.Emit(Scenario, $"{side}-peak-rss-while-measuring", targets, sampledPeak.Sum() / 1048576.0, "MiB");
        if (processes.Count > 1)
        {
            for (var i = 0; i < processes.Count; i++)
            {
                Figures.Emit(Scenario, $"{side}-{processes[i].Name}-cpu-seconds", targets, cpu[i], "s");
                Figures.Emit(Scenario, $"{side}-{processes[i].Name}-peak-rss", targets, peaks[i] / 1048576.0, "MiB");
            }
        }
        Figures.Emit(Scenario, $"{side}-probe-lateness-p50", targets, ProbeLateness.Percentile(lateness, 0.50), "ms");
        Figures.Emit(Scenario, $"{side}-probe-lateness-p99", targets, ProbeLateness.Percentile(lateness, 0.99), "ms");
        Figures.Emit(Scenario, $"{side}-probe-lateness-max", targets, lateness.Count == 0 ? double.NaN : lateness[^1], "ms");
        if (threadsStart is not null && threadsSeen is not null)
        {
            // A rough profile: the CPU of the window by thread name (GC threads, thread-pool workers, the JIT, timers, sockets).
            foreach (var (name, seconds_) in ProcStats.ThreadSplit(threadsStart, threadsSeen).Where(t => t.Cpu > 0.005 * totalCpu))
                Figures.Emit(Scenario, $"{side}-cpu-share-thread:{name}", targets, seconds_ / totalCpu, "ratio");
        }
        return new PhaseResult(seconds, requests, totalCpu);
    }

    private static void Remember(Dictionary<int, (string Name, double Cpu)> seen, Dictionary<int, (string Name, double Cpu)> now)
    {
        foreach (var (id, thread) in now) seen[id] = thread;
    }

    /// <summary>
    /// The <c>http-probe-node</c> mode: a whole node (as the scale scenario runs it) monitoring <paramref name="targets"/> http
    /// targets at 127.0.0.1:<paramref name="port"/>+i. Writes <c>ready</c>, then answers <c>mark</c> (start of the measured
    /// window) and <c>stop REQUESTS</c> (emits the garbage collector's figures over the window and stops).
    /// </summary>
    public static async Task<int> RunNodeAsync(int targets, int port, string side)
    {
        var limit = ProcStats.RaiseOpenFilesLimit();
        if (limit >= 0 && limit < targets + 256)
        {
            await Console.Error.WriteLineAsync($"http-probe-node: {targets} keep-alive connections need about {targets + 256} open files; the limit is {limit}");
            return 3;
        }
        var folder = Measure.TempFolder("http-probe-node");
        try
        {
            var options = new ConfigMonitorOptions
            {
                DataDirectory = folder,
                Port = 0,
                // Spread the first probes over the whole interval, as Prometheus spreads its scrapes.
                LoopStartSpread = Interval,
                // As in the scale scenario: each store's samples are written every 30 s, not every 5 s.
                Metrics = new MetricsStoreSettings { FlushInterval = TimeSpan.FromSeconds(30) },
            };
            await SqliteStore.PrepareAsync(options);
            var definitions = Enumerable.Range(0, targets).Select(i => Target(i, port + i)).ToList();
            if (definitions.SelectMany(TargetDefinitionReader.Validate).FirstOrDefault() is { } problem)
                throw new InvalidOperationException($"a benchmark target is refused: {problem}");
            using var host = new HostBuilder()
                .ConfigureServices(s => s.AddAkka(options.ActorSystemName, (builder, _) => builder
                    .AddHocon("""
                        akka.loglevel = WARNING
                        akka.log-dead-letters = off
                        akka.persistence.max-concurrent-recoveries = 20
                        akka.cluster.sharding.state-store-mode = ddata
                        """, HoconAddMode.Prepend)
                    .AddConfigMonitor(options, definitions)))
                .Build();
            await host.StartAsync();
            Figures.Relay("ready");
            var pauseStart = TimeSpan.Zero;
            var allocatedStart = 0L;
            var gen2Start = 0;
            var markedAt = 0L;
            while (await Console.In.ReadLineAsync() is { } command)
            {
                if (command == "mark")
                {
                    pauseStart = GC.GetTotalPauseDuration();
                    allocatedStart = GC.GetTotalAllocatedBytes();
                    gen2Start = GC.CollectionCount(2);
                    markedAt = Stopwatch.GetTimestamp();
                    Figures.Relay("ok");
                }
                else if (command.StartsWith("stop", StringComparison.Ordinal))
                {
                    var wall = Stopwatch.GetElapsedTime(markedAt).TotalSeconds;
                    var requests = long.Parse(command.Split(' ')[1], CultureInfo.InvariantCulture);
                    Figures.Emit(Scenario, $"{side}-gc-pause-share", targets, (GC.GetTotalPauseDuration() - pauseStart).TotalSeconds / wall, "ratio");
                    Figures.Emit(Scenario, $"{side}-gc-gen2-collections", targets, GC.CollectionCount(2) - gen2Start, "collections");
                    Figures.Emit(Scenario, $"{side}-allocated-bytes-per-request", targets, (GC.GetTotalAllocatedBytes() - allocatedStart) / (double)Math.Max(1, requests), "bytes");
                    Figures.Relay("ok");
                    break;
                }
            }
            await host.StopAsync();
            return 0;
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    private static TargetDefinition Target(int i, int port)
    {
        var defaults = TargetDefinition.WithDefaults($"t{i:D5}", $"http://127.0.0.1:{port}");
        return defaults with
        {
            Adapter = FacetKinds.Http,
            ProbeKey = ProbeKey,
            Performance = defaults.Performance with { Interval = Interval },
            // The node's own memory is not what is measured here: keep the memory rule out of the way.
            Health = defaults.Health with { Interval = HealthInterval, MaxProcessMemoryMb = 1_000_000 },
            Cache = defaults.Cache with { Kind = FacetKinds.None },
            Database = defaults.Database with { Kind = FacetKinds.None },
            EventProbe = defaults.EventProbe with { Kind = FacetKinds.None },
        };
    }
}
