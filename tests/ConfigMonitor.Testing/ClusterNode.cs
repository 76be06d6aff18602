using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Testing;

/// <summary>A whole ConfigMonitor node (the library's real wiring) in this process, on a free loopback port, sharing a data folder.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterNode(IHost host) => _host = host;

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public ActorRegistry Registry => _host.Services.GetRequiredService<ActorRegistry>();

    public Akka.Actor.Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    /// <summary>The product's failover settings (akka.hocon), and no leaving on Terminate: <see cref="Crash"/> is then a crash, not a leave.</summary>
    public const string CrashableFailoverHocon = """
        akka.cluster.failure-detector.heartbeat-interval = 1s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
        akka.cluster.down-removal-margin = 1s
        akka.cluster.gossip-interval = 500ms
        akka.cluster.leader-actions-interval = 500ms
        akka.cluster.split-brain-resolver.stable-after = 3s
        akka.cluster.sharding.retry-interval = 1s
        akka.cluster.sharding.coordinator-failure-backoff = 1s
        akka.cluster.sharding.entity-restart-backoff = 1s
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.actor.cluster-dispatcher { type = Dispatcher, executor = fork-join-executor, fork-join-executor { parallelism-min = 2, parallelism-factor = 1.0, parallelism-max = 2 } }
        akka.cluster.use-dispatcher = akka.actor.cluster-dispatcher
        akka.remote.default-remote-dispatcher.executor = fork-join-executor
        """;

    /// <summary>
    /// <paramref name="count"/> targets svc-01… on an actor path nothing answers (every read fails within 200 ms), probed every
    /// second: cheap to run on three in-process nodes, and each one placed and probed at once.
    /// </summary>
    public static List<TargetDefinition> Targets(int count) => Enumerable.Range(1, count)
        .Select(i => TargetDefinition.WithDefaults($"svc-{i:D2}", "/user/no-such-service") with
        {
            ProbeTimeout = TimeSpan.FromMilliseconds(200),
            Performance = new PerformanceSettings { Interval = TimeSpan.FromSeconds(1) },
        }).ToList();

    public static async Task<ClusterNode> StartAsync(string dataDirectory, ClusterNode? seed, IReadOnlyList<TargetDefinition>? targets = null,
        string? hocon = null, TimeSpan? loopStartSpread = null)
    {
        var options = new ConfigMonitorOptions
        {
            ActorSystemName = "failover",
            DataDirectory = dataDirectory,
            Port = 0,
            SeedNodes = seed is null ? [] : [seed.Address.ToString()],
            LoopStartSpread = loopStartSpread ?? new ConfigMonitorOptions().LoopStartSpread,
        };
        await SqliteStore.PrepareAsync(options);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = new HostBuilder().ConfigureServices(services => services.AddAkka(options.ActorSystemName, (builder, _) =>
        {
            builder.AddHocon("""
                    akka.cluster.singleton.hand-over-retry-interval = 200ms
                    akka.cluster.sharding.rebalance-interval = 1s
                    akka.coordinated-shutdown.exit-clr = off
                    """ + "\n" + (hocon ?? ""), HoconAddMode.Prepend)
                .AddConfigMonitor(options, targets ?? [])
                .AddStartup((system, _) => Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult()));
        })).Build();
        await host.StartAsync();
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new ClusterNode(host);
    }

    public Task StopAsync() => _host.StopAsync();

    /// <summary>Ends the actor system without leaving the cluster (with <see cref="CrashableFailoverHocon"/>): the others see a crash.</summary>
    public Task Crash() => System.Terminate();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
