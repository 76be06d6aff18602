using Akka.Actor;
using ConfigMonitor.Actors.Adapters.Etcd;
using ConfigMonitor.Actors.Adapters.Http;
using ConfigMonitor.Actors.Adapters.Redis;
using ConfigMonitor.Actors.Adapters.Sql;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Adapters;

/// <summary>What a kind's client factory gets: the node, its shared clients, the target and the facet to reach.</summary>
public sealed record FacetContext(ActorSystem System, FacetConnections Connections, TargetDefinition Target, ResolvedFacet Facet);

/// <summary>Builds a target's adapter from its facets, each through the client of its kind.</summary>
public static class FacetAdapters
{
    /// <summary>
    /// Kind → the client of one facet (an object implementing that facet's interface: <see cref="IConfigFacet"/>,
    /// <see cref="ICacheFacet"/>, <see cref="IDatabaseFacet"/> or <see cref="IEventsFacet"/>).
    /// </summary>
    private static readonly IReadOnlyDictionary<string, Func<FacetContext, object>> Kinds = new Dictionary<string, Func<FacetContext, object>>
    {
        [FacetKinds.Actor] = c => ActorConfigServiceAdapter.For(c.System, c.Facet.Endpoint),
        [FacetKinds.Http] = HttpFacets.Create,
        [FacetKinds.Etcd] = EtcdFacets.Create,
        [FacetKinds.Redis] = RedisFacets.Create,
        [FacetKinds.Sql] = SqlFacets.Create,
    };

    /// <summary>The node's adapter factory: every kind, clients shared through the node's <see cref="FacetConnections"/>.</summary>
    public static readonly AdapterFactory Default = (system, target) => Create(system, FacetConnections.For(system), target);

    /// <summary>The adapter of <paramref name="target"/>.</summary>
    public static IConfigServiceAdapter Create(ActorSystem system, FacetConnections connections, TargetDefinition target)
    {
        var facets = TargetFacets.Resolve(target);
        // The seed's case, and 10,000 of them on a node: one actor adapter for every facet.
        if (facets.All(f => f.Kind == FacetKinds.Actor && f.Endpoint == facets[0].Endpoint))
            return ActorConfigServiceAdapter.For(system, facets[0].Endpoint);
        T? Client<T>(ResolvedFacet facet) where T : class
        {
            if (!facet.Present) return null;
            if (!Kinds.TryGetValue(facet.Kind, out var create))
                throw new ArgumentException($"target '{target.Id}': the {facet.Facet} facet's kind '{facet.Kind}' has no client");
            return create(new FacetContext(system, connections, target, facet)) as T
                   ?? throw new InvalidOperationException($"the '{facet.Kind}' client cannot serve the {facet.Facet} facet");
        }
        return new FacetedAdapter(facets,
            Client<IConfigFacet>(facets[0]) ?? throw new ArgumentException($"target '{target.Id}' has no config facet"),
            Client<ICacheFacet>(facets[1]), Client<IDatabaseFacet>(facets[2]), Client<IEventsFacet>(facets[3]));
    }
}

/// <summary>A kind whose client is not part of this build: every call fails with that reason (a probe failure, not a crash).</summary>
public sealed class UnbuiltFacet(string kind, string facet) : IConfigFacet, ICacheFacet, IDatabaseFacet, IEventsFacet
{
    private Task<T> Fail<T>() => Task.FromException<T>(new NotSupportedException($"the '{kind}' kind cannot reach the {facet} facet in this build"));

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.ConfigValue>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.ConfigEntry>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.CacheStats> GetCacheStatsAsync(TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.CacheStats>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.DatabaseProbeResult>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.Subscribed>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.ChangeNotified>();

    /// <inheritdoc />
    public Task<Protocol.ConfigServiceProtocol.Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout) => Fail<Protocol.ConfigServiceProtocol.Unsubscribed>();
}
