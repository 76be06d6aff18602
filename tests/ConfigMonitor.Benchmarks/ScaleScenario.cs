using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Host.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// scale: a whole node (AddConfigMonitor: cluster of one, sharded TargetMonitors and MetricsStores on SQLite, AlertManager,
/// maintenance with its event probes) monitoring many targets whose loops all run every 5 s. Each target has its own
/// in-memory config service actor (below) that answers the protocol at once and notes when each probe arrived.
/// </summary>
public static class ScaleScenario
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Runs the node for a few minutes (quick: 1,000 targets for 40 s) and reports lateness, CPU and peak RSS.</summary>
    public static async Task RunAsync(bool quick, int? targetsOverride, TimeSpan? durationOverride)
    {
        const string scenario = "scale";
        var targets = targetsOverride ?? (quick ? 1_000 : 10_000);
        var duration = durationOverride ?? (quick ? TimeSpan.FromSeconds(40) : TimeSpan.FromMinutes(3));
        var warmUp = TimeSpan.FromSeconds(Math.Min(30, duration.TotalSeconds / 4));
        var folder = Measure.TempFolder(scenario);
        try
        {
            var options = new ConfigMonitorOptions
            {
                DataDirectory = folder,
                Port = 0,
                // 10,000 stores flushing every 5 s would ask SQLite for 2,000 events/s; every 30 s it is ~330 events/s of ~80 samples.
                Metrics = new MetricsStoreSettings { FlushInterval = TimeSpan.FromSeconds(30) },
            };
            await SqliteStore.PrepareAsync(options);
            var definitions = Enumerable.Range(0, targets).Select(Target).ToList();
            var services = new IActorRef[targets];
            var servicesHeap = 0L;
            // The node's logging path: Akka at INFO through OperatorLogger into Microsoft.Extensions.Logging with the filters of
            // the node's appsettings.json; every line that passes is counted (none is printed).
            var logLines = new LogLineCounter();
            using var host = new HostBuilder()
                .ConfigureLogging(l => BenchNodeLogging.CountInto(l, logLines))
                .ConfigureServices(s => s.AddAkka(options.ActorSystemName, (builder, _) =>
                {
                    builder.ConfigureLoggers(BenchNodeLogging.AkkaThroughOperatorLogger)
                        .WithActors((system, _) =>
                        {
                            // What the in-memory services themselves hold (they live in the node's process): the managed heap they add.
                            var before = GC.GetTotalMemory(forceFullCollection: true);
                            for (var i = 0; i < targets; i++) services[i] = system.ActorOf(Props.Create(() => new InstantConfigService(256, null, 0)), $"svc-{i:D5}");
                            servicesHeap = GC.GetTotalMemory(forceFullCollection: true) - before;
                        })
                        .AddConfigMonitor(options, definitions)
                        // The node's own akka.hocon, last and prepended as the node loads it: the product's settings are measured.
                        .AddHocon(ConfigMonitor.Host.HoconValidation.Load(Path.Combine(AppContext.BaseDirectory, "akka.hocon")), HoconAddMode.Prepend);
                }))
                .Build();

            var process = Process.GetCurrentProcess();
            var startedAt = Stopwatch.GetTimestamp();
            var started = Stopwatch.StartNew();
            await host.StartAsync();
            Figures.Progress($"{scenario}: node up with {targets:N0} targets after {started.Elapsed.TotalSeconds:0.0} s; warming up {warmUp.TotalSeconds:0} s");
            await Task.Delay(warmUp);
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var pauseStart = GC.GetTotalPauseDuration();
            var gen2Start = GC.CollectionCount(2);
            var measureStart = Stopwatch.GetTimestamp();
            var peakRss = 0L;
            var sampler = Stopwatch.StartNew();
            // RSS is sampled once a second while the node runs (the measurement itself, not a wait for a condition).
            using var everySecond = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (sampler.Elapsed < duration - warmUp && await everySecond.WaitForNextTickAsync())
            {
                process.Refresh();
                peakRss = Math.Max(peakRss, process.WorkingSet64);
                if ((int)sampler.Elapsed.TotalSeconds % 30 == 0)
                    Figures.Progress($"{scenario}: {sampler.Elapsed.TotalSeconds:0} s, RSS {process.WorkingSet64 / 1048576} MiB");
            }
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds;
            var measureEnd = Stopwatch.GetTimestamp();
            var wall = Stopwatch.GetElapsedTime(measureStart, measureEnd).TotalSeconds;
            var startLines = logLines.Between(startedAt, measureStart, LogLevel.Information);
            var steadyLines = logLines.Between(measureStart, measureEnd, LogLevel.Information);
            // Quiet logs at scale, emitted at once (a slow answer below must not lose them): Information-or-above lines while every
            // target is healthy (the measured window), and at start (host start to the end of the warm-up); the most frequent lines
            // of each go to stderr, so a regression names itself.
            Figures.Emit(scenario, "log-info-lines-per-minute-steady", targets, steadyLines.Count / (wall / 60), "lines/min");
            Figures.Emit(scenario, "log-info-lines-at-start", targets, startLines.Count, "lines");
            Figures.Emit(scenario, "log-warning-lines-steady", targets, steadyLines.Count(l => l.Level >= LogLevel.Warning), "lines");
            foreach (var (what, lines) in new[] { ("at start", startLines), ("steady", steadyLines) })
                foreach (var group in lines.GroupBy(l => $"{l.Level} {l.Category}: {Shape(l.Text)}").OrderByDescending(g => g.Count()).Take(8))
                    Figures.Progress($"{scenario}: log lines {what}: {group.Count(),6} x {group.Key}");
            var steadyPeakRss = peakRss; // the highest RSS seen while measuring, start-up excluded
            peakRss = Math.Max(peakRss, process.PeakWorkingSet64);
            var gc = GC.GetGCMemoryInfo();
            var pauses = GC.GetTotalPauseDuration() - pauseStart;
            var gen2 = GC.CollectionCount(2) - gen2Start;
            var heapBytes = GC.GetTotalMemory(forceFullCollection: false);

            var system = host.Services.GetRequiredService<ActorSystem>();
            // How far behind the singletons that every loop reports to are: an answer that waits is a backed-up mailbox.
            var registry = host.Services.GetRequiredService<ActorRegistry>();
            var lag = Stopwatch.StartNew();
            var alertManagerLagMs = double.NaN; // no answer within 2 minutes: reported as null, the run's other figures still count
            try
            {
                await registry.Get<AlertManager>().Ask<ConfigMonitor.Actors.Alerts.AlertQueries.AlertList>(
                    ConfigMonitor.Actors.Alerts.AlertQueries.GetActiveAlerts.Instance, TimeSpan.FromMinutes(2));
                alertManagerLagMs = lag.Elapsed.TotalMilliseconds;
            }
            catch (AskTimeoutException)
            {
                Figures.Progress($"{scenario}: the AlertManager did not answer within 2 minutes (an overloaded node)");
            }
            // A Prometheus scrape of the node (GET /metrics without the HTTP): the latest values and 5-minute summaries of
            // every target this node monitors (all of them: a cluster of one), the node's figures and, as the leader, the
            // cluster's; timed after the measured window, so it does not count in the lateness above.
            var metrics = new NodeMetrics(system, registry);
            var scrapes = new List<double>();
            var scrapeBytes = 0;
            // Ten scrapes: on a shared machine one or three are too few to tell two writers apart.
            for (var i = 0; i < 10; i++)
            {
                var scrape = Stopwatch.StartNew();
                scrapeBytes = (await metrics.ScrapeAsync(CancellationToken.None)).Length;
                scrapes.Add(scrape.Elapsed.TotalSeconds);
            }
            var arrivals = await Task.WhenAll(services.Select(s => s.Ask<long[]>(InstantConfigService.Report, TimeSpan.FromMinutes(5))));
            var lateness = new List<double>();
            long probes = 0;
            foreach (var times in arrivals)
            {
                var late = ProbeLateness.Of(times, Interval, measureStart, measureEnd);
                lateness.AddRange(late);
                probes += late.Count;
            }
            lateness.Sort();
            Figures.Progress($"{scenario}: {probes:N0} probes measured; stopping the node");
            var stopping = Stopwatch.StartNew();
            await host.StopAsync();

            double Percentile(double q) => ProbeLateness.Percentile(lateness, q);
            Figures.Emit(scenario, "probe-lateness-p50", targets, Percentile(0.50), "ms");
            Figures.Emit(scenario, "probe-lateness-p99", targets, Percentile(0.99), "ms");
            Figures.Emit(scenario, "probe-lateness-max", targets, lateness.Count == 0 ? double.NaN : lateness[^1], "ms");
            Figures.Emit(scenario, "probe-requests-per-second", targets, probes / wall, "requests/s");
            // Reference: what the schedule asks for (performance 1 read, health 3, cache 1, database 1 per 5 s).
            Figures.Emit(scenario, "reference-scheduled-requests-per-second", targets, targets * 6 / Interval.TotalSeconds, "requests/s");
            Figures.Emit(scenario, "cpu-cores-used", targets, cpu / wall, "cores");
            Figures.Emit(scenario, "peak-rss", targets, peakRss / 1048576.0, "MiB");
            Figures.Emit(scenario, "peak-rss-while-measuring", targets, steadyPeakRss / 1048576.0, "MiB");
            // The per-target cost, beside which the 3-node run (scale --nodes 3) puts its own: the node's RSS while measuring and its
            // CPU, over its targets; the services' heap is the in-memory config services' share of that RSS (not ConfigMonitor's).
            Figures.Emit(scenario, "rss-per-target", targets, steadyPeakRss / 1024.0 / targets, "KiB");
            Figures.Emit(scenario, "cpu-cores-per-1000-targets", targets, cpu / wall / targets * 1000, "cores");
            Figures.Emit(scenario, "services-heap", targets, servicesHeap / 1048576.0, "MiB");
            Figures.Emit(scenario, "managed-heap-at-end", targets, heapBytes / 1048576.0, "MiB");
            Figures.Emit(scenario, "gc-committed-at-end", targets, gc.TotalCommittedBytes / 1048576.0, "MiB");
            Figures.Emit(scenario, "alert-manager-answer-at-end", targets, alertManagerLagMs, "ms");
            Figures.Emit(scenario, "metrics-scrape-seconds", targets, scrapes, "s");
            Figures.Emit(scenario, "metrics-scrape-bytes", targets, scrapeBytes, "bytes");
            // What the garbage collector took of the measured time (a blocking pause delays every probe due in it).
            Figures.Emit(scenario, "gc-pause-share", targets, pauses.TotalSeconds / wall, "ratio");
            Figures.Emit(scenario, "gc-gen2-collections", targets, gen2, "collections");
            Figures.Emit(scenario, "gc-mode", targets, System.Runtime.GCSettings.IsServerGC ? 1 : 0, "server=1,workstation=0");
            Figures.Emit(scenario, "shutdown-seconds", targets, stopping.Elapsed.TotalSeconds, "s");
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    /// <summary>A log line with its numbers and target ids blanked, so lines of one kind group together.</summary>
    internal static string Shape(string text)
    {
        var shape = System.Text.RegularExpressions.Regex.Replace(text, @"\d+", "#");
        return shape.Length > 140 ? shape[..140] : shape;
    }

    /// <summary>Target <paramref name="i"/>: an actor-kind target reaching /user/svc-NNNNN, every loop every 5 s.</summary>
    internal static TargetDefinition Target(int i)
    {
        var defaults = TargetDefinition.WithDefaults($"t{i:D5}", $"/user/svc-{i:D5}");
        return defaults with
        {
            ProbeKey = "app.name",
            Performance = defaults.Performance with { Interval = Interval },
            // The node's own memory is not what is measured here: keep the memory rule out of the way.
            Health = defaults.Health with { Interval = Interval, MaxProcessMemoryMb = 1_000_000 },
            Cache = defaults.Cache with { Interval = Interval },
            Database = defaults.Database with { Interval = Interval },
        };
    }
}
