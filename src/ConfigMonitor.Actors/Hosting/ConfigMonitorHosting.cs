using ConfigMonitor.Actors.Protocol;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
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
using ConfigMonitor.Actors.Overview;
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
            .AddTargetDirectory()
            .AddNotifier(options, clock)
            .AddAlertManager(options, clock)
            .AddStatusBoard()
            .AddTargetEntities(options, clock, adapters)
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
            // First: the guard must be watching before any loop probes or any store writes.
            .WithActors((system, _) => NodeGuard.For(system))
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
        var connectionString = options.EffectiveConnectionString;
        if (options.Persistence == PersistenceProvider.PostgreSql)
        {
            // The writer fence (WriterFence): every journal session of this process carries its incarnation, registered before any
            // persistent actor starts (this starter runs before the singletons and shard regions); SQLite has one node, no fence.
            var incarnation = Guid.NewGuid();
            connectionString = WriterFenceSchema.WithIncarnation(connectionString, incarnation);
            var fenced = connectionString;
            builder.WithActors(async (system, _) => await WriterFence.StartAsync(system, incarnation, fenced));
        }
        builder.WithSqlPersistence(connectionString, provider, autoInitialize: true,
            journalBuilder: j => j.WithHealthCheck(), snapshotBuilder: s => s.WithHealthCheck());
        if (options.Persistence == PersistenceProvider.Sqlite)
            // SQLite has one writer: more journal writers only queue on its lock.
            builder.AddHocon("akka.persistence.journal.sql.parallelism = 1", HoconAddMode.Prepend);
        return builder;
    }

    /// <summary>This node's replica of the target registry (Distributed Data), registered under <see cref="TargetDirectory"/>.</summary>
    public static AkkaConfigurationBuilder AddTargetDirectory(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) =>
            registry.Register<TargetDirectory>(system.ActorOf(TargetDirectoryActor.Props(DistributedData.Get(system).Replicator,
                () => registry.TryGet<TargetRegistry>(out var targets) ? targets : null), "target-directory")));

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

    /// <summary>
    /// How long after the node starts the entities it starts spread their first probes over <see cref="ConfigMonitorOptions.LoopStartSpread"/>
    /// (a node starting, or joining and taking a share, starts many at once); later, a target taken over from a lost node probes at once.
    /// </summary>
    public static readonly TimeSpan NodeStartWindow = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The target region: one entity per target holding its loops, its MetricsStore and its alert evaluation (same node, so samples stay local),
    /// never passivated while monitored, remembered by sharding (Distributed Data, not the journal: a node cut off from the
    /// cluster has no sharding state of its own to write), so a lost node's targets restart on the survivors without any
    /// re-send. Hand-off (<see cref="HandOffTarget"/>) stops the loops and saves pending samples first. Registered under
    /// <see cref="TargetRegion"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddTargetEntities(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder
            .WithShardingDistributedData(new ShardingDDataOptions { Durable = new DurableOptions { Keys = [] } })
            .WithShardRegion<TargetRegion>("target-monitor",
                (_, registry, _) =>
                {
                    var started = clock.UtcNow;
                    TimeSpan Spread() => clock.UtcNow - started < NodeStartWindow ? options.LoopStartSpread : TimeSpan.Zero;
                    return targetId => TargetEntityActor.Props(targetId, registry.Get<TargetDirectory>(), registry.Get<AlertManager>(), clock, adapters,
                        options.Metrics, Spread, options.Alerts.Policy, options.Health,
                        registry.TryGet<Overview.StatusBoardKey>(out var board) ? board : null);
                },
                new TargetMessageExtractor(),
                new ShardOptions
                {
                    Role = options.Role,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = true,
                    RememberEntitiesStore = RememberEntitiesStore.DData,
                    ShouldPassivateIdleEntities = false,
                    HandOffStopMessage = HandOffTarget.Instance,
                });

    /// <summary>
    /// The target registry: a persistent cluster singleton (runtime targets survive restarts), seeded with the configured
    /// targets of the node it runs on; its proxy is registered under <see cref="TargetRegistry"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddTargetRegistry(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options,
        IReadOnlyList<TargetDefinition> targets) =>
        builder.WithSingleton<TargetRegistry>(TargetRegistrySingleton,
            (system, registry, _) => TargetRegistryActor.Props(targets, registry.Get<TargetRegion>(),
                () => registry.TryGet<AlertManager>(out var alerts) ? alerts : null, DistributedData.Get(system).Replicator),
            Singleton(options));

    /// <summary>The maintenance singleton (retention and event probes) and its proxy.</summary>
    public static AkkaConfigurationBuilder AddMaintenance(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder.WithSingleton<MaintenanceSingleton>(MaintenanceSingletonName,
            (_, registry, _) => MaintenanceActor.Props(options.Maintenance, registry.Get<TargetDirectory>(),
                registry.Get<TargetRegion>(), registry.Get<AlertManager>(), clock, adapters),
            Singleton(options));

    /// <summary>The health checker.</summary>
    public static AkkaConfigurationBuilder AddHealthChecker(this AkkaConfigurationBuilder builder, ConfigMonitorOptions options, IClock clock,
        AdapterFactory adapters) =>
        builder.WithActors((system, registry) =>
            registry.Register<HealthChecker>(system.ActorOf(
                HealthCheckerActor.Props(options.Health, registry.Get<TargetDirectory>(), registry.Get<TargetRegion>(), clock, adapters),
                "health-checker")));
}
