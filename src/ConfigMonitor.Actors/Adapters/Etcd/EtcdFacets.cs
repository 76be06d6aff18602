namespace ConfigMonitor.Actors.Adapters.Etcd;

/// <summary>The clients of the 'etcd' kind (to be built: every call fails with that reason until then).</summary>
public static class EtcdFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet.</summary>
    public static object Create(FacetContext context) => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet);
}
