namespace ConfigMonitor.Actors.Adapters.Redis;

/// <summary>The clients of the 'redis' kind (to be built: every call fails with that reason until then).</summary>
public static class RedisFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet.</summary>
    public static object Create(FacetContext context) => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet);
}
