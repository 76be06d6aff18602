using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Monitoring.TargetMonitorQueries;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>The last result of one loop: when it ended, its error (null: it answered), the service's answer and how long the call took.</summary>
public sealed record LastProbe(DateTimeOffset At, string? Error, object? Answer, double ElapsedMs);

/// <summary>
/// A target's health judged from its loops' last results, never from a fresh probe: the five checks of the target with the rules
/// of <see cref="HealthChecks"/> (the live <c>/health</c> and this view agree on the same inputs), and the node's two.
/// A check whose loop has not finished a probe yet is <see cref="HealthState.Unknown"/>; a facet of kind none is not applicable.
/// </summary>
public static class TargetHealth
{
    /// <summary>The node's memory and disk are read at most this often, however many targets are asked about (the answer stays the same between two reads).</summary>
    public static readonly TimeSpan NodeChecksMaxAge = TimeSpan.FromSeconds(10);

    private sealed record NodeReading(long ReadAt, IReadOnlyList<HealthCheckResult> Checks, HealthCheckSettings Settings);

    // Entities of many targets ask at once: one reference, swapped whole.
    private static NodeReading? _nodeChecks;

    /// <summary>
    /// The five checks of the target from <paramref name="last"/> (by loop name, see <see cref="LoopNames"/>), <paramref name="events"/>
    /// (the maintenance singleton's round trips) and <paramref name="status"/> (the loops' counts), judged as of <paramref name="asOf"/>.
    /// </summary>
    public static IReadOnlyList<HealthCheckResult> TargetChecks(TargetDefinition? definition, TargetStatus status,
        IReadOnlyDictionary<string, LastProbe> last, LoopStatus events, HealthCheckSettings settings, DateTimeOffset asOf)
    {
        var id = status.TargetId;
        string[] targetChecks =
            [HealthCheckNames.ConfigurationService, HealthCheckNames.DatabaseConnectivity, HealthCheckNames.CachePerformance, HealthCheckNames.EventSystem,
             HealthCheckNames.ServiceAdapters];
        if (definition is null || !status.Monitoring)
            return targetChecks.Select(n => Pending(n, id, "this node has not received the target's definition yet")).ToList();
        if (last.Count == 0 && events.Probes == 0)
            return targetChecks.Select(n => Pending(n, id, "no probe has finished yet")).ToList();

        var cacheKind = TargetFacets.Resolve(definition, FacetNames.Cache).Kind;
        var databaseKind = TargetFacets.Resolve(definition, FacetNames.Database).Kind;
        var eventsKind = TargetFacets.Resolve(definition, FacetNames.Events).Kind;
        var hasCache = cacheKind != FacetKinds.None;
        var cache = last.GetValueOrDefault(LoopNames.Cache);

        HealthCheckResult Configuration()
        {
            if (last.GetValueOrDefault(LoopNames.Performance) is not { } read) return Pending(HealthCheckNames.ConfigurationService, id, "the performance loop has not read yet");
            if (read.Error is { } error) return HealthChecks.Failure(HealthCheckNames.ConfigurationService, id, error);
            // The live check also reads the cache statistics: when they failed last, so would it.
            if (hasCache && cache?.Error is { } cacheError) return HealthChecks.Failure(HealthCheckNames.ConfigurationService, id, $"cache statistics: {cacheError}");
            return HealthChecks.ConfigurationServiceVerdict(definition, read.ElapsedMs, null, hasCache, cache?.Answer as CacheStats);
        }

        HealthCheckResult Database()
        {
            if (databaseKind == FacetKinds.None) return HealthChecks.NotApplicable(HealthCheckNames.DatabaseConnectivity, id, FacetNames.Database);
            if (last.GetValueOrDefault(LoopNames.Database) is not { } probe) return Pending(HealthCheckNames.DatabaseConnectivity, id, "the database loop has not probed yet");
            if (probe.Error is { } error) return HealthChecks.Failure(HealthCheckNames.DatabaseConnectivity, id, error);
            return probe.Answer is DatabaseProbeResult result
                ? HealthChecks.DatabaseConnectivityVerdict(definition, databaseKind, result, probe.ElapsedMs)
                : Pending(HealthCheckNames.DatabaseConnectivity, id, "the database loop's last answer is not a database probe's");
        }

        HealthCheckResult Cache()
        {
            if (!hasCache) return HealthChecks.NotApplicable(HealthCheckNames.CachePerformance, id, FacetNames.Cache);
            if (cache is null) return Pending(HealthCheckNames.CachePerformance, id, "the cache loop has not probed yet");
            if (cache.Error is { } error) return HealthChecks.Failure(HealthCheckNames.CachePerformance, id, error);
            return cache.Answer is CacheStats stats
                ? HealthChecks.CachePerformanceVerdict(id, stats, settings)
                : Pending(HealthCheckNames.CachePerformance, id, "the cache loop's last answer is not cache statistics");
        }

        HealthCheckResult Events()
        {
            if (eventsKind == FacetKinds.None) return HealthChecks.NotApplicable(HealthCheckNames.EventSystem, id, FacetNames.Events);
            if (events.Probes == 0) return Pending(HealthCheckNames.EventSystem, id, "no event round trip has finished yet");
            return HealthChecks.EventSystemVerdict(id, events.LastError is null, null, events.LastError);
        }

        return [Configuration(), Database(), Cache(), Events(), HealthChecks.ServiceAdapters(status, settings, asOf)];
    }

    /// <summary>
    /// A target's state from its checks: unknown while none has been judged, the worst of those judged otherwise (unknown and not
    /// applicable never make it worse), not applicable when every judged check is.
    /// </summary>
    public static HealthState StateOf(IReadOnlyList<HealthCheckResult> checks)
    {
        var judged = checks.Where(c => c.Status != HealthState.Unknown).ToList();
        if (judged.Count == 0) return HealthState.Unknown;
        var applicable = judged.Where(c => c.Status != HealthState.NotApplicable).ToList();
        return applicable.Count == 0 ? HealthState.NotApplicable : applicable.Max(c => c.Status);
    }

    /// <summary>A check not judged yet, with the reason.</summary>
    public static HealthCheckResult Pending(string name, string? targetId, string why) =>
        new(name, targetId, HealthState.Unknown, $"unknown: {why}", new Dictionary<string, double>(), null, 0);

    /// <summary>memory_usage and disk_space of this node (<see cref="HealthChecks"/>), read at most every <see cref="NodeChecksMaxAge"/>.</summary>
    public static IReadOnlyList<HealthCheckResult> NodeChecks(HealthCheckSettings settings)
    {
        var now = Environment.TickCount64;
        if (Volatile.Read(ref _nodeChecks) is { } cached && cached.Settings == settings && now - cached.ReadAt < NodeChecksMaxAge.TotalMilliseconds) return cached.Checks;
        IReadOnlyList<HealthCheckResult> checks =
            [Guarded(HealthCheckNames.MemoryUsage, () => HealthChecks.MemoryUsage(settings)), Guarded(HealthCheckNames.DiskSpace, () => HealthChecks.DiskSpace(settings))];
        Volatile.Write(ref _nodeChecks, new NodeReading(now, checks, settings));
        return checks;
    }

    private static HealthCheckResult Guarded(string name, Func<HealthCheckResult> check)
    {
        try
        {
            return check();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return HealthChecks.Failure(name, null, e.Message);
        }
    }
}
