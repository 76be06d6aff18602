using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.ConfigService;
using ConfigMonitor.ConfigService.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using AkkaLogLevel = Akka.Event.LogLevel;

// The standalone reference config service: the actor over SQLite or PostgreSQL and its HTTP API (ReferenceServiceHttp) in one process.
// Exit codes: 0 stopped (Ctrl-C, SIGTERM), 2 a setting is wrong, 3 its port is in use (try again), 1 it could not start or crashed.
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    var settings = StandaloneSettings.Read(builder.Configuration, Directory.GetCurrentDirectory());
    if (settings.Service.Provider == ConfigStoreProvider.Sqlite)
        Directory.CreateDirectory(Path.GetDirectoryName(settings.Service.DatabasePath)!);
    if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
        builder.WebHost.UseUrls(settings.Url);
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    });
    // The service writes its own start line with its address; ASP.NET Core's "Now listening on" would repeat it.
    builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    // A start that fails is said once, in one line, below: not also as the host's stack trace.
    builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
    builder.Services.AddAkka("config-service", (akka, _) => akka
        .ConfigureLoggers(l =>
        {
            l.LogLevel = AkkaLogLevel.InfoLevel;
            l.ClearLoggers();
            l.AddLoggerFactory();
        })
        .WithActors((system, registry) =>
            registry.Register<ReferenceConfigService>(system.ActorOf(ConfigServiceActor.Props(settings.Service), "config-service"))));

    await using var app = builder.Build();
    ReferenceServiceHttp.Map(app, () =>
        app.Services.GetRequiredService<ActorRegistry>().TryGet<ReferenceConfigService>(out var service)
            ? new ReferenceServiceConnection(app.Services.GetRequiredService<ActorSystem>(), service)
            : null, settings.Http);
    app.MapFallback((HttpContext http) => Results.Json(
        new ErrorBody($"no route {http.Request.Method} {http.Request.Path}; the routes are GET /config/{{key}}, GET /config/{{key}}/metadata, PUT /config/{{key}}, GET /cache/stats, GET /health, GET /events?key=, POST /events/notify, GET /faults, POST /faults/{{read-delay|cache-flush|database|drop-events|hang|reset}}"),
        ContractJson.Options, statusCode: StatusCodes.Status404NotFound));

    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? settings.Url;
    app.Logger.LogInformation("Reference config service listening on {Url} (database {Database}, cache capacity {Capacity}, faults and writes from {Who}); Ctrl-C stops it",
        address, settings.Service.DatabaseDescription, settings.Service.CacheCapacity,
        settings.Http.FaultToken is null ? "loopback only" : "loopback or with the bearer token");
    await app.WaitForShutdownAsync();
    return 0;
}
catch (InvalidServiceSettingException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    await Console.Error.WriteLineAsync($"the reference config service could not start: {e.Message} (stop what holds the port or choose another with --urls)");
    return 3;
}
catch (IOException e)
{
    // Kestrel reports an address in use this way; so do a data folder or database file that cannot be created.
    await Console.Error.WriteLineAsync($"the reference config service could not start: {e.Message}");
    return 1;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"the reference config service crashed: {e}");
    return 1;
}

/// <summary>The actor registry key of the standalone service's actor.</summary>
internal sealed class ReferenceConfigService;
