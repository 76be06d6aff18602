using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Persistence.Sql.Hosting;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Maintenance;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Notifications;
using ConfigMonitor.Actors.Serialization;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using LinqToDB;

namespace ConfigMonitor.Actors.Hosting;

/// <summary>The node's Akka set-up, top to bottom as in the architecture picture.</summary>
public static class ConfigMonitorHosting
{
    /// <summary>Reaches every facet of a target through the client of its kind (actor, http, etcd, sql, redis).</summary>
    public static readonly AdapterFactory ActorAdapters = Adapters.FacetAdapters.Default;

    /// <summary>
    /// Remoting, cluster, persistence, serializer, the MetricsStore and TargetMonitor shard regions, the AlertManager and
    /// maintenance singletons, the target registry and the health checker.
    /// </summary>
    public static AkkaConfigurationBuilder AddConfigMonitor(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options,
        IReadOnlyList<TargetDefinition> targets, IClock? clock = null, AdapterFactory? adapters = null)
    {
        clock ??= SystemClock.Instance;
        adapters ??= ActorAdapters;
        return builder
            .AddConfigMonitorCluster(options)
            .AddConfigMonitorPersistence(options)
            .AddConfigMonitorSerializer()
            .AddMetricsStores(options, clock)
            .AddNotifier(options, clock)
            .AddAlertManager(options, clock)
            .AddTargetMonitors(options, clock, adapters)
            .AddTargetRegistry(options, targets)
            .AddMaintenance(options, clock, adapters)
            .AddHealthChecker(options, clock, adapters)
            .AddSingletonWatch(options, clock);
    }

    /// <summary>Singleton names (Akka.Hosting runs each at /user/{name}/{name}, its proxy at /user/{name}-proxy).</summary>
    public const string NotifierSingleton = "notifier", AlertManagerSingleton = "alert-manager", TargetRegistrySingleton = "target-registry",
        MaintenanceSingletonName = "maintenance";

    /// <summary>The node's cluster singletons, by name, in alphabetical order.</summary>
    public static readonly IReadOnlyList<string> SingletonNames = [AlertManagerSingleton, MaintenanceSingletonName, NotifierSingleton, TargetRegistrySingleton];

    /// <summary>How long a singleton may stay unfound before the node says so.</summary>
    public static readonly TimeSpan SingletonWarnAfter = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The watch that reports a singleton no proxy can find (in place of the proxies' own report, which fires at once on
    /// every start: akka.net#8568).
    /// </summary>
    public static AkkaConfigurationBuilder AddSingletonWatch(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock) =>
        builder.WithActors((system, _) => system.ActorOf(SingletonWatchActor.Props(SingletonNames, options.Role, SingletonWarnAfter, clock), "singleton-watch"));

    // The proxies' own "failed to find" report is off: SingletonWatchActor reports instead.
    private static ClusterSingletonOptions Singleton(ConfigMonitorOptions options) =>
        new() { Role = options.Role, LogSingletonIdentificationFailure = false };

    /// <summary>Remoting and clustering; with no seed nodes the node forms a cluster of its own.</summary>
    public static AkkaConfigurationBuilder AddConfigMonitorCluster(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options)
    {
        builder
            .WithRemoting(options.Hostname, options.Port, options.PublicHostname)
            .WithClustering(new ClusterOptions { Roles = [options.Role], SeedNodes = options.SeedNodes.ToArray() });
        if (options.SeedNodes.Count == 0)
            builder.AddStartup(async (system, _) =>
            {
                var cluster = Cluster.Get(system);
                await cluster.JoinAsync(cluster.SelfAddress);
            });
        return builder;
    }

    /// <summary>Akka.Persistence.Sql on SQLite (single writer) or PostgreSQL.</summary>
    public static AkkaConfigurationBuilder AddConfigMonitorPersistence(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options)
    {
        var provider = options.Persistence == PersistenceProvider.Sqlite ? ProviderName.SQLiteMS : ProviderName.PostgreSQL15;
        builder.WithSqlPersistence(options.EffectiveConnectionString, provider, autoInitialize: true,
            journalBuilder: j => j.WithHealthCheck(), snapshotBuilder: s => s.WithHealthCheck());
        if (options.Persistence == PersistenceProvider.Sqlite)
            // SQLite has one writer: more journal writers only queue on its lock (measured in akka-notes §6).
            builder.AddHocon("akka.persistence.journal.sql.parallelism = 1", HoconAddMode.Prepend);
        return builder;
    }

    /// <summary>
    /// The MetricsStore region: one store per target under a host that keeps its unsaved samples and re-creates it when
    /// its journal fails; hand-off flushes pending samples first.
    /// </summary>
    public static AkkaConfigurationBuilder AddMetricsStores(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock) =>
        builder.WithShardRegion<MetricsStoreRegion>("metrics-store",
            (_, _, _) => targetId => MetricsStoreHost.Props(targetId, options.Metrics, clock),
            new TargetMessageExtractor(),
            new ShardOptions
            {
                Role = options.Role,
                StateStoreMode = StateStoreMode.DData,
                HandOffStopMessage = MetricsCommands.StopMetricsStore.Instance,
            });

    /// <summary>The notification outbox singleton (channels from the settings) and its proxy.</summary>
    public static AkkaConfigurationBuilder AddNotifier(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock) =>
        builder.WithSingleton<Notifier>(NotifierSingleton,
            (system, _, _) => NotificationOutboxActor.Props(
                options.Channels.Select(c => NotificationChannels.Create(c, options.Delivery, system)).ToList(), options.Delivery, clock),
            Singleton(options));

    /// <summary>The AlertManager singleton and its proxy; it notifies through the outbox and reads target groups from the registry.</summary>
    public static AkkaConfigurationBuilder AddAlertManager(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock) =>
        builder.WithSingleton<AlertManager>(AlertManagerSingleton,
            (_, registry, _) => AlertManagerActor.Props(clock, options.Alerts.Policy, registry.Get<Notifier>(), options.Alerts,
                () => registry.TryGet<TargetRegistry>(out var targets) ? targets : null),
            Singleton(options));

    /// <summary>The TargetMonitor region: one entity per target, never passivated (its loops are its life).</summary>
    public static AkkaConfigurationBuilder AddTargetMonitors(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder.WithShardRegion<TargetMonitorRegion>("target-monitor",
            (_, registry, _) => targetId => TargetMonitorActor.Props(targetId,
                registry.Get<MetricsStoreRegion>(), registry.Get<AlertManager>(), clock, adapters, options.LoopStartSpread),
            new TargetMessageExtractor(),
            new ShardOptions { Role = options.Role, StateStoreMode = StateStoreMode.DData, ShouldPassivateIdleEntities = false });

    /// <summary>
    /// The target registry: a persistent cluster singleton (runtime targets survive restarts), seeded with the configured
    /// targets of the node it runs on; its proxy is registered under <see cref="TargetRegistry"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddTargetRegistry(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options,
        IReadOnlyList<TargetDefinition> targets) =>
        builder.WithSingleton<TargetRegistry>(TargetRegistrySingleton,
            (_, registry, _) => TargetRegistryActor.Props(targets, registry.Get<TargetMonitorRegion>(), options.KeepMonitoringInterval,
                () => registry.TryGet<AlertManager>(out var alerts) ? alerts : null),
            Singleton(options));

    /// <summary>The maintenance singleton (retention and event probes) and its proxy.</summary>
    public static AkkaConfigurationBuilder AddMaintenance(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder.WithSingleton<MaintenanceSingleton>(MaintenanceSingletonName,
            (_, registry, _) => MaintenanceActor.Props(options.Maintenance, registry.Get<TargetRegistry>(),
                registry.Get<MetricsStoreRegion>(), registry.Get<AlertManager>(), clock, adapters, registry.Get<TargetMonitorRegion>()),
            Singleton(options));

    /// <summary>The health checker.</summary>
    public static AkkaConfigurationBuilder AddHealthChecker(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder.WithActors((system, registry) =>
            registry.Register<HealthChecker>(system.ActorOf(
                HealthCheckerActor.Props(options.Health, registry.Get<TargetRegistry>(), registry.Get<TargetMonitorRegion>(), clock, adapters),
                "health-checker")));
}
