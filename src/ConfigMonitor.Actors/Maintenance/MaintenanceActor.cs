using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Maintenance.MaintenanceCommands;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Maintenance;

/// <summary>
/// The cluster singleton that keeps the system tidy and checks what loops cannot: hourly retention of metrics and
/// acknowledged alerts, and an event-system round trip on every target (a lost event is an alert).
/// </summary>
public sealed class MaintenanceActor : ReceiveActor, IWithTimers
{
    /// <summary>The rule of a lost change event.</summary>
    public const string EventDeliveryRule = "event_delivery";

    private sealed class RetentionTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly RetentionTick Instance = new();
    }

    private sealed class EventProbeTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static readonly EventProbeTick Instance = new();
    }

    private sealed record ProbeTargets(IReadOnlyList<TargetDefinition> Targets, IActorRef? ReplyTo) : INoSerializationVerificationNeeded;

    private sealed record RetentionDone(RetentionCompleted Completed) : INoSerializationVerificationNeeded;

    private sealed record Failed(string What, Exception Cause) : INoSerializationVerificationNeeded;

    private readonly MaintenanceSettings _settings;
    private readonly IActorRef _targetRegistry;
    private readonly IActorRef _targets;
    private readonly IActorRef _alertManager;
    private readonly IClock _clock;
    private readonly AdapterFactory _adapterFactory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef?> _probesInFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _eventProbesFailing = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _retentionWaiters = [];
    private bool _retentionRunning;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Creates the singleton: it reads the targets from <paramref name="targetRegistry"/>, tells each target's entity through
    /// <paramref name="targets"/> (the target region) its event probes' samples, status and observations and asks it to prune
    /// its metrics, and asks <paramref name="alertManager"/> to prune the alert book.
    /// </summary>
    public MaintenanceActor(MaintenanceSettings settings, IActorRef targetRegistry, IActorRef targets, IActorRef alertManager,
        IClock clock, AdapterFactory adapterFactory)
    {
        _settings = settings;
        _targetRegistry = targetRegistry;
        _targets = targets;
        _alertManager = alertManager;
        _clock = clock;
        _adapterFactory = adapterFactory;

        Receive<RetentionTick>(_ => StartRetention(null));
        Receive<RunRetention>(_ => StartRetention(Sender));
        Receive<RetentionDone>(done =>
        {
            _retentionRunning = false;
            var r = done.Completed;
            _log.Info("Retention: {0} samples older than {1:u} removed over {2} targets, {3} acknowledged alerts resolved before {4:u} removed{5}",
                r.SamplesRemoved, r.MetricsCutoff, r.Targets, r.AlertsRemoved, r.AlertsCutoff,
                r.Errors.Count == 0 ? "" : $"; problems: {string.Join("; ", r.Errors)}");
            foreach (var waiter in _retentionWaiters) waiter.Tell(r);
            _retentionWaiters.Clear();
        });
        Receive<EventProbeTick>(_ => RequestTargets(null));
        Receive<RunEventProbes>(_ => RequestTargets(Sender));
        Receive<ProbeTargets>(p =>
        {
            foreach (var target in p.Targets) StartEventProbe(target, p.ReplyTo);
        });
        Receive<EventProbeResult>(Record);
        Receive<Failed>(f =>
        {
            if (f.What == "retention")
            {
                _retentionRunning = false;
                foreach (var waiter in _retentionWaiters) waiter.Tell(new Status.Failure(f.Cause));
                _retentionWaiters.Clear();
            }
            _log.Error(f.Cause, "Maintenance: {0} could not run: {1}", f.What, f.Cause.Message);
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info("Maintenance singleton started: retention every {0} (metrics {1}, acknowledged alerts {2}), event probes every {3}",
            Durations.Format(_settings.RetentionInterval), Durations.Format(_settings.MetricsRetention),
            Durations.Format(_settings.AcknowledgedAlertRetention), Durations.Format(_settings.EventProbeInterval));
        Timers.StartPeriodicTimer("retention", RetentionTick.Instance, _settings.RetentionInterval);
        Timers.StartPeriodicTimer("event-probe", EventProbeTick.Instance, TimeSpan.FromSeconds(1), _settings.EventProbeInterval);
    }

    private void RequestTargets(IActorRef? replyTo)
    {
        TargetPages.AllAsync(_targetRegistry, _settings.RequestTimeout)
            .PipeTo(Self, success: list => new ProbeTargets(list.Targets, replyTo), failure: cause => new Failed("event probe", cause));
    }

    private void StartEventProbe(TargetDefinition target, IActorRef? replyTo)
    {
        if (_probesInFlight.ContainsKey(target.Id)) return;
        IConfigServiceAdapter adapter;
        try
        {
            adapter = _adapterFactory(Context.System, target);
        }
        catch (Exception e)
        {
            _log.Error("Target {0}: event probe cannot start: {1}", target.Id, Redaction.Redact(e.Message));
            return;
        }
        // A target without an events facet has no round trip to time: nothing is recorded, nothing alerts.
        if (adapter.KindOf(FacetNames.Events) == FacetKinds.None) return;
        _probesInFlight[target.Id] = replyTo;
        Context.ActorOf(EventProbeActor.Props(target, adapter, _clock, Self));
    }

    private void Record(EventProbeResult result)
    {
        _probesInFlight.Remove(result.TargetId, out var replyTo);
        var samples = new List<MetricSample> { new(MetricNames.EventDelivered, result.Delivered ? 1 : 0, result.StartedAt) };
        if (result.RoundTripMs is { } ms) samples.Add(new MetricSample(MetricNames.EventRoundTripMs, ms, result.StartedAt));
        _targets.Tell(new MetricsCommands.RecordSamples(result.TargetId, samples));
        // The target's entity keeps the events facet's status (service_adapters reports it per facet).
        _targets.Tell(new Monitoring.TargetMonitorCommands.EventProbeReported(result.TargetId, result.StartedAt,
            result.Delivered && result.Error is null ? null : result.Error ?? "change event lost"));
        // The target's entity evaluates it with the loops' observations.
        _targets.Tell(new Observation(result.TargetId, AlertCategory.EventSystem, EventDeliveryRule, !result.Delivered,
            AlertSeverity.Critical,
            result.Delivered ? $"change event arrived in {result.RoundTripMs:0.#} ms" : $"change event lost: {result.Error}",
            result.StartedAt, result.RoundTripMs));
        // A change of state is news (failing, or ok again); each ok probe of 10,000 targets is Debug.
        if (result.Delivered)
        {
            if (_eventProbesFailing.Remove(result.TargetId))
                _log.Info("Target {0}: event probe ok again: change event arrived {1:0.#} ms after subscribing", result.TargetId, result.RoundTripMs);
            else
                _log.Debug("Target {0}: event probe ok: change event arrived {1:0.#} ms after subscribing", result.TargetId, result.RoundTripMs);
        }
        else if (_eventProbesFailing.Add(result.TargetId))
            _log.Warning("Target {0}: event probe failed: {1}", result.TargetId, result.Error);
        else
            _log.Debug("Target {0}: event probe failed again: {1}", result.TargetId, result.Error);
        replyTo?.Tell(result);
    }

    private void StartRetention(IActorRef? replyTo)
    {
        if (replyTo is not null) _retentionWaiters.Add(replyTo);
        if (_retentionRunning) return; // the running pass answers every waiter
        _retentionRunning = true;
        var now = _clock.UtcNow;
        var metricsCutoff = now - _settings.MetricsRetention;
        var alertsCutoff = now - _settings.AcknowledgedAlertRetention;
        var (registry, metrics, alerts, timeout) = (_targetRegistry, _targets, _alertManager, _settings.RequestTimeout);
        Retention(registry, metrics, alerts, metricsCutoff, alertsCutoff, timeout)
            .PipeTo(Self, success: r => new RetentionDone(r), failure: cause => new Failed("retention", cause));
    }

    private static async Task<RetentionCompleted> Retention(IActorRef registry, IActorRef metrics, IActorRef alerts,
        DateTimeOffset metricsCutoff, DateTimeOffset alertsCutoff, TimeSpan timeout)
    {
        var errors = new List<string>();
        var targets = await TargetPages.AllAsync(registry, timeout)
            .ConfigureAwait(false);
        var prunes = targets.Targets.Select(async t =>
        {
            try
            {
                return (await metrics.Ask<MetricsCommands.MetricsPruned>(new MetricsCommands.PruneMetrics(t.Id, metricsCutoff), timeout)
                    .ConfigureAwait(false)).RemovedSamples;
            }
            catch (Exception e)
            {
                lock (errors) errors.Add($"metrics of {t.Id}: {e.Message}");
                return 0;
            }
        }).ToList();
        var removedSamples = (await Task.WhenAll(prunes).ConfigureAwait(false)).Sum();
        var removedAlerts = 0;
        try
        {
            removedAlerts = (await alerts.Ask<AlertCommands.AlertsPruned>(new AlertCommands.PruneAlerts(alertsCutoff), timeout)
                .ConfigureAwait(false)).Removed;
        }
        catch (Exception e)
        {
            errors.Add($"alerts: {e.Message}");
        }
        return new RetentionCompleted(metricsCutoff, alertsCutoff, targets.Targets.Count, removedSamples, removedAlerts, errors);
    }

    /// <summary>Props for the singleton.</summary>
    public static Props Props(MaintenanceSettings settings, IActorRef targetRegistry, IActorRef targets, IActorRef alertManager,
        IClock clock, AdapterFactory adapterFactory) =>
        ActorProps.Of(() => new MaintenanceActor(settings, targetRegistry, targets, alertManager, clock, adapterFactory));
}
