using System.Diagnostics;
using Akka.Actor;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// A config service that answers every request at once and notes when probes arrive (not the reference SQLite service: 10,000
/// SQLite files would measure the disk). One per target, at <c>/user/svc-NNNNN</c>, so an <c>actor</c>-kind target with that
/// relative path resolves to the service in the node's own process (in a cluster, each node hosts every target's service and
/// reaches only the ones of the targets it monitors).
/// </summary>
public sealed class InstantConfigService : ReceiveActor
{
    /// <summary>Asked with this, it answers the arrival times (Stopwatch timestamps) of every probe so far.</summary>
    public static readonly object Report = "report";

    private readonly List<long> _arrivals;
    private long _hits;
    private long _misses;
    private int _subscriptions;
    private (string Id, IActorRef Ref)? _subscriber;

    /// <summary>
    /// A service that keeps its arrivals in a list of <paramref name="capacity"/> to start with; when <paramref name="lastArrival"/>
    /// is given, it also writes the time of each arrival at <paramref name="index"/> (read by the node without asking 30,000 actors).
    /// </summary>
    public InstantConfigService(int capacity = 256, long[]? lastArrival = null, int index = 0)
    {
        _arrivals = new List<long>(capacity);
        void Arrived()
        {
            var now = Stopwatch.GetTimestamp();
            _arrivals.Add(now);
            if (lastArrival is not null) Volatile.Write(ref lastArrival[index], now);
        }
        Receive<GetConfig>(get =>
        {
            Arrived();
            Sender.Tell(new ConfigValue(get.Key, "shop", true));
        });
        Receive<GetConfigWithMetadata>(get => Sender.Tell(new ConfigEntry(get.Key, "shop", true, "", DateTimeOffset.UtcNow, 1, true)));
        Receive<GetCacheStats>(_ =>
        {
            Arrived();
            _hits += 95;
            _misses += 5;
            Sender.Tell(new CacheStats(_hits, _misses, 50, 100));
        });
        Receive<ProbeDatabase>(_ =>
        {
            Arrived();
            Sender.Tell(new DatabaseProbeResult(1, 25));
        });
        Receive<Subscribe>(subscribe =>
        {
            var id = $"sub-{++_subscriptions}";
            _subscriber = (id, subscribe.Subscriber);
            Sender.Tell(new Subscribed(id, subscribe.Key));
        });
        Receive<NotifyChange>(notify =>
        {
            if (_subscriber is { } s) s.Ref.Tell(new ConfigChanged(s.Id, notify.Key, notify.OldValue, notify.NewValue, DateTimeOffset.UtcNow));
            Sender.Tell(new ChangeNotified(notify.Key, _subscriber is null ? 0 : 1));
        });
        Receive<Unsubscribe>(unsubscribe =>
        {
            var existed = _subscriber?.Id == unsubscribe.SubscriptionId;
            if (existed) _subscriber = null;
            Sender.Tell(new Unsubscribed(unsubscribe.SubscriptionId, existed));
        });
        Receive<string>(_ => Sender.Tell(_arrivals.ToArray()));
    }
}
