using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.ConfigService;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace ConfigMonitor.Host;

/// <summary>Builds a ConfigMonitor node from configuration: appsettings.json, environment (CONFIGMONITOR__…), command line.</summary>
public static class MonitorNode
{
    /// <summary>The actor name of the demo reference config service.</summary>
    public const string DemoServiceName = "config-service-demo";

    /// <summary>
    /// Reads and validates every setting and target first (a bad one stops start-up with a message naming it),
    /// prepares the SQLite file, then wires Akka (the monitor, the demo service, and akka.hocon last so the file wins)
    /// and the management API (health, metrics, JSON API) on <c>ConfigMonitor:Api:Url</c>.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });

        var section = builder.Configuration.GetSection(ConfigMonitorOptionsReader.SectionName);
        var options = ConfigMonitorOptionsReader.Read(section);
        var targets = TargetDefinitionReader.Read(section.GetSection("Targets"));
        var api = ApiSettings.Read(section);
        var demoEnabled = !string.Equals(section["Demo:Enabled"], "false", StringComparison.OrdinalIgnoreCase);
        await SqliteStore.PrepareAsync(options);

        builder.WebHost.UseUrls(api.Url);
        builder.Services.AddSingleton(api);
        builder.Services.AddSingleton(options.Health);
        builder.Services.AddManagementApi(options);
        builder.Services.AddSingleton<ActorAsk>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        builder.Services.AddHealthChecks()
            .AddCheck<ConfigMonitorHealthCheck>(ConfigMonitorHealthCheck.Name, tags: [ConfigMonitorHealthCheck.Name]);

        builder.Services.AddAkka(options.ActorSystemName, (akka, _) =>
        {
            akka.ConfigureLoggers(l =>
                {
                    l.LogLevel = AkkaLogLevel.InfoLevel;
                    l.ClearLoggers();
                    l.AddLogger<OperatorLogger>();
                })
                .AddConfigMonitor(options, targets)
                .WithActorSystemLivenessCheck()
                .WithAkkaClusterReadinessCheck();
            if (demoEnabled)
                akka.AddReferenceConfigService(
                    new ConfigServiceSettings(Path.Combine(Path.GetFullPath(options.DataDirectory), "demo-config-service.db"), "demo"),
                    DemoServiceName);
            // Last and prepended: the node's akka.hocon overrides what code set (akka-notes §1.3).
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "akka.hocon"), HoconAddMode.Prepend);
        });

        var app = builder.Build();
        app.MapManagementApi(options.Role);
        return app;
    }

    /// <summary>The address the management API listens on (after start; the real port when the setting asked for port 0).</summary>
    public static Uri ApiAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                        ?? throw new InvalidOperationException("the management API has no address; is the node started?");
        return new Uri(addresses.First());
    }
}
