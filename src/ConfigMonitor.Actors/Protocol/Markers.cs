namespace ConfigMonitor.Actors.Protocol;

/// <summary>Every message of ours that may cross the wire or be persisted; bound to <c>ConfigMonitorSerializer</c>.</summary>
public interface IConfigMonitorMessage;

/// <summary>A message addressed to one monitored target; drives the shard extractors.</summary>
public interface IWithTargetId : IConfigMonitorMessage
{
    /// <summary>The id of the monitored config service, as configured.</summary>
    string TargetId { get; }
}

/// <summary>A persisted event or snapshot: its serialized form is part of our storage format.</summary>
public interface IPersistedEvent : IConfigMonitorMessage;
