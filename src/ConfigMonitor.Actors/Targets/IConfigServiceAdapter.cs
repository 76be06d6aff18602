using Akka.Actor;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>The config facet: read a key, with metadata.</summary>
public interface IConfigFacet
{
    /// <summary>get_config(key, default).</summary>
    Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout);

    /// <summary>get_config_with_metadata(key).</summary>
    Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout);
}

/// <summary>The cache facet: hits, misses, size, max size.</summary>
public interface ICacheFacet
{
    /// <summary>get_cache_stats().</summary>
    Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout);
}

/// <summary>The database facet: a round trip and a row count.</summary>
public interface IDatabaseFacet
{
    /// <summary>SELECT 1 and SELECT COUNT(*) FROM system_configurations (or the kind's equivalent).</summary>
    Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout);
}

/// <summary>
/// The events facet: subscribe, notify, unsubscribe. <see cref="SubscribeAsync"/> completes only once the subscription is
/// live (a change notified after it is delivered), and changes go to the subscriber actor as <see cref="ConfigChanged"/>.
/// </summary>
public interface IEventsFacet
{
    /// <summary>subscribe_to_changes(key): changes go to <paramref name="subscriber"/> as <see cref="ConfigChanged"/>.</summary>
    Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout);

    /// <summary>notify_change(key, old, new).</summary>
    Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout);

    /// <summary>unsubscribe(id); also removes whatever the probe wrote (an etcd key), so the monitor leaves nothing behind.</summary>
    Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout);
}

/// <summary>The one contract through which the monitor reaches a config service: its four facets; every call has a timeout.</summary>
public interface IConfigServiceAdapter : IConfigFacet, ICacheFacet, IDatabaseFacet, IEventsFacet
{
    /// <summary>The kind each facet is reached by (<see cref="FacetKinds"/>); <c>none</c> for a facet the target lacks.</summary>
    string KindOf(string facet) => FacetKinds.Actor;
}

/// <summary>The config service answered, but with an error (for example its database is down).</summary>
public sealed class ConfigServiceException(string operation, string reason)
    : Exception($"config service failed '{operation}': {reason}")
{
    /// <summary>The operation that failed.</summary>
    public string Operation { get; } = operation;
}

/// <summary>A facet the target does not have (kind <c>none</c>) was asked for: its loop should not be running.</summary>
public sealed class FacetNotApplicableException(string facet)
    : InvalidOperationException($"this target has no {facet} facet (kind 'none')")
{
    /// <summary>The facet.</summary>
    public string Facet { get; } = facet;
}

/// <summary>The config service did not answer in time.</summary>
public sealed class ProbeTimeoutException(string operation, TimeSpan timeout)
    : TimeoutException($"config service did not answer '{operation}' within {Durations.Format(timeout)}");

/// <summary>Reaches a config service that is an actor (local or remote) answering the config-service protocol.</summary>
public sealed class ActorConfigServiceAdapter(ActorSelection service) : IConfigServiceAdapter
{
    /// <summary>An adapter for the actor at <paramref name="path"/> (relative "/user/x" or absolute "akka.tcp://…").</summary>
    public static ActorConfigServiceAdapter For(ActorSystem system, string path) => new(system.ActorSelection(path));

    /// <inheritdoc />
    public Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout) =>
        Request<ConfigValue>("get_config", new GetConfig(key, defaultValue), timeout);

    /// <inheritdoc />
    public Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout) =>
        Request<ConfigEntry>("get_config_with_metadata", new GetConfigWithMetadata(key), timeout);

    /// <inheritdoc />
    public Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout) =>
        Request<CacheStats>("get_cache_stats", GetCacheStats.Instance, timeout);

    /// <inheritdoc />
    public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) =>
        Request<DatabaseProbeResult>("database_probe", ProbeDatabase.Instance, timeout);

    /// <inheritdoc />
    public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) =>
        Request<Subscribed>("subscribe_to_changes", new Subscribe(key, subscriber), timeout);

    /// <inheritdoc />
    public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) =>
        Request<ChangeNotified>("notify_change", new NotifyChange(key, oldValue, newValue), timeout);

    /// <inheritdoc />
    public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout) =>
        Request<Unsubscribed>("unsubscribe", new Unsubscribe(subscriptionId), timeout);

    private async Task<T> Request<T>(string operation, object request, TimeSpan timeout)
    {
        object reply;
        try
        {
            reply = await service.Ask<object>(request, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new ProbeTimeoutException(operation, timeout);
        }
        return reply switch
        {
            T answer => answer,
            ConfigServiceError error => throw new ConfigServiceException(error.Operation, error.Reason),
            _ => throw new ConfigServiceException(operation, $"unexpected reply {reply.GetType().Name}"),
        };
    }
}
