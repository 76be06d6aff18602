using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Npgsql;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// This node's part of the fence at the database (PostgreSQL mode only; SQLite has one node and nothing to fence). At start it
/// registers its incarnation (the application name of its journal sessions) with its Akka address and uid, and puts the fence's
/// trigger on the journal and snapshot tables (<see cref="WriterFenceSchema"/>). From then on it fences every member the cluster
/// downs, and a new MetricsStore waits (<see cref="WhenSettled"/>) until every fence this node knows of has landed before it
/// reads its journal, so a removed node can neither write after the survivor's recovery nor commit a batch it began before.
/// When the fence refuses this node's own writes, the node was removed: it shuts down once, to be restarted (exit code 3).
/// </summary>
public sealed class WriterFence : IExtension
{
    /// <summary>How long one fence attempt (record the member, end its sessions) may take.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The pause before a failed fence attempt is tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the node waits at start for the journal to create its tables, so the trigger can be put on them.</summary>
    public static readonly TimeSpan TablesTimeout = TimeSpan.FromSeconds(60);

    // A persistence id nothing writes: asked once at start, so that the journal and snapshot store initialise.
    private const string StartProbeId = "configmonitor-writer-fence-start";

    private readonly ActorSystem _system;
    private readonly string _connectionString;
    private readonly ILoggingAdapter _log;
    private readonly Dictionary<UniqueAddress, Task> _fences = [];
    private int _refused;

    private WriterFence(ActorSystem system, Guid incarnation, string connectionString)
    {
        _system = system;
        Incarnation = incarnation;
        _connectionString = connectionString;
        _log = Logging.GetLogger(system, "ConfigMonitor.WriterFence");
    }

    /// <summary>This node process's incarnation.</summary>
    public Guid Incarnation { get; }

    /// <summary>The fence of <paramref name="system"/>; null when it has none (SQLite mode, or a system built without persistence).</summary>
    public static WriterFence? For(ActorSystem system) => system.HasExtension<WriterFence>() ? system.GetExtension<WriterFence>() : null;

    /// <summary>
    /// Registers this node's incarnation, creates the fence's tables and triggers (making the journal and snapshot store start, so
    /// that they create their tables first on an empty database), and starts fencing the members the cluster downs. Run before any
    /// persistent actor starts: on an empty database nothing can have written yet, so nothing escapes the trigger.
    /// </summary>
    public static async Task<WriterFence> StartAsync(ActorSystem system, Guid incarnation, string connectionString)
    {
        var fence = new WriterFence(system, incarnation, connectionString);
        system.RegisterExtension(new WriterFenceProvider(fence));
        var self = Cluster.Get(system).SelfUniqueAddress;
        await using (var connection = await fence.OpenAsync(CancellationToken.None))
        {
            var missing = await WriterFenceSchema.EnsureAsync(connection, CancellationToken.None);
            await WriterFenceSchema.RegisterAsync(connection, incarnation, self.Address.ToString(), self.Uid, CancellationToken.None);
            if (missing.Count > 0)
            {
                // A new database: the journal creates its tables when it starts (auto-initialize). One node at a time starts it
                // now (the others wait for the lock and then find the tables), and the trigger goes on the tables at once; nothing
                // has written yet, so no write escapes the fence.
                await WriterFenceSchema.LockJournalCreationAsync(connection, CancellationToken.None);
                try
                {
                    missing = await WriterFenceSchema.EnsureAsync(connection, CancellationToken.None);
                    if (missing.Count > 0)
                    {
                        // Each plugin answers only once it has initialised (it stashes until then): all its tables exist then.
                        var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
                        try
                        {
                            await Task.WhenAll(
                                persistence.JournalFor(null).Ask<object>((IActorRef r) => new Akka.Persistence.ReplayMessages(0, 0, 0, StartProbeId, r), TablesTimeout, CancellationToken.None),
                                persistence.SnapshotStoreFor(null).Ask<object>(
                                    new Akka.Persistence.LoadSnapshot(StartProbeId, Akka.Persistence.SnapshotSelectionCriteria.None, 0), TablesTimeout));
                        }
                        catch (AskTimeoutException)
                        {
                            // Reported below with the tables still missing.
                        }
                        missing = await WriterFenceSchema.EnsureAsync(connection, CancellationToken.None);
                        if (missing.Count > 0)
                            throw new InvalidOperationException(
                                $"the journal did not create its table(s) {string.Join(", ", missing)} within {TablesTimeout.TotalSeconds:0} s, " +
                                "so the writer fence cannot be put on them; see the journal's errors above");
                    }
                }
                finally
                {
                    await WriterFenceSchema.UnlockJournalCreationAsync(connection, CancellationToken.None);
                }
            }
        }
        system.ActorOf(ActorProps.Of(() => new WriterFenceWatch(fence)), "writer-fence");
        fence._log.Info("Journal writes of this node go through the writer fence as incarnation {0} ({1}, uid {2})",
            WriterFenceSchema.Incarnation(incarnation), self.Address, self.Uid);
        return fence;
    }

    /// <summary>
    /// Completes once every fence this node has begun has landed, and every member its cluster state shows as down is fenced.
    /// A store waits for it before it reads its journal: the node that hosts a moved target has seen its old owner downed before
    /// the leader removed it and the target moved (removal needs every member to have seen the down).
    /// </summary>
    public Task WhenSettled()
    {
        var cluster = Cluster.Get(_system);
        foreach (var member in cluster.State.Members)
            if (member.Status == MemberStatus.Down && !member.UniqueAddress.Equals(cluster.SelfUniqueAddress))
                Fence(member.UniqueAddress, "downed by the cluster");
        lock (_fences)
        {
            var pending = _fences.Values.Where(t => !t.IsCompleted).ToList();
            return pending.Count == 0 ? Task.CompletedTask : Task.WhenAll(pending);
        }
    }

    /// <summary>Fences <paramref name="member"/> (once per member; retried until it lands or the node stops).</summary>
    public Task Fence(UniqueAddress member, string reason)
    {
        lock (_fences)
        {
            if (_fences.TryGetValue(member, out var running)) return running;
            var task = Task.Run(() => FenceUntilDoneAsync(member, reason));
            _fences[member] = task;
            return task;
        }
    }

    private async Task FenceUntilDoneAsync(UniqueAddress member, string reason)
    {
        var attempts = 0;
        while (!_system.WhenTerminated.IsCompleted)
        {
            attempts++;
            try
            {
                using var timeout = new CancellationTokenSource(AttemptTimeout);
                await using var connection = await OpenAsync(timeout.Token);
                var ended = await WriterFenceSchema.FenceAsync(connection, member.Address.ToString(), member.Uid, reason, TimeSpan.FromSeconds(5), timeout.Token);
                _log.Info("Fenced the journal writes of {0} (uid {1}, {2}): its writes are refused from now on{3}", member.Address, member.Uid, reason,
                    ended > 0 ? $"; ended its {ended} open database session(s)" : "");
                return;
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
            {
                if (attempts == 1)
                    _log.Warning("Could not fence the journal writes of {0} (uid {1}) yet: {2}. New metrics stores on this node wait for it; " +
                                 "trying again every {3:0} s", member.Address, member.Uid, e.Message, RetryInterval.TotalSeconds);
                await Task.Delay(RetryInterval);
            }
        }
    }

    /// <summary>
    /// A write of this node was refused by the fence: the cluster removed this node. The first refusal shuts the node down as a
    /// downed node (exit code 3, so its supervisor restarts it as a new member); later ones are only counted.
    /// </summary>
    public void Refused()
    {
        if (Interlocked.Exchange(ref _refused, 1) != 0) return;
        _log.Error("The journal refuses this node's writes (writer fence): the cluster removed this node and other members own its targets now. " +
                   "It writes nothing more and shuts down to be restarted (exit code 3)");
        CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class WriterFenceProvider(WriterFence fence) : ExtensionIdProvider<WriterFence>
    {
        public override WriterFence CreateExtension(ExtendedActorSystem system) => fence;
    }
}

/// <summary>Fences every member the cluster downs, as soon as this node learns of it (a graceful leave is not fenced).</summary>
internal sealed class WriterFenceWatch : UntypedActor
{
    private readonly WriterFence _fence;

    public WriterFenceWatch(WriterFence fence) => _fence = fence;

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberDowned), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        var self = Cluster.Get(Context.System).SelfUniqueAddress;
        switch (message)
        {
            case ClusterEvent.MemberDowned downed when !downed.Member.UniqueAddress.Equals(self):
                _fence.Fence(downed.Member.UniqueAddress, "downed by the cluster");
                break;
            case ClusterEvent.MemberRemoved { PreviousStatus: MemberStatus.Down } removed when !removed.Member.UniqueAddress.Equals(self):
                _fence.Fence(removed.Member.UniqueAddress, "removed by the cluster after it was downed");
                break;
        }
    }
}
