namespace ConfigMonitor.Actors.Hosting;

/// <summary>ActorRegistry key: the shard region of TargetMonitor entities (one per target).</summary>
public sealed class TargetMonitorRegion;

/// <summary>ActorRegistry key: the shard region of MetricsStore entities (one per target).</summary>
public sealed class MetricsStoreRegion;

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
