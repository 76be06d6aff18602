using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Health.HealthQueries;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Health;

/// <summary>
/// Answers <see cref="GetHealthReport"/> with one report of the seven checks: five per target (configuration service,
/// database, cache, event system, adapter) and two for the node (memory, disk). Checks run concurrently, off the actor.
/// </summary>
public sealed class HealthCheckerActor : ReceiveActor
{
    private sealed record ReportReady(HealthReport Report, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    // The failing checks of the last report (empty when healthy, null before the first): lines are logged when this changes.
    private string? _lastVerdict;

    /// <summary>Creates the checker.</summary>
    public HealthCheckerActor(HealthCheckSettings settings, IActorRef targetRegistry, IActorRef targetMonitors, IClock clock, AdapterFactory adapterFactory)
    {
        Receive<GetHealthReport>(request =>
        {
            var replyTo = Sender;
            var system = Context.System;
            Run(system, request.TargetId, settings, targetRegistry, targetMonitors, clock, adapterFactory)
                .PipeTo(Self, success: report => new ReportReady(report, replyTo),
                    failure: cause => new ReportReady(HealthReport.Of(clock.UtcNow, 0,
                        [new HealthCheckResult("health_checker", request.TargetId, HealthState.Unhealthy, $"the health checker failed: {cause.Message}",
                            new Dictionary<string, double>(), cause.Message, 0)]), replyTo));
        });
        Receive<ReportReady>(ready =>
        {
            var failing = ready.Report.Checks.Where(c => !c.Healthy).ToList();
            // Reports are asked for by every /health request (a probe every few seconds): the log says when the verdict changes.
            var verdict = string.Join("; ", failing.Select(c => $"{c.Name}{(c.TargetId is null ? "" : $"[{c.TargetId}]")} {c.Status.ToString().ToLowerInvariant()}"));
            var changed = verdict != _lastVerdict;
            _lastVerdict = verdict;
            if (failing.Count == 0)
            {
                if (changed) _log.Info("Health: healthy ({0} checks in {1:0} ms)", ready.Report.Checks.Count, ready.Report.DurationMs);
                else _log.Debug("Health: healthy ({0} checks in {1:0} ms)", ready.Report.Checks.Count, ready.Report.DurationMs);
            }
            else
            {
                var line = string.Join("; ", failing.Select(c => $"{c.Name}{(c.TargetId is null ? "" : $"[{c.TargetId}]")} {c.Status.ToString().ToLowerInvariant()}: {c.Message}"));
                if (changed) _log.Warning("Health: {0}: {1}", ready.Report.Status.ToString().ToLowerInvariant(), line);
                else _log.Debug("Health: still {0}: {1}", ready.Report.Status.ToString().ToLowerInvariant(), line);
            }
            ready.ReplyTo.Tell(ready.Report);
        });
    }

    private static async Task<HealthReport> Run(ActorSystem system, string? onlyTarget, HealthCheckSettings settings,
        IActorRef targetRegistry, IActorRef targetMonitors, IClock clock, AdapterFactory adapterFactory)
    {
        var stopwatch = Stopwatch.StartNew();
        var checkedAt = clock.UtcNow;
        var timeout = settings.CheckTimeout;
        var targets = (await TargetPages.AllAsync(targetRegistry, timeout)
            .ConfigureAwait(false)).Targets;
        var checks = new List<Task<HealthCheckResult>>();
        if (onlyTarget is not null)
        {
            targets = targets.Where(t => string.Equals(t.Id, onlyTarget, StringComparison.OrdinalIgnoreCase)).ToList();
            if (targets.Count == 0)
                checks.Add(Task.FromResult(new HealthCheckResult(HealthCheckNames.ServiceAdapters, onlyTarget, HealthState.Unhealthy,
                    $"no target has id '{onlyTarget}'", new Dictionary<string, double>(), $"unknown target '{onlyTarget}'", 0)));
        }
        foreach (var target in targets)
        {
            var adapter = adapterFactory(system, target);
            checks.Add(HealthChecks.Guard(HealthCheckNames.ConfigurationService, target.Id, timeout, () => HealthChecks.ConfigurationService(target, adapter)));
            checks.Add(Facet(FacetNames.Database, HealthCheckNames.DatabaseConnectivity, () => HealthChecks.DatabaseConnectivity(target, adapter)));
            checks.Add(Facet(FacetNames.Cache, HealthCheckNames.CachePerformance, () => HealthChecks.CachePerformance(target, adapter, settings)));
            checks.Add(Facet(FacetNames.Events, HealthCheckNames.EventSystem, () => HealthChecks.EventSystem(system, target, adapter, clock)));

            Task<HealthCheckResult> Facet(string facet, string check, Func<Task<HealthCheckResult>> run) =>
                adapter.KindOf(facet) == FacetKinds.None
                    ? Task.FromResult(HealthChecks.NotApplicable(check, target.Id, facet))
                    : HealthChecks.Guard(check, target.Id, timeout, run);
            checks.Add(HealthChecks.Guard(HealthCheckNames.ServiceAdapters, target.Id, timeout, async () =>
            {
                var status = await targetMonitors.Ask<TargetMonitorQueries.TargetStatus>(new TargetMonitorQueries.GetTargetStatus(target.Id), timeout)
                    .ConfigureAwait(false);
                return HealthChecks.ServiceAdapters(status, settings, clock.UtcNow);
            }));
        }
        checks.Add(HealthChecks.Guard(HealthCheckNames.MemoryUsage, null, timeout, () => Task.FromResult(HealthChecks.MemoryUsage(settings))));
        checks.Add(HealthChecks.Guard(HealthCheckNames.DiskSpace, null, timeout, () => Task.FromResult(HealthChecks.DiskSpace(settings))));
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        return HealthReport.Of(checkedAt, stopwatch.Elapsed.TotalMilliseconds, results);
    }

    /// <summary>Props for the checker.</summary>
    public static Props Props(HealthCheckSettings settings, IActorRef targetRegistry, IActorRef targetMonitors, IClock clock, AdapterFactory adapterFactory) =>
        ActorProps.Of(() => new HealthCheckerActor(settings, targetRegistry, targetMonitors, clock, adapterFactory));
}
