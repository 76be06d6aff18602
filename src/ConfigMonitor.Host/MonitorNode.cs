using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.ConfigService;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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
    /// prepares the SQLite file, then wires Akka (the monitor, the demo service, and akka.hocon last so the file wins)
    /// and the management API (health, metrics, JSON API) on <c>ConfigMonitor:Api:Url</c>.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        AppSettingsFiles.EnsureReadable(AppContext.BaseDirectory);
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = args,
                ContentRootPath = AppContext.BaseDirectory,
            });
        }
        catch (InvalidDataException e)
        {
            // A configuration file the JSON provider could not load; the pre-check above names the line when it can.
            throw new NodeConfigurationException($"{e.Message} {e.InnerException?.Message}".Trim());
        }
        configure?.Invoke(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });

        var section = builder.Configuration.GetSection(ConfigMonitorOptionsReader.SectionName);
        var options = ConfigMonitorOptionsReader.Read(section);
        // One resolution of a relative data folder (against the directory the node was started from), used by every store.
        options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };
        var api = ApiSettings.Read(section);
        var apiAddresses = ListenAddresses.Gather(builder.Configuration, api.Url);
        ListenAddresses.EnsureAllowed(apiAddresses, api);
        var demoEnabled = !string.Equals(section["Demo:Enabled"], "false", StringComparison.OrdinalIgnoreCase);
        // Strict read and type check before anything starts; Akka gets the parsed result, not the file.
        var akkaHocon = HoconValidation.Load(Path.Combine(AppContext.BaseDirectory, "akka.hocon"));
        var targetsSection = section.GetSection("Targets");
        DemoService? demo = null;
        var demoWanted = demoEnabled && targetsSection.GetSection(DemoService.TargetId).Exists() && section[$"Targets:{DemoService.TargetId}:Endpoint"] is null;
        var demoUrl = demoWanted ? DemoUrl(section, api.Token is not null) : null;
        // Before anything listens: a port given twice is a mistake (exit 2), a port another process listens on may pass (exit 3).
        var nodeAddresses = new NodeAddresses(options.Hostname, options.Port, apiAddresses);
        PortsInUse.EnsureFree(nodeAddresses, demoUrl);
        if (demoUrl is not null)
        {
            // The demo target names no endpoint: it is the demo's HTTP listener, bound now so its real address is known.
            try
            {
                demo = await DemoService.StartAsync(demoUrl, api.Token);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
                                        || e.InnerException?.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                throw new TransientStartupException(PortsInUse.DemoPortTaken($"{demoUrl} (ConfigMonitor:Demo:Url)"), e);
            }
            catch (IOException e)
            {
                throw new NodeConfigurationException($"the demo config service cannot listen on {demoUrl} (ConfigMonitor:Demo:Url): {e.Message}");
            }
            builder.Configuration.AddInMemoryCollection(
                [new KeyValuePair<string, string?>($"{ConfigMonitorOptionsReader.SectionName}:Targets:{DemoService.TargetId}:Endpoint", DemoService.ReachableUrl(demo.Url))]);
        }
        // Without the demo, a demo target that names no endpoint has nothing to watch: it is left out.
        var leftOut = !demoEnabled && section[$"Targets:{DemoService.TargetId}:Endpoint"] is null ? new[] { DemoService.TargetId } : [];
        IReadOnlyList<TargetDefinition> targets;
        DataFolderLock folderLock;
        try
        {
            targets = TargetDefinitionReader.Read(section.GetSection("Targets"), leftOut, builder.Configuration);
            await SqliteStore.PrepareAsync(options);
            folderLock = DataFolderLock.Take(options.DataDirectory);
        }
        catch
        {
            if (demo is not null) await demo.DisposeAsync();
            throw;
        }
        // Made by a factory, so the container disposes it with the node; released on stop as well (a stopped node has closed its journal).
        builder.Services.AddSingleton(_ => folderLock);
        builder.WebHost.UseUrls(api.Url);
        if (demo is not null)
        {
            builder.Services.AddSingleton(demo);
            // Registered first, so it stops last: the demo answers until the node's loops have stopped.
            builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(demo));
        }
        builder.Services.AddSingleton(api);
        builder.Services.AddHostedService<BoundAddressCheck>();
        builder.Services.AddSingleton(nodeAddresses);
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

        builder.Services.AddSingleton(sp => new JournalGate(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(JournalGate))));
        // Every hosted service starts at once: the API answers (not ready, with the reason) while the journal gate holds Akka's start.
        builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        // Akka starts behind the journal gate (GatedAkkaHostedService): no persistent actor starts before the journal can be used.
        builder.Services.AddAkka<GatedAkkaHostedService>(options.ActorSystemName, (akka, _) =>
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
            {
                var demoSettings = new ConfigServiceSettings(Path.Combine(options.DataDirectory, "demo-config-service.db"), "demo");
                if (demo is not null) akka.WithActors((system, _) => demo.StartActor(system, demoSettings));
                else akka.AddReferenceConfigService(demoSettings, DemoServiceName);
            }
            // Last and prepended: the node's akka.hocon overrides what code set (Akka.Hosting applies each HOCON source when it is added; the last prepended wins).
            akka.AddHocon(akkaHocon, HoconAddMode.Prepend);
            // Debug asked for any category (Logging:LogLevel:<category> = Debug): Akka must publish its Debug events, which the
            // host's filters then keep for that category only (OperatorLogger asks IsEnabled per category).
            if (DebugRequested(builder.Configuration))
                akka.AddHocon("akka.loglevel = DEBUG", HoconAddMode.Prepend);
        });

        // Akka.Hosting's checks wait behind the gate too (registered after AddAkka, so its registrations exist by now): asking them
        // would create the actor system and start the journal, whose failing initialisation Akka.Persistence.Sql logs every second.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(o =>
        {
            foreach (var registration in o.Registrations.Where(r => r.Tags.Contains("akka") || r.Tags.Contains("persistence")))
            {
                var inner = registration.Factory;
                var liveness = registration.Tags.Contains("liveness");
                registration.Factory = provider => new GatedAkkaHealthCheck(provider.GetRequiredService<JournalGate>(), liveness, inner(provider));
            }
        });

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(app.Services.GetRequiredService<DataFolderLock>().Dispose);
        // Never the connection string itself: where the journal is, without any password.
        app.Logger.LogInformation("Data folder {DataDirectory}; database {Persistence} {Database}", options.DataDirectory, options.Persistence,
            options.Persistence == PersistenceProvider.PostgreSql
                ? $"({PostgresJournalAddress.Of(options.EffectiveConnectionString)})"
                : SqliteStore.Redacted(options.EffectiveConnectionString));
        if (options.Persistence == PersistenceProvider.Sqlite && options.SeedNodes.Count > 0)
            app.Logger.LogWarning("This node joins a cluster (ConfigMonitor:SeedNodes) but keeps its history in a SQLite file of its own: " +
                                  "the targets added at run time, the alert book and its acknowledgements live with whichever node runs them, " +
                                  "and are not there when they move to another node. Use ConfigMonitor:Persistence=PostgreSql for a cluster " +
                                  "(docs/cluster.md)");
        if (demo is not null)
        {
            var demoAddress = DemoService.ReachableUrl(demo.Url);
            app.Logger.LogInformation("Demo config service (target '{Target}') listening on {DemoUrl}; break it with POST {DemoUrl}/faults/read-delay {{\"delay\":\"200ms\"}}, undo with POST {DemoUrl}/faults/reset",
                DemoService.TargetId, demoAddress, demoAddress, demoAddress);
        }
        // First in the pipeline: nothing is answered beyond loopback without a token, not even while the node starts.
        app.UseLoopbackOnlyWithoutToken(api);
        app.MapManagementApi(options.Role);
        app.MapWebUi();
        return app;
    }

    /// <summary>True when some category of <c>Logging:LogLevel</c> asks for Debug or Trace.</summary>
    internal static bool DebugRequested(IConfiguration configuration) =>
        configuration.GetSection("Logging:LogLevel").GetChildren()
            .Any(c => Enum.TryParse<LogLevel>(c.Value, ignoreCase: true, out var level) && level <= LogLevel.Debug);

    private static string DemoUrl(IConfigurationSection section, bool hasToken)
    {
        var url = section["Demo:Url"] ?? DemoService.DefaultUrl;
        // The demo's fault routes and writes take the API token beyond loopback, so a non-loopback demo needs one, as the API does.
        if (!hasToken && Uri.TryCreate(url, UriKind.Absolute, out var listen) && !ListenAddresses.IsLoopbackAddress(url))
            throw new NodeConfigurationException(
                $"field 'Demo:Url' is '{TextLimits.Quote(url, 80)}', which other hosts can reach ({listen.Host}), and 'Api:Token' is not set: " +
                $"set ConfigMonitor:Api:Token (the demo's fault routes then need it beyond loopback) or use a loopback address such as {DemoService.DefaultUrl}");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || uri.Query.Length > 0 || !url.Contains(':', StringComparison.Ordinal)
            || uri.IsDefaultPort && !url.Contains($":{uri.Port}", StringComparison.Ordinal))
            throw new NodeConfigurationException(
                $"field 'Demo:Url' is '{TextLimits.Quote(url, 80)}'; it must be http://host:port (port 0 picks a free one), e.g. {DemoService.DefaultUrl}");
        return url;
    }

    /// <summary>
    /// Starts the node. A port already in use (the API's or Akka remoting's) becomes <see cref="TransientStartupException"/>
    /// and an address that cannot be bound at all <see cref="NodeConfigurationException"/>, each one line naming the address and
    /// the setting that chose it.
    /// </summary>
    public static async Task StartNodeAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        try
        {
            await app.StartAsync(cancellationToken);
            if (app.Services.GetRequiredService<JournalGate>().Failure is { } journal)
            {
                // The gate gave up and asked the host to stop; Akka never started. The caller maps this to exit code 3.
                await app.StopAsync(CancellationToken.None);
                throw journal;
            }
        }
        catch (Exception e) when (BindFailure.Describe(e, app.Services.GetRequiredService<NodeAddresses>()) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>The address the management API listens on (after start; the real port when the setting asked for port 0).</summary>
    public static Uri ApiAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                        ?? throw new InvalidOperationException("the management API has no address; is the node started?");
        return new Uri(addresses.First());
    }
}
