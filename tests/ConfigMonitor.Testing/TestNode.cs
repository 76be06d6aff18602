using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Hosting;
using ConfigMonitor.ConfigService;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConfigMonitor.Testing;

/// <summary>Builds real nodes for tests: any free port, a given data folder, short loops.</summary>
public static class TestNode
{
    /// <summary>How long a node may take to stop (CoordinatedShutdown hands shards off and flushes metrics).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Settings that make every loop turn within seconds; port 0 so no test ever takes 4053.</summary>
    public static Dictionary<string, string?> FastSettings(string dataDirectory) => new()
    {
        ["ConfigMonitor:Port"] = "0",
        ["ConfigMonitor:Api:Url"] = "http://127.0.0.1:0",
        ["ConfigMonitor:DataDirectory"] = dataDirectory,
        ["ConfigMonitor:Metrics:FlushInterval"] = "1s",
        ["ConfigMonitor:Maintenance:EventProbeInterval"] = "2s",
        ["ConfigMonitor:Targets:demo:Performance:Interval"] = "1s",
        ["ConfigMonitor:Targets:demo:Health:Interval"] = "1s",
        ["ConfigMonitor:Targets:demo:Cache:Interval"] = "1s",
        ["ConfigMonitor:Targets:demo:Database:Interval"] = "1s",
        // Specs inject alerts for targets that are not in the registry (an Observation told to the AlertManager); a registry
        // read closes such alerts once they have been quiet for this interval, which would change listings mid-test.
        ["ConfigMonitor:Alerts:GroupsRefreshInterval"] = "1h",
    };

    /// <summary>Builds (does not start) a node with <paramref name="settings"/> layered over appsettings.json.</summary>
    public static Task<WebApplication> BuildAsync(IDictionary<string, string?> settings) =>
        MonitorNode.BuildAsync([], configuration => configuration.AddInMemoryCollection(settings));

    /// <summary>An HttpClient on the started node's management API (the real port it bound), with a bearer token if given.</summary>
    public static HttpClient ApiClient(this WebApplication app, string? token = null)
    {
        var client = new HttpClient { BaseAddress = MonitorNode.ApiAddress(app), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The node's actor registry.</summary>
    public static ActorRegistry Registry(this IHost host) => host.Services.GetRequiredService<ActorRegistry>();

    /// <summary>The node's actor system.</summary>
    public static ActorSystem System(this IHost host) => host.Services.GetRequiredService<ActorSystem>();

    /// <summary>
    /// Makes the node's demo config service misbehave (a test causes the alert it needs): the reference service's fault
    /// commands, sent in process to its actor; answers what the service now does.
    /// </summary>
    public static async Task<string> FaultDemoAsync(this IHost host, ConfigServiceFaults.IConfigServiceFault fault) =>
        (await host.System().ActorSelection("/user/" + MonitorNode.DemoServiceName)
            .Ask<ConfigServiceFaults.FaultApplied>(fault, TimeSpan.FromSeconds(10))).Description;

    /// <summary>Stops the node and fails the test if CoordinatedShutdown does not finish in time.</summary>
    public static async Task StopWithinAsync(this IHost host, TimeSpan timeout)
    {
        var system = host.System();
        await host.StopAsync().WaitAsync(timeout);
        await system.WhenTerminated.WaitAsync(timeout);
    }
}
