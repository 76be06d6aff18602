using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// What this node's <c>/metrics</c> serves, kept in a prometheus-net registry of its own (one per node, never the static
/// default: two nodes in one process must not mix). Each scrape refreshes it from this node's own shards only:
/// the targets it monitors, their latest values and 5-minute summaries; the node's process figures; and, on the cluster
/// leader only, the cluster-wide figures (members, alerts, targets known), so that a sum over every node counts them once.
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>The content type of the Prometheus text format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The window of the per-target summaries.</summary>
    public static readonly TimeSpan SummaryWindow = TimeSpan.FromMinutes(5);

    /// <summary>How long a scrape waits for one target's store; one slow entity never holds the scrape longer.</summary>
    public static readonly TimeSpan EntityAskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a scrape waits for the node's shard region to list its shards and entities.</summary>
    public static readonly TimeSpan RegionStateTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long the leader waits for the AlertManager and the target registry.</summary>
    public static readonly TimeSpan ClusterPartTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The most one scrape takes (below Prometheus' default scrape_timeout of 10 s); what is not in by then is left out.</summary>
    public static readonly TimeSpan ScrapeBudget = TimeSpan.FromSeconds(8);

    /// <summary>
    /// How long a target that is still on this node but does not answer keeps the values of its last answer; after that its
    /// series are left out until it answers again.
    /// </summary>
    public static readonly TimeSpan KeepUnansweredFor = TimeSpan.FromMinutes(2);

    private const string TargetLabel = "target";
    private const string PercentileLabel = "percentile";

    private readonly ActorSystem _system;
    private readonly ActorRegistry _actors;
    private readonly IClock _clock;
    private readonly ILogger _log;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly IMetricFactory _factory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, TargetFamily> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TargetSeries> _targets = new(StringComparer.Ordinal);

    private readonly Gauge _nodeInfo, _leader, _nodeTargets, _scrapeErrors, _scrapeKept, _scrapeDuration, _residentMemory, _threads, _heap;
    private readonly Gauge _members, _unreachable, _alerts, _unacknowledged, _known;

    /// <summary>A node's metrics over its actor system and registry.</summary>
    public NodeMetrics(ActorSystem system, ActorRegistry actors, IClock? clock = null, ILogger<NodeMetrics>? log = null)
    {
        _system = system;
        _actors = actors;
        _clock = clock ?? SystemClock.Instance;
        _log = log ?? (ILogger)NullLogger.Instance;
        // process_cpu_seconds_total, process_start_time_seconds, process_working_set_bytes, dotnet_collection_count_total, …
        DotNetStats.Register(_registry);
        _factory = Metrics.WithCustomRegistry(_registry);
        var leaderOnly = new GaugeConfiguration { SuppressInitialValue = true };

        _nodeInfo = _factory.CreateGauge("configmonitor_node_info",
            "Always 1; names this node (its Akka address) and its version. Join on instance to tell nodes apart.", ["node", "version"]);
        _leader = _factory.CreateGauge("configmonitor_cluster_leader",
            "1 on the node that is the cluster leader in its own view, 0 elsewhere; the leader alone exposes the cluster-wide families.");
        _nodeTargets = _factory.CreateGauge("configmonitor_node_targets",
            "Targets this node monitors (its TargetMonitor entities); the sum over nodes is the number of monitored targets.");
        _scrapeErrors = _factory.CreateGauge("configmonitor_scrape_errors",
            "Parts of this scrape that did not answer in time: a target's store, a shard, the shard region, the AlertManager or the target registry.");
        _scrapeKept = _factory.CreateGauge("configmonitor_scrape_kept_targets",
            "Targets on this node that did not answer this scrape and are served with the values of their last answer (at most 2 minutes old).");
        _scrapeDuration = _factory.CreateGauge("configmonitor_scrape_duration_seconds", "How long the last scrape took to gather its figures.");
        _residentMemory = _factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        _threads = _factory.CreateGauge("process_threads", "Threads of the process.");
        _heap = _factory.CreateGauge("dotnet_gc_heap_bytes", "Bytes on the managed heap.");

        _members = _factory.CreateGauge("configmonitor_cluster_members",
            "Cluster members by status, as the leader sees them (leader only).", ["status"]);
        _unreachable = _factory.CreateGauge("configmonitor_cluster_unreachable_members",
            "Members the leader cannot reach (leader only).", leaderOnly);
        _alerts = _factory.CreateGauge("configmonitor_alerts", "Retained alerts by severity and state (leader only).", ["severity", "state"]);
        _unacknowledged = _factory.CreateGauge("configmonitor_alerts_unacknowledged",
            "Alerts not yet acknowledged, by severity (leader only).", ["severity"]);
        _known = _factory.CreateGauge("configmonitor_targets", "Targets known to the target registry (leader only).", leaderOnly);
    }

    /// <summary>Refreshes every figure and writes the exposition; one scrape at a time (a second waits for the first).</summary>
    public async Task<byte[]> ScrapeAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            using var text = new MemoryStream();
            await _registry.CollectAndExportAsTextAsync(text, ExpositionFormat.PrometheusText, ct).ConfigureAwait(false);
            return text.ToArray();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(ScrapeBudget);
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        var self = state.Members.FirstOrDefault(m => m.Address == cluster.SelfAddress);
        _nodeInfo.WithLabels(cluster.SelfAddress.ToString(), self?.AppVersion.ToString() ?? "").Set(1);
        var isLeader = state.Leader is { } leader && leader == cluster.SelfAddress;
        _leader.Set(isLeader ? 1 : 0);

        var clusterErrors = isLeader ? ClusterFiguresAsync(state, budget.Token) : Task.FromResult(ClearClusterFigures());
        var targetErrors = TargetFiguresAsync(budget.Token);
        var errors = await clusterErrors.ConfigureAwait(false) + await targetErrors.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        using (var process = Process.GetCurrentProcess())
        {
            _residentMemory.Set(process.WorkingSet64);
            _threads.Set(process.Threads.Count);
        }
        _heap.Set(GC.GetTotalMemory(false));
        _scrapeErrors.Set(errors);
        _scrapeDuration.Set(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>This node's targets: asks its own region which entities it runs, then each of their stores; answers the errors.</summary>
    private async Task<int> TargetFiguresAsync(CancellationToken ct)
    {
        if (!_actors.TryGet<TargetMonitorRegion>(out var monitors) || !_actors.TryGet<MetricsStoreRegion>(out var stores))
            return 1; // still starting: nothing is served yet
        LocalTargets local;
        try
        {
            local = await LocalTargets.ReadAsync(monitors, RegionStateTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            // Which targets are here is unknown this time: serve what the last scrape had, until it is too old.
            _log.LogDebug("The TargetMonitor shard region did not list its shards within {Timeout}; serving the last scrape's targets",
                RegionStateTimeout);
            DropUnansweredTooLong();
            _scrapeKept.Set(_targets.Count);
            return 1;
        }

        // Through the region: the store of a target monitored here is asked where it runs (here, once the monitor and its
        // store share a node), and one that is slow or gone costs at most EntityAskTimeout, all asks at once.
        var answers = await Task.WhenAll(local.Targets.Select(id => OverviewAsync(stores, id, ct))).ConfigureAwait(false);
        var now = _clock.UtcNow;
        var unanswered = 0;
        foreach (var (id, overview) in answers)
        {
            if (overview is null) unanswered++;
            else Apply(id, overview, now);
        }
        foreach (var id in _targets.Keys.Where(id => !local.Targets.Contains(id) && !local.FailedShards.Contains(LocalTargets.ShardOf(id))).ToList())
            RemoveTarget(id); // removed, or moved to another node: its series leave this node's output now
        DropUnansweredTooLong();
        _scrapeKept.Set(_targets.Values.Count(t => t.AnsweredAt < now));
        _nodeTargets.Set(local.Targets.Count);
        if (unanswered > 0)
            _log.LogDebug("{Unanswered} of {Targets} targets did not answer /metrics within {Timeout}; their last values are served",
                unanswered, local.Targets.Count, EntityAskTimeout);
        return unanswered + local.FailedShards.Count;
    }

    private async Task<(string Id, MetricsQueries.MetricsOverview? Overview)> OverviewAsync(IActorRef stores, string id, CancellationToken ct)
    {
        try
        {
            return (id, await stores.Ask<MetricsQueries.MetricsOverview>(new MetricsQueries.GetMetricsOverview(id, SummaryWindow), EntityAskTimeout, ct)
                .ConfigureAwait(false));
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException or MetricsStoreUnavailableException)
        {
            return (id, null);
        }
    }

    private void DropUnansweredTooLong()
    {
        var cutoff = _clock.UtcNow - KeepUnansweredFor;
        foreach (var id in _targets.Where(t => t.Value.AnsweredAt < cutoff).Select(t => t.Key).ToList()) RemoveTarget(id);
    }

    /// <summary>Sets the series of one answer and removes those of its earlier answers it no longer has.</summary>
    private void Apply(string target, MetricsQueries.MetricsOverview overview, DateTimeOffset now)
    {
        var keys = new HashSet<SeriesKey>();
        void Set(string family, string kind, string help, string? percentile, double value)
        {
            if (!_families.TryGetValue(family, out var f))
                _families[family] = f = new TargetFamily(_factory, family, kind, help, percentile is not null);
            f.Set(target, percentile, value);
            keys.Add(new SeriesKey(family, percentile));
        }

        foreach (var sample in overview.Latest)
        {
            var (name, scale) = PrometheusNames.Convert(sample.Metric);
            var kind = name.EndsWith("_total", StringComparison.Ordinal) ? "counter" : "gauge";
            Set(name, kind, $"Latest sample of {sample.Metric} per target{UnitNote(scale)}.", null, sample.Value * scale);
        }
        var window = Durations.Format(SummaryWindow);
        foreach (var s in overview.Summaries.Where(s => s.Count > 0))
        {
            var (baseName, scale) = PrometheusNames.Convert(s.Metric);
            var unit = UnitNote(scale);
            foreach (var (percentile, value) in new[] { ("50", s.P50), ("95", s.P95), ("99", s.P99) })
                if (value is not null)
                    Set($"{baseName}_window_percentile", "gauge", $"Percentiles of {s.Metric} over the last {window} per target{unit}.", percentile, value.Value * scale);
            Set($"{baseName}_window_samples", "gauge", $"Samples of {s.Metric} in the last {window} per target.", null, s.Count);
            if (s.Average is { } average)
                Set($"{baseName}_window_average", "gauge", $"The average of {s.Metric} over the last {window} per target{unit}.", null, average * scale);
            if (s.Min is { } min)
                Set($"{baseName}_window_min", "gauge", $"The minimum of {s.Metric} over the last {window} per target{unit}.", null, min * scale);
            if (s.Max is { } max)
                Set($"{baseName}_window_max", "gauge", $"The maximum of {s.Metric} over the last {window} per target{unit}.", null, max * scale);
        }

        if (_targets.TryGetValue(target, out var before))
            foreach (var gone in before.Keys.Where(k => !keys.Contains(k)))
                _families[gone.Family].Remove(target, gone.Percentile);
        _targets[target] = new TargetSeries(keys, now);
    }

    private void RemoveTarget(string target)
    {
        if (!_targets.Remove(target, out var series)) return;
        foreach (var key in series.Keys) _families[key.Family].Remove(target, key.Percentile);
    }

    /// <summary>The leader's cluster-wide figures; answers the parts that did not answer.</summary>
    private async Task<int> ClusterFiguresAsync(ClusterEvent.CurrentClusterState state, CancellationToken ct)
    {
        foreach (var status in Enum.GetValues<MemberStatus>())
            _members.WithLabels(status.ToString().ToLowerInvariant()).Set(state.Members.Count(m => m.Status == status));
        _unreachable.Set(state.Unreachable.Count);

        var errors = 0;
        var known = KnownTargetsAsync(ct);
        var alerts = AlertsAsync(ct);
        if (await known.ConfigureAwait(false) is { } total) _known.Set(total);
        else
        {
            _known.Unpublish();
            errors++;
        }
        if (await alerts.ConfigureAwait(false) is { } list)
        {
            foreach (var severity in Enum.GetValues<AlertSeverity>())
            {
                foreach (var alertState in Enum.GetValues<AlertState>())
                    _alerts.WithLabels(AlertNames.Severity(severity), alertState.ToString().ToLowerInvariant())
                        .Set(list.Alerts.Count(a => a.Severity == severity && a.State == alertState));
                _unacknowledged.WithLabels(AlertNames.Severity(severity)).Set(list.Alerts.Count(a => a.Severity == severity && !a.Acknowledged));
            }
        }
        else
        {
            RemoveAll(_alerts);
            RemoveAll(_unacknowledged);
            errors++;
        }
        return errors;
    }

    private async Task<int?> KnownTargetsAsync(CancellationToken ct)
    {
        if (!_actors.TryGet<TargetRegistry>(out var registry)) return null;
        try
        {
            var page = await registry.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTargets(Limit: 1), ClusterPartTimeout, ct)
                .ConfigureAwait(false);
            return page.Total;
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<AlertQueries.AlertList?> AlertsAsync(CancellationToken ct)
    {
        if (!_actors.TryGet<AlertManager>(out var alerts)) return null;
        try
        {
            return await AlertQueries.AllAlertsAsync(alerts, false, ClusterPartTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A node that is not the leader exposes no cluster-wide series (the leader does): no double counting.</summary>
    private int ClearClusterFigures()
    {
        RemoveAll(_members);
        _unreachable.Unpublish();
        RemoveAll(_alerts);
        RemoveAll(_unacknowledged);
        _known.Unpublish();
        return 0;
    }

    private static void RemoveAll(Gauge gauge)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList()) gauge.RemoveLabelled(labels);
    }

    private static string UnitNote(double scale) => scale switch
    {
        0.001 => " (recorded in ms, exposed in seconds)",
        1024d * 1024d => " (recorded in MB, exposed in bytes)",
        _ => "",
    };

    private readonly record struct SeriesKey(string Family, string? Percentile);

    private sealed record TargetSeries(HashSet<SeriesKey> Keys, DateTimeOffset AnsweredAt);

    /// <summary>One per-target family: a gauge, or a counter for the <c>_total</c> metrics (a value that went down is a reset).</summary>
    private sealed class TargetFamily
    {
        private readonly Gauge? _gauge;
        private readonly Counter? _counter;

        public TargetFamily(IMetricFactory factory, string name, string kind, string help, bool hasPercentile)
        {
            string[] labels = hasPercentile ? [TargetLabel, PercentileLabel] : [TargetLabel];
            if (kind == "counter") _counter = factory.CreateCounter(name, help, labels);
            else _gauge = factory.CreateGauge(name, help, labels);
        }

        public void Set(string target, string? percentile, double value)
        {
            var labels = Labels(target, percentile);
            if (_gauge is not null)
            {
                _gauge.WithLabels(labels).Set(value);
                return;
            }
            var child = _counter!.WithLabels(labels);
            if (value < child.Value)
            {
                child.Remove();
                child = _counter.WithLabels(labels);
            }
            child.IncTo(value);
        }

        public void Remove(string target, string? percentile)
        {
            var labels = Labels(target, percentile);
            if (_gauge is not null) _gauge.RemoveLabelled(labels);
            else _counter!.RemoveLabelled(labels);
        }

        private static string[] Labels(string target, string? percentile) => percentile is null ? [target] : [target, percentile];
    }
}
