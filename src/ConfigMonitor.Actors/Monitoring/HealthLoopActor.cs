using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// Every interval asks the service for a config read, a database round trip and its cache statistics together,
/// and reads this process's memory. The service is healthy when all three answer. The service_health rule breaches when
/// the service itself does not answer (the config read or the cache statistics fail); a database that alone fails is the
/// database rule's cause (database/unreachable), so one database outage pages once.
/// </summary>
public sealed class HealthLoopActor(LoopContext loop) : MonitorLoopActor(loop, LoopNames.Health, loop.Target.Health.Interval)
{
    /// <summary>The rule for a service that does not answer all three requests.</summary>
    public const string ServiceHealthRule = "service_health";

    /// <summary>The rule for this process using too much memory.</summary>
    public const string ProcessMemoryRule = "process_memory";

    /// <summary>What the three requests of one health probe came to.</summary>
    public sealed record HealthProbeResult(IReadOnlyList<string> Failures, double ProcessMemoryMb, bool OnlyDependenciesFailed = false);

    /// <inheritdoc />
    protected override async Task<object> ProbeAsync()
    {
        var target = Loop.Target;
        var adapter = Loop.Adapter;
        var read = adapter.GetConfigAsync(target.ProbeKey, null, target.ProbeTimeout);
        // Only the facets the target has: a facet of kind none is not asked, and cannot fail the service.
        var database = adapter.KindOf(FacetNames.Database) == FacetKinds.None ? null : adapter.ProbeDatabaseAsync(target.ProbeTimeout);
        var cache = adapter.KindOf(FacetNames.Cache) == FacetKinds.None ? null : adapter.GetCacheStatsAsync(target.ProbeTimeout);
        var failures = new List<string>();
        var serviceFailed = false;
        // A cache the service itself serves (the same kind and endpoint as its reads) failing is the service failing; a cache
        // on infrastructure of its own (a Redis in front) is a dependency, like the database: its own rule alerts.
        var cacheIsTheService = adapter is not FacetedAdapter faceted
                                || faceted.Facets.Single(f => f.Facet == FacetNames.Cache) is var c
                                && faceted.Facets.Single(f => f.Facet == FacetNames.Config) is var r && c.Kind == r.Kind && c.Endpoint == r.Endpoint;
        foreach (var (name, task) in new (string, Task?)[] { ("config read", read), ("database", database), ("cache stats", cache) })
        {
            if (task is null) continue;
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {Describe(e)}");
                serviceFailed |= task == read || (task == cache && cacheIsTheService);
            }
        }
        return new HealthProbeResult(failures, ProcessMemory.WorkingSetMb(), failures.Count > 0 && !serviceFailed);
    }

    /// <inheritdoc />
    protected override ProbeEvaluation Evaluate(ProbeAnswered answered)
    {
        var at = answered.StartedAt;
        var result = (HealthProbeResult)answered.Answer;
        var healthy = result.Failures.Count == 0;
        var maxMemory = Loop.Target.Health.MaxProcessMemoryMb;
        var memoryHigh = result.ProcessMemoryMb > maxMemory;
        return new ProbeEvaluation(
            [
                new MetricSample(MetricNames.HealthOk, healthy ? 1 : 0, at),
                new MetricSample(MetricNames.HealthProbeMs, answered.ElapsedMs, at),
                new MetricSample(MetricNames.ProcessMemoryMb, result.ProcessMemoryMb, at),
            ],
            [
                Observe(AlertCategory.Health, ServiceHealthRule, !healthy && !result.OnlyDependenciesFailed, AlertSeverity.Critical,
                    healthy ? $"{Answering()} answer"
                    : result.OnlyDependenciesFailed ? $"the config service answers its reads; a dependency does not (its own rule's alert): {string.Join("; ", result.Failures)}"
                    : $"service unhealthy: {string.Join("; ", result.Failures)}", at),
                Observe(AlertCategory.Health, ProcessMemoryRule, memoryHigh, AlertSeverity.Warning,
                    $"monitor process uses {result.ProcessMemoryMb:0} MB (limit {maxMemory:0} MB)", at, result.ProcessMemoryMb, maxMemory),
            ],
            healthy ? null : string.Join("; ", result.Failures));
    }

    private string Answering()
    {
        var parts = new List<string> { "config read" };
        if (Loop.Adapter.KindOf(FacetNames.Database) != FacetKinds.None) parts.Add("database");
        if (Loop.Adapter.KindOf(FacetNames.Cache) != FacetKinds.None) parts.Add("cache statistics");
        return parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];
    }

    /// <inheritdoc />
    protected override ProbeEvaluation EvaluateFailure(ProbeFailed failed)
    {
        var error = Describe(failed.Cause);
        return new ProbeEvaluation(
            [new MetricSample(MetricNames.HealthOk, 0, failed.StartedAt)],
            [Observe(AlertCategory.Health, ServiceHealthRule, true, AlertSeverity.Critical, $"health probe failed: {error}", failed.StartedAt)],
            error);
    }

    /// <summary>Props for the loop.</summary>
    public static Props Props(LoopContext loop) => ActorProps.Of(() => new HealthLoopActor(loop));
}

/// <summary>This process's working set, read from the OS at most once a second however many health loops ask.</summary>
public static class ProcessMemory
{
    private static long _readAtTicks;
    private static double _workingSetMb;

    /// <summary>The working set in MB, at most a second old.</summary>
    public static double WorkingSetMb()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _readAtTicks) < 1000) return Volatile.Read(ref _workingSetMb);
        using var process = Process.GetCurrentProcess();
        Volatile.Write(ref _workingSetMb, process.WorkingSet64 / (1024.0 * 1024.0));
        Interlocked.Exchange(ref _readAtTicks, now);
        return _workingSetMb;
    }
}
