using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Actors.Tests.Support;

/// <summary>
/// A local (non-clustered) actor system with the node's real persistence (Akka.Persistence.Sql on a SQLite file, WAL)
/// and the real serializer, built through Akka.Hosting as the node builds it. Stop and start it on the same folder to test recovery.
/// </summary>
public sealed class PersistentNode : IAsyncDisposable
{
    private readonly IHost _host;

    private PersistentNode(IHost host) => _host = host;

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public static async Task<PersistentNode> StartAsync(string dataDirectory, Action<AkkaConfigurationBuilder>? configure = null)
    {
        var options = new ConfigMonitorOptions { DataDirectory = dataDirectory };
        await SqliteStore.PrepareAsync(options);
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("persistence-test", (builder, _) =>
            {
                builder.AddConfigMonitorPersistence(options).AddConfigMonitorSerializer();
                configure?.Invoke(builder);
            }))
            .Build();
        await host.StartAsync();
        return new PersistentNode(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
