using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Targets;
using StackExchange.Redis;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Redis;

/// <summary>
/// The clients of the 'redis' kind, through StackExchange.Redis with ONE multiplexer per endpoint per node: the cache facet
/// (INFO stats and memory) and the events facet (SUBSCRIBE and PUBLISH on the probe's own channel). Redis serves no config
/// reads and no database facet (the validator refuses them).
/// </summary>
public static class RedisFacets
{
    /// <summary>The channel prefix of the event probe when EventProbe:Channel is not set; the probe's channel is this + ":" + target id + ":" + key.</summary>
    public const string DefaultChannel = "configmonitor:probe";

    /// <summary>The client of <paramref name="context"/>'s facet (cheap, no I/O: the multiplexer connects on the first call).</summary>
    public static object Create(FacetContext context)
    {
        var settings = context.Facet.Settings;
        var key = "redis|" + context.Facet.Endpoint + (settings.Secret is null ? "" : "|" + settings.Secret);
        var connection = context.Connections.Shared(key, () => new RedisConnection(context.Facet.Endpoint, settings.Secret));
        return context.Facet.Facet switch
        {
            FacetNames.Cache => new RedisCacheFacet(connection),
            // The target's id in the channel: targets sharing one Redis never hear each other's probes.
            FacetNames.Events => new RedisEventsFacet(connection, $"{settings.Channel ?? DefaultChannel}:{context.Target.Id}",
                Logging.GetLogger(context.System, typeof(RedisEventsFacet))),
            _ => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet),
        };
    }
}

/// <summary>
/// Redis as a cache: keyspace_hits and keyspace_misses (INFO stats) are the hits and misses, used_memory the size and
/// maxmemory the max size, both in bytes (maxmemory 0: no limit, so <see cref="CacheStats.HasLimit"/> is false).
/// </summary>
public sealed class RedisCacheFacet(RedisConnection connection) : ICacheFacet
{
    /// <inheritdoc />
    public Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout) =>
        connection.RunAsync("get_cache_stats", timeout, async multiplexer =>
        {
            var server = connection.Server(multiplexer);
            var stats = server.InfoAsync("stats");
            var memory = server.InfoAsync("memory");
            var info = (await stats.ConfigureAwait(false)).Concat(await memory.ConfigureAwait(false))
                .SelectMany(section => section)
                .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
            long Field(string name) =>
                info.TryGetValue(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
                    ? value
                    : throw new ConfigServiceException("get_cache_stats", $"Redis at {connection.RedactedEndpoint} gave no '{name}' in INFO");
            return new CacheStats(Field("keyspace_hits"), Field("keyspace_misses"), Field("used_memory"), Field("maxmemory"));
        });
}

/// <summary>
/// The event round trip through Redis pub/sub on the probe's own channel (<c>{Channel}:{key}</c>): subscribe completes once
/// Redis confirms the subscription; notify publishes <c>{"key","oldValue","newValue"}</c>; each message arrives at the
/// subscriber as <see cref="ConfigChanged"/>; unsubscribe removes this subscription's handler only. Pub/sub stores nothing.
/// </summary>
public sealed class RedisEventsFacet(RedisConnection connection, string channelPrefix, ILoggingAdapter log) : IEventsFacet
{
    private sealed record Subscription(string Key, RedisChannel Channel, Action<RedisChannel, RedisValue> Handler);

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);

    /// <summary>The channel the probe of <paramref name="key"/> listens on and publishes to.</summary>
    public RedisChannel Channel(string key) => RedisChannel.Literal(channelPrefix + ":" + key);

    /// <inheritdoc />
    public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) =>
        connection.RunAsync("subscribe_to_changes", timeout, async multiplexer =>
        {
            var id = "redis-" + Guid.NewGuid().ToString("N");
            var channel = Channel(key);
            void Deliver(RedisChannel _, RedisValue message)
            {
                RedisChangeMessage? change = null;
                try
                {
                    change = JsonSerializer.Deserialize<RedisChangeMessage>(message.ToString(), Json);
                }
                catch (JsonException)
                {
                }
                if (change is null)
                {
                    log.Debug("ignored a message on Redis channel '{0}' that is not a change event", channel);
                    return;
                }
                subscriber.Tell(new ConfigChanged(id, key, change.OldValue, change.NewValue, DateTimeOffset.UtcNow));
            }
            // Completes when Redis has confirmed the SUBSCRIBE: a message published after this is delivered.
            await multiplexer.GetSubscriber().SubscribeAsync(channel, Deliver).ConfigureAwait(false);
            _subscriptions[id] = new Subscription(key, channel, Deliver);
            return new Subscribed(id, key);
        });

    /// <inheritdoc />
    public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) =>
        connection.RunAsync("notify_change", timeout, async multiplexer =>
        {
            var message = JsonSerializer.Serialize(new RedisChangeMessage(key, oldValue, newValue), Json);
            // PUBLISH answers how many clients received it (each node's multiplexer counts once, however many handlers it has).
            var receivers = await multiplexer.GetSubscriber().PublishAsync(Channel(key), message).ConfigureAwait(false);
            return new ChangeNotified(key, (int)Math.Min(receivers, int.MaxValue));
        });

    /// <inheritdoc />
    public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout)
    {
        if (!_subscriptions.TryRemove(subscriptionId, out var subscription)) return Task.FromResult(new Unsubscribed(subscriptionId, false));
        return connection.RunAsync("unsubscribe", timeout, async multiplexer =>
        {
            await multiplexer.GetSubscriber().UnsubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
            return new Unsubscribed(subscriptionId, true);
        });
    }

    /// <summary>How many subscriptions this client holds (for tests: none after every unsubscribe).</summary>
    public int OpenSubscriptions => _subscriptions.Count;
}

/// <summary>What the event probe publishes: <c>{"key","oldValue","newValue"}</c>.</summary>
public sealed record RedisChangeMessage(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("oldValue")] string? OldValue,
    [property: JsonPropertyName("newValue")] string? NewValue);
