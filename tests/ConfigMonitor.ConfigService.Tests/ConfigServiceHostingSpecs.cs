using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.ConfigService.Tests;

public sealed class ConfigServiceHostingSpecs : IAsyncLifetime
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"configservice-{Guid.NewGuid():N}.db");
    private IHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_databasePath + suffix);
    }

    [Fact]
    public async Task Should_start_the_service_at_its_user_path_when_added_to_a_host()
    {
        _host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("config-service-host", (akka, _) =>
                akka.AddHocon("akka.coordinated-shutdown.exit-clr = off", HoconAddMode.Prepend)
                    .AddReferenceConfigService(new ConfigServiceSettings(_databasePath, "hosted-reference"), "config-service")))
            .Build();
        await _host.StartAsync();
        var system = _host.Services.GetRequiredService<ActorSystem>();

        var service = await system.ActorSelection(ConfigServiceHostingExtensions.ActorPathOf("config-service"))
            .ResolveOne(TimeSpan.FromSeconds(5));
        var value = await service.Ask<ConfigValue>(new GetConfig("app.name"), TimeSpan.FromSeconds(5));

        Assert.Equal(new ConfigValue("app.name", "ConfigMonitor Reference Service", true), value);
    }
}
