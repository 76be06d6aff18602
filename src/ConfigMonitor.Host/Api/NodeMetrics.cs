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
    private long _scrapes;
    private readonly Dictionary<string, TargetFamily> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TargetFamily> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
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
        _scrapes++;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(ScrapeBudget);
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        var self = state.Members.FirstOrDefault(m => m.Address == cluster.SelfAddress);
        // The version is known once the node is a member: the info series without it then gives way (no stale label set).
        string[] info = [cluster.SelfAddress.ToString(), self?.AppVersion.ToString() ?? ""];
        foreach (var old in _nodeInfo.GetAllLabelValues().Where(l => !l.SequenceEqual(info)).ToList()) _nodeInfo.RemoveLabelled(old);
        _nodeInfo.WithLabels(info).Set(1);
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
        if (!_actors.TryGet<TargetRegion>(out var region))
            return 1; // still starting: nothing is served yet
        LocalTargets local;
        try
        {
            local = await LocalTargets.ReadAsync(region, RegionStateTimeout, ct).ConfigureAwait(false);
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
        var answers = await Task.WhenAll(local.Targets.Select(id => OverviewAsync(region, id, ct))).ConfigureAwait(false);
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
        _scrapeKept.Set(_targets.Values.Count(t => t.AnsweredInScrape != _scrapes));
        _nodeTargets.Set(local.Targets.Count);
        if (unanswered > 0)
            _log.LogDebug("{Unanswered} of {Targets} targets did not answer /metrics within {Timeout}; their last values are served",
                unanswered, local.Targets.Count, EntityAskTimeout);
        return unanswered + local.FailedShards.Count;
    }

    private async Task<(string Id, MetricsQueries.MetricsOverview? Overview)> OverviewAsync(IActorRef region, string id, CancellationToken ct)
    {
        try
        {
            return (id, await region.Ask<MetricsQueries.MetricsOverview>(new MetricsQueries.GetMetricsOverview(id, SummaryWindow), EntityAskTimeout, ct)
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
        if (!_targets.TryGetValue(target, out var series)) _targets[target] = series = new TargetSeries(target);
        var generation = series.Next(now, _scrapes);
        var written = 0;
        foreach (var sample in overview.Latest)
        {
            series.Set(LatestFamily(sample.Metric), 0, sample.Value, generation);
            written++;
        }
        foreach (var s in overview.Summaries)
        {
            if (s.Count == 0) continue;
            var window = WindowFamilies(s.Metric);
            if (s.P50 is { } p50) { series.Set(window.Percentiles, 1, p50, generation); written++; }
            if (s.P95 is { } p95) { series.Set(window.Percentiles, 2, p95, generation); written++; }
            if (s.P99 is { } p99) { series.Set(window.Percentiles, 3, p99, generation); written++; }
            series.Set(window.Samples, 0, s.Count, generation);
            written++;
            if (s.Average is { } average) { series.Set(window.Average, 0, average, generation); written++; }
            if (s.Min is { } min) { series.Set(window.Min, 0, min, generation); written++; }
            if (s.Max is { } max) { series.Set(window.Max, 0, max, generation); written++; }
        }
        if (written != series.Count) series.RemoveOlderThan(generation);
    }

    private TargetFamily LatestFamily(string metric)
    {
        if (_latest.TryGetValue(metric, out var family)) return family;
        var (name, scale) = PrometheusNames.Convert(metric);
        var counter = name.EndsWith("_total", StringComparison.Ordinal);
        return _latest[metric] = Family(name, counter, $"Latest sample of {metric} per target{UnitNote(scale)}.", false, scale);
    }

    private Window WindowFamilies(string metric)
    {
        if (_windows.TryGetValue(metric, out var window)) return window;
        var (baseName, scale) = PrometheusNames.Convert(metric);
        var (over, unit) = ($"{metric} over the last {Durations.Format(SummaryWindow)} per target", UnitNote(scale));
        return _windows[metric] = new Window(
            Family($"{baseName}_window_percentile", false, $"The 50th, 95th and 99th percentile of {over}{unit}.", true, scale),
            Family($"{baseName}_window_samples", false, $"Samples of {over}.", false, 1),
            Family($"{baseName}_window_average", false, $"The average of {over}{unit}.", false, scale),
            Family($"{baseName}_window_min", false, $"The minimum of {over}{unit}.", false, scale),
            Family($"{baseName}_window_max", false, $"The maximum of {over}{unit}.", false, scale));
    }

    // Two of our metric names may map to one Prometheus name: they then share its family.
    private TargetFamily Family(string name, bool counter, string help, bool hasPercentile, double scale)
    {
        if (!_families.TryGetValue(name, out var family)) _families[name] = family = new TargetFamily(_factory, name, counter, help, hasPercentile, scale);
        return family;
    }

    private void RemoveTarget(string target)
    {
        if (_targets.Remove(target, out var series)) series.RemoveAll();
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

    private sealed record Window(TargetFamily Percentiles, TargetFamily Samples, TargetFamily Average, TargetFamily Min, TargetFamily Max);

    /// <summary>A series of a target: its family and its percentile slot (0: none, 1-3: 50th, 95th, 99th).</summary>
    private readonly record struct SeriesKey(TargetFamily Family, int Slot);

    /// <summary>The series one target has on this node, with their prometheus-net children (set directly, no label look-up).</summary>
    private sealed class TargetSeries(string target)
    {
        private readonly Dictionary<SeriesKey, Entry> _series = [];
        private int _generation;

        /// <summary>When the target last answered.</summary>
        public DateTimeOffset AnsweredAt { get; private set; }

        public int Count => _series.Count;

        /// <summary>The number of the scrape it last answered.</summary>
        public long AnsweredInScrape { get; private set; }

        /// <summary>Starts the application of a new answer.</summary>
        public int Next(DateTimeOffset now, long scrape)
        {
            AnsweredAt = now;
            AnsweredInScrape = scrape;
            return ++_generation;
        }

        public void Set(TargetFamily family, int slot, double value, int generation)
        {
            var key = new SeriesKey(family, slot);
            if (!_series.TryGetValue(key, out var entry)) _series[key] = entry = new Entry(family.Child(target, slot));
            entry.Child = family.Set(entry.Child, target, slot, value);
            entry.Generation = generation;
        }

        /// <summary>Removes the series the latest answer did not have.</summary>
        public void RemoveOlderThan(int generation)
        {
            foreach (var (key, entry) in _series.Where(s => s.Value.Generation < generation).ToList())
            {
                entry.Child.Remove();
                _series.Remove(key);
            }
        }

        public void RemoveAll()
        {
            foreach (var entry in _series.Values) entry.Child.Remove();
            _series.Clear();
        }

        private sealed class Entry(ChildBase child)
        {
            public ChildBase Child { get; set; } = child;
            public int Generation { get; set; }
        }
    }

    /// <summary>One per-target family: a gauge, or a counter for the <c>_total</c> metrics (a value that went down is a reset).</summary>
    private sealed class TargetFamily
    {
        private static readonly string[] Percentiles = ["", "50", "95", "99"];
        private readonly Gauge? _gauge;
        private readonly Counter? _counter;
        private readonly double _scale;

        public TargetFamily(IMetricFactory factory, string name, bool counter, string help, bool hasPercentile, double scale)
        {
            string[] labels = hasPercentile ? [TargetLabel, PercentileLabel] : [TargetLabel];
            if (counter) _counter = factory.CreateCounter(name, help, labels);
            else _gauge = factory.CreateGauge(name, help, labels);
            _scale = scale;
        }

        public ChildBase Child(string target, int slot)
        {
            string[] labels = slot == 0 ? [target] : [target, Percentiles[slot]];
            return _gauge is not null ? _gauge.WithLabels(labels) : _counter!.WithLabels(labels);
        }

        /// <summary>Sets the value (in our unit; scaled here) and answers the child to keep (a counter that went down is a new one).</summary>
        public ChildBase Set(ChildBase child, string target, int slot, double value)
        {
            // ms → s divides (0.0087231, not 0.008723100000000001: shorter text, same value).
            value = _scale == 0.001 ? value / 1000 : value * _scale;
            if (child is Gauge.Child gauge)
            {
                gauge.Set(value);
                return child;
            }
            var count = (Counter.Child)child;
            if (value < count.Value)
            {
                count.Remove();
                count = (Counter.Child)Child(target, slot);
            }
            count.IncTo(value);
            return count;
        }
    }
}
