using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.ConfigService;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    /// prepares the SQLite file, then wires Akka: the monitor, the demo service, and akka.hocon last so the file wins.
    /// </summary>
    public static async Task<IHost> BuildAsync(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
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
        var demoEnabled = !string.Equals(section["Demo:Enabled"], "false", StringComparison.OrdinalIgnoreCase);
        await SqliteStore.PrepareAsync(options);

        builder.Services.AddAkka(options.ActorSystemName, (akka, _) =>
        {
            akka.ConfigureLoggers(l =>
                {
                    l.LogLevel = AkkaLogLevel.InfoLevel;
                    l.ClearLoggers();
                    l.AddLogger<OperatorLogger>();
                })
                .AddConfigMonitor(options, targets);
            if (demoEnabled)
                akka.AddReferenceConfigService(
                    new ConfigServiceSettings(Path.Combine(Path.GetFullPath(options.DataDirectory), "demo-config-service.db"), "demo"),
                    DemoServiceName);
            // Last and prepended: the node's akka.hocon overrides what code set (akka-notes §1.3).
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "akka.hocon"), HoconAddMode.Prepend);
        });
        return builder.Build();
    }
}
