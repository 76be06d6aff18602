using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// scale --nodes N: N real node processes (each this program in the <c>scale-node</c> mode: <c>AddConfigMonitor</c> with the
/// node's akka.hocon, remoting on a loopback port, node 1 the first seed) forming one cluster on a private PostgreSQL 15 journal
/// (initdb'd into a temp folder, as the tests' <see cref="PostgresServer"/> does), all monitoring the same targets with every loop
/// at 5 s. Each node hosts every target's in-memory config service (<see cref="InstantConfigService"/> at /user/svc-NNNNN), so
/// an <c>actor</c>-kind target resolves in the process of the node that monitors it: no probe crosses a socket, and the services
/// tell which node probed each target and when. Once every target is probed by one node (settled), the window is measured:
/// probe lateness over all targets, each node's CPU (from /proc) and RSS, the targets each node monitors, PostgreSQL's CPU, and
/// each node's Information lines a minute.
/// </summary>
public static class ClusterScaleScenario
{
    private static readonly TimeSpan ControlTimeout = TimeSpan.FromMinutes(5);

    // A service counts as probed "now" when its last probe arrived within one interval and a half.
    private static readonly TimeSpan Recent = ScaleScenario.Interval * 1.5;

    /// <summary>Runs the cluster (default 30,000 targets, quick 3,000) and measures <paramref name="measuredOverride"/> (default 2 minutes, quick 1) once settled.</summary>
    public static async Task RunAsync(bool quick, int? targetsOverride, TimeSpan? measuredOverride, int nodes)
    {
        var scenario = $"scale-{nodes}-nodes";
        var targets = targetsOverride ?? (quick ? 3_000 : 30_000);
        var measured = measuredOverride ?? TimeSpan.FromMinutes(quick ? 1 : 2);
        if (!PostgresServer.Available)
            throw new InvalidOperationException($"scale --nodes {nodes} needs PostgreSQL 15's server tools in {PostgresServer.BinDirectory} (Debian: apt-get install postgresql)");
        Figures.Emit(scenario, "machine-loadavg-1min-at-start", targets, LoadAverage(), "load");
        Figures.Progress($"{scenario}: {targets:N0} targets on {nodes} nodes, every loop every {ScaleScenario.Interval.TotalSeconds:0} s " +
                         $"({targets * 6 / ScaleScenario.Interval.TotalSeconds:N0} requests/s scheduled); {measured.TotalMinutes:0.#} min measured once settled");
        var folder = Measure.TempFolder(scenario);
        try
        {
            await using var postgres = await PostgresServer.CreateAsync();
            await postgres.CreateDatabaseAsync("configmonitor");
            // Pooled (the superuser helper's string is not), at most 50 connections a node: 3 × 50 stay under the server's 200.
            var connectionFile = Path.Combine(folder, "connection-string");
            await File.WriteAllTextAsync(connectionFile,
                $"{postgres.Endpoint("configmonitor", PostgresServer.Superuser)};Password={postgres.SuperuserPassword};Maximum Pool Size=50");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(connectionFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var postmaster = int.Parse(File.ReadLines(Path.Combine(postgres.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            Figures.Progress($"{scenario}: PostgreSQL on 127.0.0.1:{postgres.Port} (pid {postmaster})");

            var ports = Enumerable.Range(0, nodes).Select(_ => LoopbackPorts.Free()).ToArray();
            var seeds = string.Join(',', ports.Select(p => $"akka.tcp://configmonitor@127.0.0.1:{p}"));
            var started = Stopwatch.StartNew();
            var processes = Enumerable.Range(0, nodes).Select(i => BenchProcess.Benchmark($"node-{i + 1}",
            [
                "scale-node", "--index", Text(i + 1), "--nodes", Text(nodes), "--targets", Text(targets), "--port", Text(ports[i]),
                "--seeds", seeds, "--connection-file", connectionFile,
            ])).ToList();
            try
            {
                foreach (var process in processes) await Expect(process, "ready", TimeSpan.FromMinutes(10));
                Figures.Progress($"{scenario}: {nodes} nodes started after {started.Elapsed.TotalSeconds:0.0} s (pids {string.Join(", ", processes.Select(p => p.Pid))}); waiting until every target is probed by one node");
                Figures.Emit(scenario, "nodes-started-seconds", targets, started.Elapsed.TotalSeconds, "s");

                // Settled: every target probed within the last 7.5 s, by one node in all (the sum of the nodes' counts is the target
                // count), three polls in a row (10 s); a poll every 5 s (the measurement of the start, not a wait in a test).
                var settled = false;
                var inARow = 0;
                var settleDeadline = TimeSpan.FromMinutes(15);
                while (started.Elapsed < settleDeadline)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5));
                    var active = new int[nodes];
                    for (var i = 0; i < nodes; i++) active[i] = int.Parse(await processes[i].AskAsync("active", ControlTimeout), CultureInfo.InvariantCulture);
                    inARow = active.Sum() == targets ? inARow + 1 : 0;
                    Figures.Progress($"{scenario}: {started.Elapsed.TotalSeconds:0} s, targets probed in the last {Recent.TotalSeconds} s by node: " +
                                     $"{string.Join(" / ", active.Select(a => a.ToString("N0", CultureInfo.InvariantCulture)))} (sum {active.Sum():N0} of {targets:N0}); " +
                                     $"RSS {string.Join(" / ", processes.Select(p => ProcStats.Memory(p.Pid).Rss / 1048576))} MiB");
                    if (inARow >= 3)
                    {
                        settled = true;
                        break;
                    }
                }
                Figures.Emit(scenario, "settled-seconds", targets, settled ? started.Elapsed.TotalSeconds : double.NaN, "s");
                if (!settled) Figures.Progress($"{scenario}: NOT settled after {settleDeadline.TotalMinutes:0} min; measuring anyway");

                await MeasureAsync(scenario, processes, postmaster, targets, measured, folder);
            }
            finally
            {
                Figures.Progress($"{scenario}: stopping the nodes");
                await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
            }
            Figures.Emit(scenario, "machine-loadavg-1min-at-end", targets, LoadAverage(), "load");
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    private static async Task MeasureAsync(string scenario, IReadOnlyList<BenchProcess> processes, int postmaster, int targets, TimeSpan measured, string folder)
    {
        var nodes = processes.Count;
        foreach (var process in processes) await Expect(process, "ok", ControlTimeout, "mark");
        var cpuStart = processes.Select(p => ProcStats.CpuSeconds(p.Pid)).ToArray();
        var postgresCpuStart = ProcStats.TreeCpuSeconds(postmaster);
        var from = Stopwatch.GetTimestamp();
        var sampledPeak = new long[nodes];
        var sampler = Stopwatch.StartNew();
        // RSS is sampled once a second while the nodes run (the measurement itself, not a wait for a condition).
        using (var everySecond = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            while (sampler.Elapsed < measured && await everySecond.WaitForNextTickAsync())
            {
                for (var i = 0; i < nodes; i++)
                {
                    if (processes[i].HasExited) throw new InvalidOperationException($"{scenario}: {processes[i].Name} ended while being measured");
                    sampledPeak[i] = Math.Max(sampledPeak[i], ProcStats.Memory(processes[i].Pid).Rss);
                }
                if ((int)sampler.Elapsed.TotalSeconds % 30 == 0)
                    Figures.Progress($"{scenario}: measuring, {sampler.Elapsed.TotalSeconds:0} s, RSS {string.Join(" / ", sampledPeak.Select(p => p / 1048576))} MiB");
            }
        }
        var cpu = processes.Select((p, i) => ProcStats.CpuSeconds(p.Pid) - cpuStart[i]).ToArray();
        var postgresCpu = ProcStats.TreeCpuSeconds(postmaster) - postgresCpuStart;
        var to = Stopwatch.GetTimestamp();
        var peaks = processes.Select(p => ProcStats.Memory(p.Pid).Peak).ToArray();
        var wall = Stopwatch.GetElapsedTime(from, to).TotalSeconds;

        // Each node writes, per target, how late each of its probes inside the window arrived (and so how many it sent).
        var probedBy = new int[targets];
        var perNode = new int[nodes];
        var lateness = new List<double>();
        long probes = 0;
        for (var i = 0; i < nodes; i++)
        {
            var file = Path.Combine(folder, $"arrivals-{i + 1}.bin");
            await Expect(processes[i], "ok", ControlTimeout, string.Create(CultureInfo.InvariantCulture, $"report {from} {to} {file}"));
            using var reader = new BinaryReader(File.OpenRead(file));
            if (reader.ReadInt32() != targets) throw new InvalidOperationException($"{processes[i].Name} reported another number of targets");
            for (var t = 0; t < targets; t++)
            {
                var count = reader.ReadInt32();
                if (count > 0)
                {
                    probedBy[t]++;
                    perNode[i]++;
                }
                for (var k = 0; k < count; k++) lateness.Add(reader.ReadSingle());
                probes += count;
            }
        }
        lateness.Sort();

        Figures.Emit(scenario, "measured-seconds", targets, wall, "s");
        Figures.Emit(scenario, "probe-lateness-p50", targets, ProbeLateness.Percentile(lateness, 0.50), "ms");
        Figures.Emit(scenario, "probe-lateness-p99", targets, ProbeLateness.Percentile(lateness, 0.99), "ms");
        Figures.Emit(scenario, "probe-lateness-max", targets, lateness.Count == 0 ? double.NaN : lateness[^1], "ms");
        Figures.Emit(scenario, "probe-requests-per-second", targets, probes / wall, "requests/s");
        Figures.Emit(scenario, "reference-scheduled-requests-per-second", targets, targets * 6 / ScaleScenario.Interval.TotalSeconds, "requests/s");
        // Exactly one node a target: none would be a target nobody monitors, several one monitored twice (or moved in the window).
        Figures.Emit(scenario, "targets-probed-by-exactly-one-node", targets, probedBy.Count(n => n == 1), "targets");
        Figures.Emit(scenario, "targets-probed-by-no-node", targets, probedBy.Count(n => n == 0), "targets");
        Figures.Emit(scenario, "targets-probed-by-several-nodes", targets, probedBy.Count(n => n > 1), "targets");
        for (var i = 0; i < nodes; i++)
        {
            var node = $"node-{i + 1}";
            Figures.Emit(scenario, $"{node}-targets", targets, perNode[i], "targets");
            Figures.Emit(scenario, $"{node}-cpu-cores-used", targets, cpu[i] / wall, "cores");
            Figures.Emit(scenario, $"{node}-peak-rss", targets, peaks[i] / 1048576.0, "MiB");
            Figures.Emit(scenario, $"{node}-peak-rss-while-measuring", targets, sampledPeak[i] / 1048576.0, "MiB");
            Figures.Emit(scenario, $"{node}-rss-per-target", targets, sampledPeak[i] / 1024.0 / Math.Max(1, perNode[i]), "KiB");
            Figures.Emit(scenario, $"{node}-cpu-cores-per-1000-targets", targets, cpu[i] / wall / Math.Max(1, perNode[i]) * 1000, "cores");
        }
        // The cluster's per-target cost, beside the one-node scale run's rss-per-target and cpu-cores-per-1000-targets.
        Figures.Emit(scenario, "cpu-cores-used", targets, cpu.Sum() / wall, "cores");
        Figures.Emit(scenario, "peak-rss-while-measuring", targets, sampledPeak.Sum() / 1048576.0, "MiB");
        Figures.Emit(scenario, "rss-per-target", targets, sampledPeak.Sum() / 1024.0 / targets, "KiB");
        Figures.Emit(scenario, "cpu-cores-per-1000-targets", targets, cpu.Sum() / wall / targets * 1000, "cores");
        Figures.Emit(scenario, "postgresql-cpu-cores-used", targets, postgresCpu / wall, "cores");
    }

    /// <summary>
    /// The <c>scale-node</c> mode: one node of the cluster (options: --index, --nodes, --targets, --port, --seeds, --connection-file).
    /// Writes <c>ready</c> once started, then answers <c>active</c> (how many of its services were probed in the last 7.5 s),
    /// <c>mark</c> (start of the measured window) and <c>report FROM TO FILE</c> (writes each target's probe lateness inside the
    /// window to FILE and emits the node's log and GC figures); stops when its stdin closes.
    /// </summary>
    public static async Task<int> RunNodeAsync(IReadOnlyList<string> args)
    {
        string Option(string name) => args[args.ToList().IndexOf(name) + 1];
        int Number(string name) => int.Parse(Option(name), CultureInfo.InvariantCulture);
        var index = Number("--index");
        var nodes = Number("--nodes");
        var targets = Number("--targets");
        var scenario = $"scale-{nodes}-nodes";
        var name = $"node-{index}";
        var folder = Measure.TempFolder($"scale-{name}");
        try
        {
            var options = new ConfigMonitorOptions
            {
                DataDirectory = folder,
                Port = Number("--port"),
                SeedNodes = Option("--seeds").Split(','),
                Persistence = PersistenceProvider.PostgreSql,
                ConnectionString = (await File.ReadAllTextAsync(Option("--connection-file"))).Trim(),
                // As the one-node scale run: each store's samples are written every 30 s, not every 5 s.
                Metrics = new MetricsStoreSettings { FlushInterval = TimeSpan.FromSeconds(30) },
            };
            await SqliteStore.PrepareAsync(options);
            var definitions = Enumerable.Range(0, targets).Select(ScaleScenario.Target).ToList();
            var services = new IActorRef[targets];
            var lastArrival = new long[targets];
            var servicesHeap = 0L;
            var logLines = new LogLineCounter();
            using var host = new HostBuilder()
                .ConfigureLogging(l => BenchNodeLogging.CountInto(l, logLines))
                .ConfigureServices(s => s.AddAkka(options.ActorSystemName, (builder, _) =>
                {
                    builder.ConfigureLoggers(BenchNodeLogging.AkkaThroughOperatorLogger)
                        .WithActors((system, _) =>
                        {
                            var before = GC.GetTotalMemory(forceFullCollection: true);
                            // Every target's service, small (a list that grows only when probed): this node reaches those it monitors.
                            for (var i = 0; i < targets; i++)
                            {
                                var at = i;
                                services[i] = system.ActorOf(Props.Create(() => new InstantConfigService(0, lastArrival, at)), $"svc-{i:D5}");
                            }
                            servicesHeap = GC.GetTotalMemory(forceFullCollection: true) - before;
                        })
                        .AddConfigMonitor(options, definitions)
                        .AddHocon(ConfigMonitor.Host.HoconValidation.Load(Path.Combine(AppContext.BaseDirectory, "akka.hocon")), HoconAddMode.Prepend)
                        // The benchmark's one addition: members are Up only once all nodes have joined, so the singletons and shards
                        // start on the whole cluster at once instead of on the first node, then moving 3 shards each 10 s.
                        .AddHocon($"akka.cluster.min-nr-of-members = {nodes}", HoconAddMode.Prepend);
                }))
                .Build();
            var startedAt = Stopwatch.GetTimestamp();
            await host.StartAsync();
            var stopping = false;
            // A node whose actor system ends on its own (downed by the others, or its guard saw it was away too long) says why and
            // exits: its last lines of Information and above (the operator's view of what happened), then exit code 4.
            _ = host.Services.GetRequiredService<ActorSystem>().WhenTerminated.ContinueWith(_ =>
            {
                if (Volatile.Read(ref stopping)) return;
                foreach (var line in logLines.Lines.Where(l => l.Level >= LogLevel.Information).TakeLast(25))
                    Figures.Progress($"{scenario} {name}: {line.Level} {line.Category}: {(line.Text.Length > 300 ? line.Text[..300] : line.Text)}");
                Figures.Progress($"{scenario} {name}: the actor system ended while the node should run; exiting with code 4");
                IngestScenarios.TryDelete(folder); // Environment.Exit skips the finally below
                Environment.Exit(4);
            }, TaskScheduler.Default);
            Figures.Relay("ready");
            var pauseStart = TimeSpan.Zero;
            var gen2Start = 0;
            while (await Console.In.ReadLineAsync() is { } command)
            {
                var words = command.Split(' ');
                switch (words[0])
                {
                    case "active":
                        var now = Stopwatch.GetTimestamp();
                        var recent = (long)(Recent.TotalSeconds * Stopwatch.Frequency);
                        var probedNow = 0;
                        for (var i = 0; i < lastArrival.Length; i++)
                        {
                            var last = Volatile.Read(ref lastArrival[i]);
                            if (last != 0 && now - last < recent) probedNow++;
                        }
                        Figures.Relay(Text(probedNow));
                        break;
                    case "mark":
                        pauseStart = GC.GetTotalPauseDuration();
                        gen2Start = GC.CollectionCount(2);
                        Figures.Relay("ok");
                        break;
                    case "report":
                        var from = long.Parse(words[1], CultureInfo.InvariantCulture);
                        var to = long.Parse(words[2], CultureInfo.InvariantCulture);
                        var wall = Stopwatch.GetElapsedTime(from, to).TotalSeconds;
                        var pauses = GC.GetTotalPauseDuration() - pauseStart;
                        var gen2 = GC.CollectionCount(2) - gen2Start;
                        await WriteLatenessAsync(services, from, to, words[3]);
                        var startLines = logLines.Between(startedAt, from, LogLevel.Information);
                        var steadyLines = logLines.Between(from, to, LogLevel.Information);
                        Figures.Emit(scenario, $"{name}-log-info-lines-per-minute-steady", targets, steadyLines.Count / (wall / 60), "lines/min");
                        Figures.Emit(scenario, $"{name}-log-info-lines-at-start", targets, startLines.Count, "lines");
                        Figures.Emit(scenario, $"{name}-log-warning-lines-steady", targets, steadyLines.Count(l => l.Level >= LogLevel.Warning), "lines");
                        Figures.Emit(scenario, $"{name}-services-heap", targets, servicesHeap / 1048576.0, "MiB");
                        Figures.Emit(scenario, $"{name}-gc-pause-share", targets, pauses.TotalSeconds / wall, "ratio");
                        Figures.Emit(scenario, $"{name}-gc-gen2-collections", targets, gen2, "collections");
                        foreach (var (what, lines) in new[] { ("at start", startLines), ("steady", steadyLines) })
                            foreach (var group in lines.GroupBy(l => $"{l.Level} {l.Category}: {ScaleScenario.Shape(l.Text)}").OrderByDescending(g => g.Count()).Take(8))
                                Figures.Progress($"{scenario} {name}: log lines {what}: {group.Count(),6} x {group.Key}");
                        Figures.Relay("ok");
                        break;
                    default:
                        Figures.Relay($"unknown command '{command}'");
                        break;
                }
            }
            Volatile.Write(ref stopping, true);
            await host.StopAsync();
            return 0;
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    private static async Task WriteLatenessAsync(IActorRef[] services, long from, long to, string file)
    {
        await using var writer = new BinaryWriter(File.Create(file));
        writer.Write(services.Length);
        // A thousand at a time: 30,000 asks at once would only queue behind the node's own work.
        for (var start = 0; start < services.Length; start += 1000)
        {
            var batch = await Task.WhenAll(services.Skip(start).Take(1000).Select(s => s.Ask<long[]>(InstantConfigService.Report, ControlTimeout)));
            foreach (var arrivals in batch)
            {
                var late = ProbeLateness.Of(arrivals, ScaleScenario.Interval, from, to);
                writer.Write(late.Count);
                foreach (var ms in late) writer.Write((float)ms);
            }
        }
    }

    private static async Task Expect(BenchProcess process, string expected, TimeSpan timeout, string? command = null)
    {
        var answer = command is null ? await process.ReadLineAsync(timeout) : await process.AskAsync(command, timeout);
        if (answer != expected) throw new InvalidOperationException($"{process.Name} answered '{answer}' instead of '{expected}'{(command is null ? "" : $" to '{command}'")}");
    }

    /// <summary>The machine's 1-minute load average (/proc/loadavg): how busy the shared machine was.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
