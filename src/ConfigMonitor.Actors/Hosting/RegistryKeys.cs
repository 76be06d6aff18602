namespace ConfigMonitor.Actors.Hosting;

/// <summary>ActorRegistry key: the shard region of target entities (one per target: its monitor and its MetricsStore).</summary>
public sealed class TargetMonitorRegion;

/// <summary>ActorRegistry key: the same region as <see cref="TargetMonitorRegion"/>, for the metrics messages (a target's store lives in its entity).</summary>
public sealed class MetricsStoreRegion;

/// <summary>ActorRegistry key: this node's target directory (the registry's contents, replicated to every node).</summary>
public sealed class TargetDirectory;

/// <summary>ActorRegistry key: the proxy of the AlertManager singleton.</summary>
public sealed class AlertManager;

/// <summary>ActorRegistry key: the proxy of the maintenance singleton.</summary>
public sealed class MaintenanceSingleton;

/// <summary>ActorRegistry key: the proxy of the target registry singleton.</summary>
public sealed class TargetRegistry;

/// <summary>ActorRegistry key: this node's health checker.</summary>
public sealed class HealthChecker;

/// <summary>ActorRegistry key: the proxy of the notification outbox singleton.</summary>
public sealed class Notifier;
