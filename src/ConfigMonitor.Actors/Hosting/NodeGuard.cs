using System.Diagnostics;
using Akka.Actor;
using Akka.Event;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// Notices that this process was away (paused by SIGSTOP, a long GC, a frozen VM) longer than the cluster allows before it may
/// down the node and move its targets (the failure detector's acceptable pause plus the split-brain resolver's stable-after).
/// From then on the node neither probes nor persists (<see cref="IsAway"/>: the loops' ticks and the stores' flushes ask it,
/// because after a resume every overdue timer fires at once, possibly before the watch thread runs), and it shuts down with
/// <see cref="NodeWasAwayReason"/>, which the host maps to the "restart me" exit code. A heartbeat thread of its own, not an
/// actor timer, measures the gap, so a starved dispatcher cannot hide it. A node alone in its cluster carries on: nothing moved.
/// </summary>
public sealed class NodeGuard : IExtension
{
    private static readonly TimeSpan Beat = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ActorSystem _system;
    private long _lastBeatTicks;
    private volatile bool _away;

    /// <summary>The guard of <paramref name="system"/>, allowing a pause of <paramref name="allowedPause"/>.</summary>
    public NodeGuard(ActorSystem system, TimeSpan allowedPause)
    {
        _system = system;
        AllowedPause = allowedPause;
        Volatile.Write(ref _lastBeatTicks, _clock.Elapsed.Ticks);
        var thread = new Thread(Watch) { IsBackground = true, Name = "configmonitor-node-guard", Priority = ThreadPriority.AboveNormal };
        thread.Start();
    }

    /// <summary>The longest gap the node survives: longer, and its targets may already be monitored elsewhere.</summary>
    public TimeSpan AllowedPause { get; }

    /// <summary>
    /// True once the node has been away longer than <see cref="AllowedPause"/>, or while the watch thread has not beaten for
    /// that long (the process just resumed and the thread has not run yet). Nothing may be probed or persisted then.
    /// </summary>
    public bool IsAway => _away || _clock.Elapsed.Ticks - Volatile.Read(ref _lastBeatTicks) > AllowedPause.Ticks;

    private void Watch()
    {
        while (!_system.WhenTerminated.IsCompleted)
        {
            Thread.Sleep(Beat);
            var now = _clock.Elapsed.Ticks;
            var gap = TimeSpan.FromTicks(now - Volatile.Read(ref _lastBeatTicks));
            if (gap > AllowedPause && !_away)
            {
                if (Alone())
                    _system.Log.Warning("This node was away for {0:F1} s; it is alone in its cluster, so nothing moved: it carries on", gap.TotalSeconds);
                else
                {
                    // Set before the beat, so a tick that sees the new beat also sees that the node was away.
                    _away = true;
                    Trip(gap);
                }
            }
            Volatile.Write(ref _lastBeatTicks, now);
        }
    }

    // No other member could have taken its targets over (a one-node cluster, or not a cluster at all).
    private bool Alone() =>
        ((ExtendedActorSystem)_system).Provider is not Akka.Cluster.ClusterActorRefProvider
        || Akka.Cluster.Cluster.Get(_system).State.Members.Count(m => !m.UniqueAddress.Equals(Akka.Cluster.Cluster.Get(_system).SelfUniqueAddress)) == 0;

    private void Trip(TimeSpan gap)
    {
        _system.Log.Error(
            "This node was away for {0:F1} s, longer than the cluster allows ({1:F1} s): its targets may be monitored by other nodes now. " +
            "It stops probing and writing and shuts down to be restarted (exit code 3)", gap.TotalSeconds, AllowedPause.TotalSeconds);
        CoordinatedShutdown.Get(_system).Run(NodeWasAwayReason.Instance);
    }

    /// <summary>The guard of <paramref name="system"/>.</summary>
    public static NodeGuard For(ActorSystem system) => system.WithExtension<NodeGuard, NodeGuardProvider>();
}

/// <summary>Creates the guard with the cluster's own limits: acceptable heartbeat pause plus split-brain resolver stable-after.</summary>
public sealed class NodeGuardProvider : ExtensionIdProvider<NodeGuard>
{
    /// <inheritdoc />
    public override NodeGuard CreateExtension(ExtendedActorSystem system)
    {
        var config = system.Settings.Config;
        var pause = config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause", TimeSpan.FromSeconds(3));
        var stable = config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(20));
        return new NodeGuard(system, pause + stable);
    }
}

/// <summary>The node shut down because it was away longer than the cluster allows: a supervisor should restart it.</summary>
public sealed class NodeWasAwayReason : CoordinatedShutdown.Reason
{
    /// <summary>The one instance.</summary>
    public static readonly NodeWasAwayReason Instance = new();

    private NodeWasAwayReason()
    {
    }

    /// <summary>The "restart me" code (the host's exit-code table: 3, transient).</summary>
    public override int ExitCode => 3;

    /// <inheritdoc />
    public override string ToString() => "the node was away longer than the cluster allows";
}
