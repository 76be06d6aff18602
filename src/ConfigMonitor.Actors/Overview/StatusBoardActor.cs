using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using static ConfigMonitor.Actors.Overview.StatusBoardCommands;
using static ConfigMonitor.Actors.Overview.StatusBoardQueries;

namespace ConfigMonitor.Actors.Overview;

/// <summary>
/// The node's status board at <c>/user/status-board</c> (<see cref="Path"/>): every target entity of the node tells it its summary when
/// it changes and its removal when it stops, so the overview is read here, never by asking each entity or probing a service.
/// <c>GET /api/status</c> asks the board of every Up member and merges their pages (<see cref="StatusBoard.Merge"/>).
/// </summary>
public sealed class StatusBoardActor : UntypedActor, IWithTimers
{
    /// <summary>
    /// How long the board remembers a member downed or removed from the cluster: <c>GET /api/status</c> names it as not answering
    /// while its targets are not yet listed on another node (a crashed member's shards start elsewhere some seconds after its removal).
    /// </summary>
    public static readonly TimeSpan LostMemberMemory = TimeSpan.FromMinutes(2);

    /// <summary>The board's name under /user.</summary>
    public const string Name = "status-board";

    /// <summary>The board's path on every node (what another node's ActorSelection names).</summary>
    public const string Path = "/user/" + Name;

    private readonly StatusBoard _board = new();

    private readonly SortedSet<string> _lost = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(Akka.Cluster.ClusterEvent.MemberDowned), typeof(Akka.Cluster.ClusterEvent.MemberRemoved));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TargetSummaryChanged changed:
                _board.Upsert(changed.Summary);
                break;
            case TargetSummaryRemoved removed:
                _board.Remove(removed.TargetId);
                break;
            case GetStatusPage query:
                Sender.Tell(_board.Query(query));
                break;
            // Remembered from its downing, before the cluster removes it, so the route never sees it gone but not yet remembered.
            case Akka.Cluster.ClusterEvent.MemberDowned or Akka.Cluster.ClusterEvent.MemberRemoved:
                var address = ((Akka.Cluster.ClusterEvent.MemberStatusChange)message).Member.Address.ToString();
                _lost.Add(address);
                Timers.StartSingleTimer(address, new ForgetLostMember(address), LostMemberMemory);
                break;
            case ForgetLostMember forget:
                _lost.Remove(forget.Address);
                break;
            case GetLostMembers:
                Sender.Tell(new LostMembers(_lost.ToList()));
                break;
            case Akka.Cluster.ClusterEvent.CurrentClusterState:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private sealed record ForgetLostMember(string Address);

    /// <summary>Props for the board.</summary>
    public static Props Props() => ActorProps.Of(() => new StatusBoardActor());
}

/// <summary>Starts the node's status board.</summary>
public static class StatusBoardHosting
{
    /// <summary>The status board at <see cref="StatusBoardActor.Path"/>, registered under <see cref="StatusBoardKey"/>; start it before the target entities.</summary>
    public static AkkaConfigurationBuilder AddStatusBoard(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) => registry.Register<StatusBoardKey>(system.ActorOf(StatusBoardActor.Props(), StatusBoardActor.Name)));
}

/// <summary>Registry key of the node's <see cref="StatusBoardActor"/>.</summary>
public sealed class StatusBoardKey;
