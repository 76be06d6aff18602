using Akka.Actor;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// A target reached facet by facet: each operation goes to the client of its facet; a facet the target lacks (<c>none</c>)
/// throws <see cref="FacetNotApplicableException"/> (the loops of such a facet are not started, and its check says "not applicable").
/// </summary>
public sealed class FacetedAdapter(
    IReadOnlyList<ResolvedFacet> facets, IConfigFacet config, ICacheFacet? cache, IDatabaseFacet? database, IEventsFacet? events)
    : IConfigServiceAdapter
{
    /// <summary>The facets as resolved from the definition.</summary>
    public IReadOnlyList<ResolvedFacet> Facets { get; } = facets;

    /// <inheritdoc />
    public string KindOf(string facet) => Facets.FirstOrDefault(f => f.Facet == facet)?.Kind ?? FacetKinds.None;

    /// <inheritdoc />
    public Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout) => config.GetConfigAsync(key, defaultValue, timeout);

    /// <inheritdoc />
    public Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout) => config.GetConfigWithMetadataAsync(key, timeout);

    /// <inheritdoc />
    public Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout) =>
        (cache ?? throw new FacetNotApplicableException(FacetNames.Cache)).GetCacheStatsAsync(timeout);

    /// <inheritdoc />
    public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) =>
        (database ?? throw new FacetNotApplicableException(FacetNames.Database)).ProbeDatabaseAsync(timeout);

    /// <inheritdoc />
    public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) =>
        (events ?? throw new FacetNotApplicableException(FacetNames.Events)).SubscribeAsync(key, subscriber, timeout);

    /// <inheritdoc />
    public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) =>
        (events ?? throw new FacetNotApplicableException(FacetNames.Events)).NotifyChangeAsync(key, oldValue, newValue, timeout);

    /// <inheritdoc />
    public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout) =>
        (events ?? throw new FacetNotApplicableException(FacetNames.Events)).UnsubscribeAsync(subscriptionId, timeout);
}
