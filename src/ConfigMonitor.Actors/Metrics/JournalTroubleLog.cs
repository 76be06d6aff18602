using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Metrics;

/// <summary>
/// One line per journal problem for the whole node, not one per target: every <see cref="MetricsStoreHost"/> reports the start of
/// its failure and its end, and <see cref="JournalTroubleLogActor"/> logs one Warning per cause (how many targets, how many
/// unsaved samples kept) and one Information line when every target it hit saves again. Per-target lines are Debug.
/// </summary>
public sealed class JournalTroubleLog : IExtension
{
    private readonly IActorRef _actor;

    /// <summary>The log of <paramref name="system"/>; the first Warning of a cause waits <paramref name="gather"/> for the other targets it hits.</summary>
    public JournalTroubleLog(ExtendedActorSystem system, TimeSpan gather) =>
        _actor = system.SystemActorOf(JournalTroubleLogActor.Props(gather), "journal-trouble-log");

    /// <summary>The store of <paramref name="targetId"/> failed (<paramref name="what"/>, <paramref name="cause"/>) for the first time in a row.</summary>
    public void Failing(string targetId, string what, Exception? cause, long unsaved, TimeSpan maxBackoff) =>
        _actor.Tell(new JournalTroubleLogActor.Failing(targetId, what, Describe(targetId, cause), unsaved, maxBackoff));

    /// <summary>The store of <paramref name="targetId"/> saved again after <paramref name="failures"/> failed attempts.</summary>
    public void SavedAgain(string targetId, int failures) => _actor.Tell(new JournalTroubleLogActor.Ended(targetId, failures, Saved: true));

    /// <summary>The store of <paramref name="targetId"/> stopped (hand-off, removal) while it was failing.</summary>
    public void Gone(string targetId, int failures) => _actor.Tell(new JournalTroubleLogActor.Ended(targetId, failures, Saved: false));

    /// <summary>The cause as one line, the target's own id replaced so that one cause over many targets reads the same.</summary>
    public static string Describe(string targetId, Exception? cause)
    {
        if (cause is null) return "no cause given";
        var line = cause.Message.Split('\n', 2)[0].Trim().TrimEnd('.');
        return targetId.Length == 0 ? line : line.Replace(targetId, "<target>", StringComparison.Ordinal);
    }

    /// <summary>The log of <paramref name="system"/>.</summary>
    public static JournalTroubleLog For(ActorSystem system) => system.WithExtension<JournalTroubleLog, JournalTroubleLogProvider>();
}

/// <summary>Creates the log, gathering for <c>configmonitor.journal-trouble-log.gather</c> (default 1 s).</summary>
public sealed class JournalTroubleLogProvider : ExtensionIdProvider<JournalTroubleLog>
{
    /// <inheritdoc />
    public override JournalTroubleLog CreateExtension(ExtendedActorSystem system) =>
        new(system, system.Settings.Config.GetTimeSpan("configmonitor.journal-trouble-log.gather", TimeSpan.FromSeconds(1)));
}

/// <summary>Groups the stores' journal failures by cause and logs each cause once (see <see cref="JournalTroubleLog"/>).</summary>
public sealed class JournalTroubleLogActor : UntypedActor, IWithTimers
{
    /// <summary>A store's first failure in a row.</summary>
    public sealed record Failing(string TargetId, string What, string Cause, long Unsaved, TimeSpan MaxBackoff) : INoSerializationVerificationNeeded;

    /// <summary>A store saved again (<paramref name="Saved"/>) or stopped while failing.</summary>
    public sealed record Ended(string TargetId, int Failures, bool Saved) : INoSerializationVerificationNeeded;

    private sealed record Announce(string Key) : INoSerializationVerificationNeeded;

    private sealed class Trouble(string what, string cause, TimeSpan maxBackoff)
    {
        public string What { get; } = what;
        public string Cause { get; } = cause;
        public TimeSpan MaxBackoff { get; } = maxBackoff;
        public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);
        public List<string> Hit { get; } = [];
        public long Unsaved { get; set; }
        public long Attempts { get; set; }
        public int SavedAgain { get; set; }
        public int Stopped { get; set; }
        public bool Announced { get; set; }
    }

    private const int NamedTargets = 5;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _gather;
    private readonly Dictionary<string, Trouble> _troubles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _causeOf = new(StringComparer.Ordinal);

    /// <summary>Creates the log actor.</summary>
    public JournalTroubleLogActor(TimeSpan gather) => _gather = gather;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Failing failing:
                OnFailing(failing);
                break;
            case Ended ended:
                OnEnded(ended);
                break;
            case Announce announce when _troubles.TryGetValue(announce.Key, out var trouble):
                AnnounceOnce(trouble);
                break;
            case Announce:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnFailing(Failing failing)
    {
        var key = failing.What + "\n" + failing.Cause;
        if (_causeOf.TryGetValue(failing.TargetId, out var previous) && previous != key) Leave(failing.TargetId, previous, 0, saved: false);
        if (!_troubles.TryGetValue(key, out var trouble))
        {
            _troubles[key] = trouble = new Trouble(failing.What, failing.Cause, failing.MaxBackoff);
            // Gather the other targets the same cause hits (at 10,000 targets they fail within a moment of each other).
            Timers.StartSingleTimer(key, new Announce(key), _gather);
        }
        _causeOf[failing.TargetId] = key;
        if (trouble.Failing.Add(failing.TargetId) && trouble.Hit.Count < NamedTargets) trouble.Hit.Add(failing.TargetId);
        trouble.Unsaved += failing.Unsaved;
        _log.Debug("Metrics of target {0} {1}: {2}; {3} unsaved samples kept in memory", failing.TargetId, failing.What, failing.Cause, failing.Unsaved);
    }

    private void OnEnded(Ended ended)
    {
        if (!_causeOf.TryGetValue(ended.TargetId, out var key)) return;
        _causeOf.Remove(ended.TargetId);
        Leave(ended.TargetId, key, ended.Failures, ended.Saved);
    }

    private void Leave(string targetId, string key, int failures, bool saved)
    {
        if (!_troubles.TryGetValue(key, out var trouble) || !trouble.Failing.Remove(targetId)) return;
        trouble.Attempts += failures;
        if (saved) trouble.SavedAgain++;
        else trouble.Stopped++;
        _log.Debug("Metrics of target {0} {1} after {2} failed attempts", targetId, saved ? "are saved again" : "stopped failing (its store stopped)", failures);
        if (trouble.Failing.Count > 0) return;
        // Every target this cause hit is past it: its warning (if the gathering has not ended yet) and the all-clear.
        AnnounceOnce(trouble);
        Timers.Cancel(key);
        _troubles.Remove(key);
        var total = trouble.SavedAgain + trouble.Stopped;
        _log.Info("Metrics of {0} are saved again after the journal problem '{1}: {2}' ({3} failed attempts in all{4})",
            Targets(total, trouble.Hit), trouble.What, trouble.Cause, trouble.Attempts,
            trouble.Stopped > 0 ? $"; {trouble.Stopped} of them stopped first, by a hand-off or a removal" : "");
    }

    private void AnnounceOnce(Trouble trouble)
    {
        if (trouble.Announced) return;
        trouble.Announced = true;
        _log.Warning("Metrics of {0} {1}: {2}. Their {3} unsaved samples are kept in memory; each store retries, backing off up to {4}, " +
            "and one line follows once all of them save again (each target's attempts are logged at Debug)",
            Targets(trouble.Failing.Count + trouble.SavedAgain + trouble.Stopped, trouble.Hit), trouble.What, trouble.Cause, trouble.Unsaved, Durations.Format(trouble.MaxBackoff));
    }

    private static string Targets(int count, List<string> named) =>
        count <= named.Count
            ? $"{(count == 1 ? "target" : $"{count} targets")} {string.Join(", ", named.Take(count))}"
            : $"{count} targets ({string.Join(", ", named)} and {count - named.Count} more)";

    /// <summary>Props for the log actor.</summary>
    public static Props Props(TimeSpan gather) => ActorProps.Of(() => new JournalTroubleLogActor(gather));
}
