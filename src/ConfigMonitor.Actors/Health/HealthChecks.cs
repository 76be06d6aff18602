using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorQueries;

namespace ConfigMonitor.Actors.Health;

/// <summary>
/// The seven checks as plain async functions. Each is wrapped by <see cref="Guard"/>, so a check that throws or
/// hangs becomes an unhealthy result carrying the error, and never escapes the checker. Every figure a check judges
/// sits next to the threshold it was judged against, named after it: <c>min_x</c> (x must reach it), <c>max_x</c>
/// (x must stay within it) or <c>expected_x</c> (x must equal it) — see <see cref="HealthFigures"/>.
/// </summary>
public static class HealthChecks
{
    /// <summary>Runs <paramref name="check"/> with a timeout; failure or timeout gives an unhealthy result.</summary>
    public static async Task<HealthCheckResult> Guard(string name, string? targetId, TimeSpan timeout,
        Func<Task<HealthCheckResult>> check)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var running = Task.Run(check);
            using var cancelDelay = new CancellationTokenSource();
            if (await Task.WhenAny(running, Task.Delay(timeout, cancelDelay.Token)).ConfigureAwait(false) != running)
                return Failed(name, targetId, $"check did not finish within {Durations.Format(timeout)}", stopwatch);
            await cancelDelay.CancelAsync().ConfigureAwait(false);
            var result = await running.ConfigureAwait(false);
            return result with { DurationMs = stopwatch.Elapsed.TotalMilliseconds };
        }
        catch (Exception e)
        {
            return Failed(name, targetId, Redaction.Redact(e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0].Message : e.Message), stopwatch);
        }
    }

    private static HealthCheckResult Failed(string name, string? targetId, string error, Stopwatch stopwatch) =>
        Failure(name, targetId, error) with { DurationMs = stopwatch.Elapsed.TotalMilliseconds };

    /// <summary>A check whose call failed (threw, timed out, or its loop's last probe failed): unhealthy, with the error.</summary>
    public static HealthCheckResult Failure(string name, string? targetId, string error) =>
        new(name, targetId, HealthState.Unhealthy, $"{name} failed: {error}", new Dictionary<string, double>(), error, 0);

    private static HealthCheckResult Result(string name, string? targetId, HealthState state, string message, Dictionary<string, double> figures) =>
        new(name, targetId, state, message, figures, null, 0);

    /// <summary>A check of a facet the target does not have: not applicable, with the reason, and no figure at all.</summary>
    public static HealthCheckResult NotApplicable(string name, string targetId, string facet) =>
        new(name, targetId, HealthState.NotApplicable,
            $"not applicable: this target has no {facet} facet ({FacetNames.Section(facet)}:Kind is none), so it is not watched",
            new Dictionary<string, double>(), null, 0);

    /// <summary>configuration_service: a timed read, a read with metadata and (when the target has a cache) the cache statistics all answer.</summary>
    public static async Task<HealthCheckResult> ConfigurationService(TargetDefinition target, IConfigServiceAdapter adapter)
    {
        var stopwatch = Stopwatch.StartNew();
        await adapter.GetConfigAsync(target.ProbeKey, null, target.ProbeTimeout).ConfigureAwait(false);
        var readMs = stopwatch.Elapsed.TotalMilliseconds;
        stopwatch.Restart();
        var entry = await adapter.GetConfigWithMetadataAsync(target.ProbeKey, target.ProbeTimeout).ConfigureAwait(false);
        var metadataMs = stopwatch.Elapsed.TotalMilliseconds;
        var hasCache = adapter.KindOf(FacetNames.Cache) != FacetKinds.None;
        var stats = hasCache ? await adapter.GetCacheStatsAsync(target.ProbeTimeout).ConfigureAwait(false) : null;
        return ConfigurationServiceVerdict(target, readMs, (metadataMs, entry.Found), hasCache, stats);
    }

    /// <summary>
    /// The rule of configuration_service, shared by the live check and the loops' last results: a read slower than the
    /// target's access-time threshold is degraded. <paramref name="metadata"/> is the read with metadata (the live check
    /// makes one; the loops do not), <paramref name="stats"/> the cache statistics that answered (null without a cache).
    /// </summary>
    public static HealthCheckResult ConfigurationServiceVerdict(TargetDefinition target, double readMs, (double Ms, bool Found)? metadata, bool hasCache,
        Protocol.ConfigServiceProtocol.CacheStats? stats)
    {
        var threshold = target.Performance.AccessTimeThresholdMs;
        var slow = readMs > threshold;
        var figures = new Dictionary<string, double> { ["read_ms"] = readMs, [HealthFigures.Max("read_ms")] = threshold };
        if (metadata is { } m)
        {
            figures["metadata_read_ms"] = m.Ms;
            figures["key_found"] = m.Found ? 1 : 0;
        }
        if (stats is not null) figures["cache_hit_rate"] = stats.HitRate;
        return Result(HealthCheckNames.ConfigurationService, target.Id, slow ? HealthState.Degraded : HealthState.Healthy,
            $"read '{target.ProbeKey}' in {readMs:0.#} ms{(slow ? $" (above the {threshold:0.#} ms threshold)" : "")}" +
            (metadata is { } md ? $", with metadata in {md.Ms:0.#} ms (found: {md.Found})" : "") + (hasCache ? "; cache answers" : ""),
            figures);
    }

    /// <summary>
    /// database_connectivity: the database facet answers within its threshold. For sql and actor kinds that is SELECT 1 (which
    /// must answer 1) and the row count; for others what the kind has (etcd's status and key count, an http health endpoint),
    /// described as what it is, with the kind's own figures (etcd: leader, db size, quota, raft term).
    /// </summary>
    public static async Task<HealthCheckResult> DatabaseConnectivity(TargetDefinition target, IConfigServiceAdapter adapter)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await adapter.ProbeDatabaseAsync(target.ProbeTimeout).ConfigureAwait(false);
        return DatabaseConnectivityVerdict(target, adapter.KindOf(FacetNames.Database), result, stopwatch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// The rule of database_connectivity, shared by the live check and the loops' last results: a probe whose SELECT 1 did not
    /// answer 1 is unhealthy, one slower than the target's response-time threshold degraded.
    /// </summary>
    public static HealthCheckResult DatabaseConnectivityVerdict(TargetDefinition target, string kind, Protocol.ConfigServiceProtocol.DatabaseProbeResult result,
        double ms)
    {
        var selects = kind is FacetKinds.Sql or FacetKinds.Actor;
        var answered = result.SelectOne == 1;
        var slow = ms > target.Database.ResponseTimeThresholdMs;
        var state = !answered ? HealthState.Unhealthy : slow ? HealthState.Degraded : HealthState.Healthy;
        var figures = new Dictionary<string, double> { ["response_ms"] = ms, [HealthFigures.Max("response_ms")] = target.Database.ResponseTimeThresholdMs };
        if (selects)
        {
            figures["select_one"] = result.SelectOne;
            figures[HealthFigures.Expected("select_one")] = 1;
        }
        if (result.HasRowCount) figures["configuration_rows"] = result.ConfigurationRowCount;
        foreach (var (name, value) in result.Figures ?? new Dictionary<string, double>())
            if (double.IsFinite(value)) figures[name] = value;
        var what = kind switch
        {
            FacetKinds.Etcd => "etcd status (leader elected)",
            FacetKinds.Http => "the health endpoint answered up",
            _ => "SELECT 1",
        };
        var threshold = slow ? $" (above the {target.Database.ResponseTimeThresholdMs:0.#} ms threshold)" : "";
        var rows = !result.HasRowCount ? ""
            : kind == FacetKinds.Etcd ? $"; {Count(result.ConfigurationRowCount, "key")} under the prefix"
            : $"; the configuration table has {Count(result.ConfigurationRowCount, "row")}";
        return Result(HealthCheckNames.DatabaseConnectivity, target.Id, state,
            answered ? $"{what} in {ms:0.#} ms{threshold}{rows}" : $"SELECT 1 answered {result.SelectOne}", figures);
    }

    private static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>cache_performance: hit rate at least the minimum and usage below the maximum.</summary>
    public static async Task<HealthCheckResult> CachePerformance(TargetDefinition target, IConfigServiceAdapter adapter, HealthCheckSettings settings) =>
        CachePerformanceVerdict(target.Id, await adapter.GetCacheStatsAsync(target.ProbeTimeout).ConfigureAwait(false), settings);

    /// <summary>
    /// The rule of cache_performance, shared by the live check and the loops' last results: a hit rate below the minimum (once the
    /// cache has served enough requests to judge it) or a usage not below the maximum is degraded.
    /// </summary>
    public static HealthCheckResult CachePerformanceVerdict(string targetId, Protocol.ConfigServiceProtocol.CacheStats stats, HealthCheckSettings settings)
    {
        var problems = new List<string>();
        var judged = stats.TotalRequests >= settings.MinCacheRequests;
        if (judged && stats.HitRate < settings.MinCacheHitRate) problems.Add($"hit rate {stats.HitRate:P1} below {settings.MinCacheHitRate:P0}");
        if (stats.HasLimit && stats.Usage >= settings.MaxCacheUsage) problems.Add($"usage {stats.Usage:P1} not below {settings.MaxCacheUsage:P0}");
        return Result(HealthCheckNames.CachePerformance, targetId, problems.Count == 0 ? HealthState.Healthy : HealthState.Degraded,
            problems.Count > 0 ? string.Join("; ", problems)
            : judged ? $"hit rate {stats.HitRate:P1}, {Fill(stats)}"
            : $"{Count(stats.TotalRequests, "request")} so far (the hit rate is judged from {settings.MinCacheRequests}), {Fill(stats)}",
            CacheFigures(stats, settings));
    }

    private static string Fill(Protocol.ConfigServiceProtocol.CacheStats stats) =>
        stats.HasLimit ? $"{stats.Size}/{stats.MaxSize} used" : $"size {stats.Size}, no limit (usage not applicable)";

    private static Dictionary<string, double> CacheFigures(Protocol.ConfigServiceProtocol.CacheStats stats, HealthCheckSettings settings)
    {
        var figures = new Dictionary<string, double>
        {
            ["hit_rate"] = stats.HitRate, [HealthFigures.Min("hit_rate")] = settings.MinCacheHitRate,
            ["total_requests"] = stats.TotalRequests, [HealthFigures.Min("total_requests")] = settings.MinCacheRequests,
            ["size"] = stats.Size,
        };
        if (stats.HasLimit)
        {
            figures["usage"] = stats.Usage;
            figures[HealthFigures.Max("usage")] = settings.MaxCacheUsage;
            figures["capacity"] = stats.MaxSize;
        }
        return figures;
    }

    /// <summary>event_system: a real subscribe → notify → receive → unsubscribe round trip.</summary>
    public static async Task<HealthCheckResult> EventSystem(ActorSystem system, TargetDefinition target, IConfigServiceAdapter adapter, IClock clock)
    {
        var result = await EventRoundTrip.RunAsync(system, target, adapter, clock).ConfigureAwait(false);
        return EventSystemVerdict(target.Id, result.Delivered, result.RoundTripMs, result.Error);
    }

    /// <summary>The rule of event_system, shared by the live check and the last round trip: the change event arrived, with no error.</summary>
    public static HealthCheckResult EventSystemVerdict(string targetId, bool delivered, double? roundTripMs, string? error)
    {
        var healthy = delivered && error is null;
        var figures = new Dictionary<string, double> { ["delivered"] = delivered ? 1 : 0, [HealthFigures.Expected("delivered")] = 1 };
        if (roundTripMs is { } ms) figures["round_trip_ms"] = ms;
        return new HealthCheckResult(HealthCheckNames.EventSystem, targetId, healthy ? HealthState.Healthy : HealthState.Unhealthy,
            healthy ? (roundTripMs is { } took ? $"change event arrived in {took:0.#} ms" : "change event arrived")
            : $"event round trip failed: {error}",
            figures, healthy ? null : error, 0);
    }

    /// <summary>service_adapters: the monitor's loops reach the target (a success, and fewer failures in a row than the limit).</summary>
    public static HealthCheckResult ServiceAdapters(TargetStatus status, HealthCheckSettings settings, DateTimeOffset now)
    {
        var probes = status.Loops.Sum(l => l.Probes);
        var figures = new Dictionary<string, double>
        {
            ["probes"] = probes,
            ["consecutive_failures"] = status.ConsecutiveFailures,
            [HealthFigures.Max("consecutive_failures")] = settings.MaxConsecutiveFailures,
        };
        if (status.LastSuccessAt is { } last) figures["seconds_since_last_success"] = (now - last).TotalSeconds;
        if (!status.Monitoring)
            return Result(HealthCheckNames.ServiceAdapters, status.TargetId, HealthState.Unhealthy, $"target is not being monitored on {status.Node}", figures);
        if (probes == 0)
            return Result(HealthCheckNames.ServiceAdapters, status.TargetId, HealthState.Healthy, "loops started; no probe has finished yet", figures);
        var failing = status.Loops.Where(l => l.ConsecutiveFailures >= settings.MaxConsecutiveFailures).ToList();
        var faltering = status.Loops.Where(l => l.ConsecutiveFailures > 0).ToList();
        var state = failing.Count > 0 || status.LastSuccessAt is null ? HealthState.Unhealthy
            : faltering.Count > 0 ? HealthState.Degraded : HealthState.Healthy;
        foreach (var facet in status.Facets.Where(f => f.Kind != FacetKinds.None))
        {
            figures[$"{facet.Facet}_consecutive_failures"] = facet.ConsecutiveFailures;
            if (facet.LastSuccessAt is { } at) figures[$"{facet.Facet}_seconds_since_last_success"] = (now - at).TotalSeconds;
        }
        var message = state switch
        {
            HealthState.Healthy => $"adapter answers; last success {(now - status.LastSuccessAt!.Value).TotalSeconds:0}s ago",
            _ when status.LastSuccessAt is null =>
                $"no probe has succeeded yet ({probes} tried): {status.Loops.FirstOrDefault(l => l.LastError is not null)?.LastError}",
            _ => string.Join("; ", (failing.Count > 0 ? failing : faltering).Select(l => $"{l.Loop} loop failed {l.ConsecutiveFailures} time(s) in a row: {l.LastError}")),
        };
        if (status.Facets.Count > 0)
            message += " | facets: " + string.Join(", ", status.Facets.Select(f => f.Kind == FacetKinds.None
                ? $"{f.Facet} none (not applicable)"
                : $"{f.Facet} {f.Kind} {f.Endpoint}: " + (f.ConsecutiveFailures > 0 ? $"{f.ConsecutiveFailures} failure(s) in a row"
                    : f.LastSuccessAt is { } at ? $"ok {(now - at).TotalSeconds:0}s ago" : "not probed yet")));
        return Result(HealthCheckNames.ServiceAdapters, status.TargetId, state, message, figures);
    }

    /// <summary>memory_usage: this process below the limit; the machine's used memory as a figure (not judged).</summary>
    public static HealthCheckResult MemoryUsage(HealthCheckSettings settings)
    {
        using var process = Process.GetCurrentProcess();
        var processMb = process.WorkingSet64 / (1024.0 * 1024.0);
        var systemPercent = SystemMemory.UsedPercent();
        var healthy = processMb < settings.MaxProcessMemoryMb;
        return Result(HealthCheckNames.MemoryUsage, null, healthy ? HealthState.Healthy : HealthState.Degraded,
            $"process uses {processMb:0} MB (limit {settings.MaxProcessMemoryMb:0} MB); system memory {systemPercent:0.#}% used",
            new() { ["process_mb"] = processMb, [HealthFigures.Max("process_mb")] = settings.MaxProcessMemoryMb, ["system_percent"] = systemPercent });
    }

    /// <summary>disk_space: more than the minimum percent free on the data folder's disk.</summary>
    public static HealthCheckResult DiskSpace(HealthCheckSettings settings)
    {
        var path = Path.GetFullPath(settings.DiskPath);
        var drive = DriveInfo.GetDrives()
            .Where(d => d.IsReady && path.StartsWith(d.RootDirectory.FullName, StringComparison.Ordinal))
            .OrderByDescending(d => d.RootDirectory.FullName.Length)
            .FirstOrDefault() ?? throw new IOException($"no mounted drive holds '{path}'");
        var freePercent = drive.TotalSize == 0 ? 0 : 100.0 * drive.AvailableFreeSpace / drive.TotalSize;
        var healthy = freePercent > settings.MinDiskFreePercent;
        return Result(HealthCheckNames.DiskSpace, null, healthy ? HealthState.Healthy : HealthState.Unhealthy,
            $"{freePercent:0.#}% free on {drive.RootDirectory.FullName} ({drive.AvailableFreeSpace / (1024 * 1024 * 1024.0):0.#} GiB; minimum {settings.MinDiskFreePercent:0}%)",
            new()
            {
                ["free_percent"] = freePercent, [HealthFigures.Min("free_percent")] = settings.MinDiskFreePercent,
                ["free_bytes"] = drive.AvailableFreeSpace, ["total_bytes"] = drive.TotalSize,
            });
    }
}

/// <summary>Names of the thresholds that sit next to the figures they judge in a health check's figures.</summary>
public static class HealthFigures
{
    /// <summary>The lowest healthy value of a figure: <c>min_hit_rate</c> next to <c>hit_rate</c>.</summary>
    public static string Min(string figure) => $"min_{figure}";

    /// <summary>The highest healthy value of a figure: <c>max_read_ms</c> next to <c>read_ms</c>.</summary>
    public static string Max(string figure) => $"max_{figure}";

    /// <summary>The one healthy value of a figure: <c>expected_delivered</c> next to <c>delivered</c>.</summary>
    public static string Expected(string figure) => $"expected_{figure}";
}

/// <summary>The machine's used memory, as the OS counts it.</summary>
public static class SystemMemory
{
    private const string MemInfoPath = "/proc/meminfo";

    /// <summary>
    /// Percent of the machine's memory in use. On Linux, as <c>free</c> counts "used": (MemTotal − MemAvailable) / MemTotal
    /// from /proc/meminfo (page cache that can be reclaimed is not used). Elsewhere the GC's view of the machine's memory load.
    /// </summary>
    public static double UsedPercent()
    {
        if (OperatingSystem.IsLinux() && File.Exists(MemInfoPath) && FromMemInfo(File.ReadAllText(MemInfoPath)) is { } percent)
            return percent;
        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes > 0 ? 100.0 * info.MemoryLoadBytes / info.TotalAvailableMemoryBytes : 0;
    }

    /// <summary>(MemTotal − MemAvailable) / MemTotal in percent from the text of /proc/meminfo, or null when either is missing.</summary>
    public static double? FromMemInfo(string memInfo)
    {
        long? total = null, available = null;
        foreach (var line in memInfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var name = line[..colon];
            if (name is not ("MemTotal" or "MemAvailable")) continue;
            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3].Trim();
            if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kb)) return null;
            if (name == "MemTotal") total = kb; else available = kb;
        }
        if (total is not > 0 || available is not { } free || free > total) return null;
        return 100.0 * (total.Value - free) / total.Value;
    }
}
