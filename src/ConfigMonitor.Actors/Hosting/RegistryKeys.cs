namespace ConfigMonitor.Actors.Hosting;

/// <summary>
/// ActorRegistry key: the shard region of target entities, one per target holding its loops, its MetricsStore and its alert
/// evaluation; every message for a target (its status, its metrics, an observation) goes here.
/// </summary>
public sealed class TargetRegion;

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
