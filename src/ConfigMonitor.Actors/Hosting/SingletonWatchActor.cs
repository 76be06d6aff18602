using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;
using ConfigMonitor.Actors.Time;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// Says when one of the node's singletons cannot be found, and when it is found again.
/// <para>
/// The singleton proxies' own report of this (Akka.NET 1.5.74) fires the moment a proxy starts looking, so every start
/// and every change of the oldest node logged "failed to find an associated singleton … after 30 seconds" for each
/// singleton (akka.net#8568). The node turns that report off and watches here instead. When the proxies start looking
/// (this node Up, or the oldest member of the role changed), every singleton counts as missing until a proxy publishes
/// <see cref="ClusterSingletonProxy.IdentifySingletonResult"/> for it on the event stream. One still missing
/// <c>warnAfter</c> later is asked for directly (Identify at <c>/user/{name}/{name}</c> on the oldest member), and
/// reported only if it does not answer before the next check; the report repeats once per <c>warnAfter</c> until it is
/// found. Singletons live at that path under Akka.Hosting's <c>WithSingleton</c>.
/// </para>
/// </summary>
public sealed class SingletonWatchActor : UntypedActor, IWithTimers
{
    private sealed class Check : INoSerializationVerificationNeeded
    {
        public static readonly Check Instance = new();
    }

    private sealed class Missing(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;
        public bool Asked { get; set; }
        public DateTimeOffset? Warned { get; set; }
    }

    private readonly IReadOnlyList<string> _names;
    private readonly string _role;
    private readonly TimeSpan _warnAfter;
    private readonly IClock _clock;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Missing> _missing = new(StringComparer.Ordinal);
    private ImmutableSortedSet<Member> _up = ImmutableSortedSet<Member>.Empty.WithComparer(Member.AgeOrdering);
    private bool _selfUp;

    /// <summary>Watches the singletons <paramref name="names"/> of <paramref name="role"/>.</summary>
    public SingletonWatchActor(IReadOnlyList<string> names, string role, TimeSpan warnAfter, IClock clock)
    {
        _names = names;
        _role = role;
        _warnAfter = warnAfter;
        _clock = clock;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(ClusterSingletonProxy.IdentifySingletonResult));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("check", Check.Instance, TimeSpan.FromTicks(Math.Max(_warnAfter.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks)));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterEvent.CurrentClusterState state:
                Track(() => _up = state.Members.Where(Counts).ToImmutableSortedSet(Member.AgeOrdering));
                break;
            case ClusterEvent.MemberUp up when Counts(up.Member):
                Track(() => _up = _up.Remove(up.Member).Add(up.Member));
                break;
            case ClusterEvent.MemberExited or ClusterEvent.MemberRemoved:
                var gone = ((ClusterEvent.MemberStatusChange)message).Member;
                Track(() => _up = _up.Remove(gone));
                break;
            case ClusterEvent.IMemberEvent:
                break;
            case ClusterSingletonProxy.IdentifySingletonResult { Result: ClusterSingletonProxy.IdentifyResult.Success } found:
                Found(found.SingletonName);
                break;
            case ClusterSingletonProxy.IdentifySingletonResult:
                break;
            case ActorIdentity { MessageId: string name, Subject: not null }:
                Found(name);
                break;
            case ActorIdentity:
                break; // not there: reported at the next check if still missing
            case Check:
                Warn();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private bool Counts(Member member) => member.Status == MemberStatus.Up && (string.IsNullOrEmpty(_role) || member.HasRole(_role));

    /// <summary>When this node comes up or the oldest member of the role changes, the proxies look for every singleton again.</summary>
    private void Track(Action change)
    {
        var before = _up.FirstOrDefault();
        change();
        var wasUp = _selfUp;
        _selfUp = _cluster.SelfMember.Status == MemberStatus.Up || _up.Any(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        if (!_selfUp || (wasUp && Equals(before, _up.FirstOrDefault()))) return;
        var now = _clock.UtcNow;
        foreach (var name in _names) _missing[name] = new Missing(now);
    }

    private void Found(string name)
    {
        if (_missing.Remove(name, out var missing) && missing.Warned is not null)
            _log.Info("Singleton '{0}' found after {1:0} s", name, (_clock.UtcNow - missing.Since).TotalSeconds);
    }

    private void Warn()
    {
        var now = _clock.UtcNow;
        var oldest = _up.FirstOrDefault();
        foreach (var (name, missing) in _missing)
        {
            if (now - missing.Since < _warnAfter) continue;
            if (missing.Asked && (missing.Warned is not { } last || now - last >= _warnAfter))
            {
                _log.Warning("Singleton '{0}' not found {1:0} s after its proxy started looking; messages to it wait in the proxy. {2}",
                    name, (now - missing.Since).TotalSeconds,
                    oldest is null
                        ? $"No member with role '{_role}' is Up."
                        : $"It should run on the oldest member with role '{_role}', {oldest.Address}: is that node started with the same singleton name and role?");
                missing.Warned = now;
            }
            if (oldest is null) continue;
            Context.ActorSelection(new RootActorPath(oldest.Address) / "user" / name / name).Tell(new Identify(name));
            missing.Asked = true;
        }
    }

    /// <summary>Props for the watch of <paramref name="names"/>.</summary>
    public static Props Props(IReadOnlyList<string> names, string role, TimeSpan warnAfter, IClock clock) =>
        ActorProps.Of(() => new SingletonWatchActor(names, role, warnAfter, clock));
}
