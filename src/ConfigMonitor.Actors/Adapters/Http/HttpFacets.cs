namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>The clients of the 'http' kind (to be built: every call fails with that reason until then).</summary>
public static class HttpFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet.</summary>
    public static object Create(FacetContext context) => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet);
}
