using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.ConfigService;

/// <summary>
/// Control messages of the reference service (writes and faults). They are not part of the monitor's storage format,
/// so they are not <c>IConfigMonitorMessage</c>s and travel with Akka's default serializer.
/// </summary>
public interface IReferenceConfigServiceMessage;

/// <summary>Writes the reference service accepts besides the read-only config-service protocol.</summary>
public static class ConfigServiceCommands
{
    /// <summary>Inserts or updates a key (version + 1, updated_at now), invalidates its cache entry and notifies its subscribers; answered with <see cref="ConfigSet"/>.</summary>
    public sealed record SetConfig(string Key, string? Value, string? Description = null) : IReferenceConfigServiceMessage;

    /// <summary>Answer to <see cref="SetConfig"/>: the key's version after the write.</summary>
    public sealed record ConfigSet(string Key, long Version) : IReferenceConfigServiceMessage;
}

/// <summary>Misbehaviour the reference service adopts on command, for tests and demos; each is answered with <see cref="FaultApplied"/>.</summary>
public static class ConfigServiceFaults
{
    /// <summary>Marker for fault commands; they are answered even while the service hangs.</summary>
    public interface IConfigServiceFault : IReferenceConfigServiceMessage;

    /// <summary>Delays every GetConfig / GetConfigWithMetadata reply by <paramref name="Delay"/> (zero turns it off).</summary>
    public sealed record SetReadDelay(TimeSpan Delay) : IConfigServiceFault;

    /// <summary>Empties the cache and resets its hit and miss counters.</summary>
    public sealed record FlushCache : IConfigServiceFault
    {
        /// <summary>The single instance.</summary>
        public static readonly FlushCache Instance = new();
    }

    /// <summary>When false, every operation that needs the database answers "database unavailable"; cache hits still work.</summary>
    public sealed record SetDatabaseAvailable(bool Available) : IConfigServiceFault;

    /// <summary>When true, change events are lost: NotifyChange and SetConfig still answer, but no subscriber receives anything.</summary>
    public sealed record SetDropEvents(bool Drop) : IConfigServiceFault;

    /// <summary>When true, the service receives protocol requests and writes but never answers them, like a hung process.</summary>
    public sealed record SetHang(bool Hang) : IConfigServiceFault;

    /// <summary>Every fault back to normal at once (no read delay, database available, events delivered, not hung); the cache is left as it is.</summary>
    public sealed record ResetFaults : IConfigServiceFault
    {
        /// <summary>The single instance.</summary>
        public static readonly ResetFaults Instance = new();
    }

    /// <summary>Asks which faults are on; answered with <see cref="FaultState"/>, also while the service hangs.</summary>
    public sealed record GetFaults : IReferenceConfigServiceMessage
    {
        /// <summary>The single instance.</summary>
        public static readonly GetFaults Instance = new();
    }

    /// <summary>Answer to <see cref="GetFaults"/>: the faults now in force.</summary>
    public sealed record FaultState(TimeSpan ReadDelay, bool DatabaseAvailable, bool DropEvents, bool Hang) : IReferenceConfigServiceMessage;

    /// <summary>Answer to a fault command: what the service now does.</summary>
    public sealed record FaultApplied(string Description) : IReferenceConfigServiceMessage;
}

/// <summary>The operation names used in <see cref="ConfigServiceProtocol.ConfigServiceError"/> replies.</summary>
public static class ConfigServiceOperations
{
    /// <summary>GetConfig.</summary>
    public const string GetConfig = "get_config";

    /// <summary>GetConfigWithMetadata.</summary>
    public const string GetConfigWithMetadata = "get_config_with_metadata";

    /// <summary>ProbeDatabase.</summary>
    public const string ProbeDatabase = "probe_database";

    /// <summary>SetConfig.</summary>
    public const string SetConfig = "set_config";

    /// <summary>The reason given while the database is switched off by <see cref="ConfigServiceFaults.SetDatabaseAvailable"/>.</summary>
    public const string DatabaseUnavailable = "database unavailable";
}
