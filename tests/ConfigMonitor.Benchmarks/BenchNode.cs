using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Benchmarks;

/// <summary>A local actor system built through Akka.Hosting: in-memory persistence, or the node's SQLite persistence.</summary>
public sealed class BenchNode : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchNode(IHost host) => _host = host;

    /// <summary>The actor system.</summary>
    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    /// <summary>Akka's in-memory journal and snapshot store (nothing durable), with our serializer bound.</summary>
    public static Task<BenchNode> InMemoryAsync() => StartAsync(builder => builder
        .AddHocon("""
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """, HoconAddMode.Prepend)
        .AddConfigMonitorSerializer());

    /// <summary>The node's persistence on a SQLite file in <paramref name="dataDirectory"/> (WAL); <paramref name="parallelism"/> null keeps the node's setting (1).</summary>
    public static async Task<BenchNode> SqliteAsync(string dataDirectory, int? parallelism = null)
    {
        var options = new ConfigMonitorOptions { DataDirectory = dataDirectory };
        await SqliteStore.PrepareAsync(options);
        return await StartAsync(builder =>
        {
            builder.AddConfigMonitorPersistence(options).AddConfigMonitorSerializer()
                // As the node's akka.hocon sets it: a restart recovers at most 20 stores at a time.
                .AddHocon("akka.persistence.max-concurrent-recoveries = 20", HoconAddMode.Prepend);
            if (parallelism is { } p) builder.AddHocon($"akka.persistence.journal.sql.parallelism = {p}", HoconAddMode.Prepend);
        });
    }

    private static async Task<BenchNode> StartAsync(Action<AkkaConfigurationBuilder> configure)
    {
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("bench", (builder, _) =>
            {
                builder.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend);
                configure(builder);
            }))
            .Build();
        await host.StartAsync();
        // Akka starts its scheduler on first use and blocks the caller until the scheduler runs. Started by a thousand
        // stores' PreStart at once, that blocks a thousand dispatcher threads and starves the thread pool (minutes on two
        // cores). A node's cluster uses the scheduler at once on start; a bare actor system does it here.
        var system = host.Services.GetRequiredService<ActorSystem>();
        var schedulerRuns = new TaskCompletionSource();
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, () => schedulerRuns.SetResult());
        await schedulerRuns.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return new BenchNode(host);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
