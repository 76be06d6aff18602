using Akka.Actor;
using ConfigMonitor.ConfigService;
using ConfigMonitor.ConfigService.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Host;

/// <summary>
/// The node's demo: the reference config service as an actor (<c>/user/config-service-demo</c>) with its HTTP API on a
/// listener of its own (<c>Demo:Url</c>, by default a free loopback port, so several nodes run on one machine). The demo
/// target is monitored through the http facets on that listener, so the default path exercises a real network adapter.
/// The listener is bound before the node reads its targets (the demo target's endpoint is its real address); requests that
/// arrive before the actor system has started the actor answer 503.
/// </summary>
public sealed class DemoService : IHostedService, IAsyncDisposable
{
    /// <summary>The default listener: loopback, a free port.</summary>
    public const string DefaultUrl = "http://127.0.0.1:0";

    /// <summary>The target the demo's address is filled into when it names no endpoint.</summary>
    public const string TargetId = "demo";

    private readonly WebApplication _app;
    private ReferenceServiceConnection? _connection;

    private DemoService(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The demo's HTTP address (the real port).</summary>
    public Uri Url { get; }

    /// <summary>Binds the demo's HTTP listener on <paramref name="url"/>; fault routes take <paramref name="faultToken"/> beyond loopback.</summary>
    public static async Task<DemoService> StartAsync(string url, string? faultToken, ILoggerFactory? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Services.AddSingleton(logging);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        DemoService? demo = null;
        ReferenceServiceHttp.Map(app, () => demo?._connection, new ReferenceServiceHttpOptions
        {
            FaultToken = faultToken,
            FaultTokenSetting = "ConfigMonitor:Api:Token",
            AskTimeout = TimeSpan.FromSeconds(30),
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        demo = new DemoService(app, new Uri(address));
        return demo;
    }

    /// <summary>
    /// The address the demo target probes: the listener's own, except that a wildcard (0.0.0.0, [::]), where the demo listens
    /// on every interface, is reached on loopback.
    /// </summary>
    public static string ReachableUrl(Uri listening)
    {
        var host = listening.Host switch
        {
            "0.0.0.0" => "127.0.0.1",
            "[::]" or "::" => "[::1]",
            _ => listening.Host.Contains(':') && !listening.Host.StartsWith('[') ? $"[{listening.Host}]" : listening.Host,
        };
        return $"{listening.Scheme}://{host}:{listening.Port}";
    }

    /// <summary>Starts the demo's actor in <paramref name="system"/>; from then on the HTTP routes answer.</summary>
    public IActorRef StartActor(ActorSystem system, ConfigServiceSettings settings)
    {
        var actor = system.ActorOf(ConfigServiceActor.Props(settings), MonitorNode.DemoServiceName);
        _connection = new ReferenceServiceConnection(system, actor);
        return actor;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _connection = null;
        await _app.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
