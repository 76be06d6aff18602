using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>A whole ConfigMonitor node (the library's real wiring) in this process, on a free loopback port, sharing a data folder.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterNode(IHost host) => _host = host;

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public ActorRegistry Registry => _host.Services.GetRequiredService<ActorRegistry>();

    public Akka.Actor.Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public static async Task<ClusterNode> StartAsync(string dataDirectory, ClusterNode? seed, IReadOnlyList<TargetDefinition>? targets = null)
    {
        var options = new ConfigMonitorOptions
        {
            ActorSystemName = "failover",
            DataDirectory = dataDirectory,
            Port = 0,
            SeedNodes = seed is null ? [] : [seed.Address.ToString()],
        };
        await SqliteStore.PrepareAsync(options);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = new HostBuilder().ConfigureServices(services => services.AddAkka(options.ActorSystemName, (builder, _) =>
        {
            builder.AddHocon("""
                    akka.cluster.singleton.hand-over-retry-interval = 200ms
                    akka.cluster.sharding.rebalance-interval = 1s
                    akka.coordinated-shutdown.exit-clr = off
                    """, HoconAddMode.Prepend)
                .AddConfigMonitor(options, targets ?? [])
                .AddStartup((system, _) => Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult()));
        })).Build();
        await host.StartAsync();
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new ClusterNode(host);
    }

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
