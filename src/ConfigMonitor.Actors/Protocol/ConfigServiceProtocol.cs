using Akka.Actor;

namespace ConfigMonitor.Actors.Protocol;

/// <summary>
/// The message protocol any actor-based configuration service answers (the "actor adapter").
/// Every request gets exactly one reply: the documented answer, or <see cref="ConfigServiceError"/>.
/// </summary>
public static class ConfigServiceProtocol
{
    /// <summary>Marker for requests a config service answers.</summary>
    public interface IConfigServiceRequest : IConfigMonitorMessage;

    /// <summary>get_config(key, default): answered with <see cref="ConfigValue"/>.</summary>
    public sealed record GetConfig(string Key, string? Default = null) : IConfigServiceRequest;

    /// <summary>The value of a key, or the default when the key is absent.</summary>
    public sealed record ConfigValue(string Key, string? Value, bool Found) : IConfigMonitorMessage;

    /// <summary>get_config_with_metadata(key): answered with <see cref="ConfigEntry"/>.</summary>
    public sealed record GetConfigWithMetadata(string Key) : IConfigServiceRequest;

    /// <summary>A key with its metadata; <c>Found = false</c> when the key does not exist.</summary>
    public sealed record ConfigEntry(
        string Key, string? Value, bool Found, string? Description, DateTimeOffset? UpdatedAt, long Version, bool FromCache)
        : IConfigMonitorMessage;

    /// <summary>get_cache_stats(): answered with <see cref="CacheStats"/>.</summary>
    public sealed record GetCacheStats : IConfigServiceRequest
    {
        /// <summary>The single instance.</summary>
        public static readonly GetCacheStats Instance = new();
    }

    /// <summary>
    /// Cache counters since the service started (or since the last flush of its statistics). Size and MaxSize are in the kind's
    /// unit (entries for the reference service, bytes for Redis); MaxSize 0 means the cache has no limit.
    /// </summary>
    public sealed record CacheStats(long Hits, long Misses, long Size, long MaxSize) : IConfigMonitorMessage
    {
        /// <summary>Hits plus misses.</summary>
        public long TotalRequests => Hits + Misses;

        /// <summary>Hits over total requests; 1 when there was no request yet (an idle cache is not failing).</summary>
        public double HitRate => TotalRequests == 0 ? 1.0 : (double)Hits / TotalRequests;

        /// <summary>True when the cache has a size limit (MaxSize above 0); without one, <see cref="Usage"/> means nothing.</summary>
        public bool HasLimit => MaxSize > 0;

        /// <summary>Size over max size; 0 when there is no limit (check <see cref="HasLimit"/> before judging it).</summary>
        public double Usage => HasLimit ? (double)Size / MaxSize : 0;
    }

    /// <summary>A database round trip: <c>SELECT 1</c> then <c>SELECT COUNT(*) FROM system_configurations</c>.</summary>
    public sealed record ProbeDatabase : IConfigServiceRequest
    {
        /// <summary>The single instance.</summary>
        public static readonly ProbeDatabase Instance = new();
    }

    /// <summary>Answer to <see cref="ProbeDatabase"/>.</summary>
    public sealed record DatabaseProbeResult(long SelectOne, long ConfigurationRowCount) : IConfigMonitorMessage
    {
        /// <summary>
        /// Further figures the kind reports, by name (etcd: leader, db_size_bytes, db_quota_bytes, raft_term); null when it has none.
        /// </summary>
        public IReadOnlyDictionary<string, double>? Figures { get; init; }

        /// <summary>False when the kind cannot count rows (an http health endpoint without a row-count pointer): no count is recorded or shown.</summary>
        public bool HasRowCount { get; init; } = true;
    }

    /// <summary>subscribe_to_changes(key, callback): changes of <paramref name="Key"/> go to <paramref name="Subscriber"/> as <see cref="ConfigChanged"/>.</summary>
    public sealed record Subscribe(string Key, IActorRef Subscriber) : IConfigServiceRequest;

    /// <summary>Answer to <see cref="Subscribe"/>.</summary>
    public sealed record Subscribed(string SubscriptionId, string Key) : IConfigMonitorMessage;

    /// <summary>notify_change(key, old, new): delivered to every subscriber of the key.</summary>
    public sealed record NotifyChange(string Key, string? OldValue, string? NewValue) : IConfigServiceRequest;

    /// <summary>Answer to <see cref="NotifyChange"/>: how many subscribers were sent the change.</summary>
    public sealed record ChangeNotified(string Key, int Subscribers) : IConfigMonitorMessage;

    /// <summary>The change event a subscriber receives.</summary>
    public sealed record ConfigChanged(string SubscriptionId, string Key, string? OldValue, string? NewValue, DateTimeOffset ChangedAt)
        : IConfigMonitorMessage;

    /// <summary>unsubscribe(id): answered with <see cref="Unsubscribed"/>.</summary>
    public sealed record Unsubscribe(string SubscriptionId) : IConfigServiceRequest;

    /// <summary>Answer to <see cref="Unsubscribe"/>; <c>Existed = false</c> for an unknown id.</summary>
    public sealed record Unsubscribed(string SubscriptionId, bool Existed) : IConfigMonitorMessage;

    /// <summary>The service could not answer a request (for example its database is unavailable).</summary>
    public sealed record ConfigServiceError(string Operation, string Reason) : IConfigMonitorMessage;
}
