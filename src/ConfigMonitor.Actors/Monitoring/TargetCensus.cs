using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Monitoring;

/// <summary>
/// How many targets this node monitors, said in one line instead of one line per target: each monitor reports its start and
/// its stop, and <see cref="TargetCensusActor"/> logs "Monitoring N targets on this node (+added −removed)" once the changes
/// settle. A node of 10,000 targets starting, a rebalance or a leave is one Information line, not 10,000.
/// </summary>
public sealed class TargetCensus : IExtension
{
    private readonly IActorRef _actor;

    /// <summary>The census of <paramref name="system"/>, logging after <paramref name="settings"/>' quiet time.</summary>
    public TargetCensus(ExtendedActorSystem system, TargetCensusSettings settings) =>
        _actor = system.SystemActorOf(TargetCensusActor.Props(settings), "target-census");

    /// <summary>A monitor on this node started monitoring its target.</summary>
    public void Started(string targetId) => _actor.Tell(new TargetCensusActor.Changed(targetId, +1));

    /// <summary>A monitor on this node stopped monitoring its target (removed, handed off, or the node stops).</summary>
    public void Stopped(string targetId) => _actor.Tell(new TargetCensusActor.Changed(targetId, -1));

    /// <summary>The census of <paramref name="system"/>.</summary>
    public static TargetCensus For(ActorSystem system) => system.WithExtension<TargetCensus, TargetCensusProvider>();
}

/// <summary>When the census speaks.</summary>
public sealed record TargetCensusSettings
{
    /// <summary>The line comes once no target started or stopped for this long.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>While targets keep starting or stopping, a line comes at least this often.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Creates the census with the settings under <c>configmonitor.target-census</c> (quiet, max-delay), else the defaults.</summary>
public sealed class TargetCensusProvider : ExtensionIdProvider<TargetCensus>
{
    /// <inheritdoc />
    public override TargetCensus CreateExtension(ExtendedActorSystem system)
    {
        var defaults = new TargetCensusSettings();
        var config = system.Settings.Config;
        return new TargetCensus(system, new TargetCensusSettings
        {
            Quiet = config.GetTimeSpan("configmonitor.target-census.quiet", defaults.Quiet),
            MaxDelay = config.GetTimeSpan("configmonitor.target-census.max-delay", defaults.MaxDelay),
        });
    }
}

/// <summary>Counts the targets this node monitors and logs the count, debounced (see <see cref="TargetCensus"/>).</summary>
public sealed class TargetCensusActor : UntypedActor, IWithTimers
{
    /// <summary>A target started (+1) or stopped (−1) being monitored on this node.</summary>
    public sealed record Changed(string TargetId, int Delta) : INoSerializationVerificationNeeded;

    private sealed class Speak : INoSerializationVerificationNeeded
    {
        public static readonly Speak Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TargetCensusSettings _settings;
    private long _count;
    private long _added;
    private long _removed;
    private DateTime? _firstChange;

    /// <summary>Creates the census actor.</summary>
    public TargetCensusActor(TargetCensusSettings settings) => _settings = settings;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Changed changed:
                _count = Math.Max(0, _count + changed.Delta);
                if (changed.Delta > 0) _added++;
                else _removed++;
                var now = DateTime.UtcNow;
                _firstChange ??= now;
                // Each change pushes the line back by the quiet time, but never past the first change plus the longest delay.
                var due = TimeSpan.FromTicks(Math.Min(_settings.Quiet.Ticks, (_firstChange.Value + _settings.MaxDelay - now).Ticks));
                Timers.StartSingleTimer(nameof(Speak), Speak.Instance, due < TimeSpan.Zero ? TimeSpan.Zero : due);
                break;
            case Speak:
                Say();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Say()
    {
        if (_firstChange is not { } first) return;
        _log.Info("Monitoring {0} {1} on this node (+{2} started, −{3} stopped in the last {4}); each target's start and stop is logged at Debug",
            _count, _count == 1 ? "target" : "targets", _added, _removed, Durations.Format(RoundedUp(DateTime.UtcNow - first)));
        _added = _removed = 0;
        _firstChange = null;
    }

    private static TimeSpan RoundedUp(TimeSpan span) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(span.TotalSeconds)));

    /// <inheritdoc />
    protected override void PostStop()
    {
        // The node stops: say what it held last, if it has not said it yet.
        Say();
        base.PostStop();
    }

    /// <summary>Props for the census actor.</summary>
    public static Props Props(TargetCensusSettings settings) => ActorProps.Of(() => new TargetCensusActor(settings));
}
