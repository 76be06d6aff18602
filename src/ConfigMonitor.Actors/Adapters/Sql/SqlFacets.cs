namespace ConfigMonitor.Actors.Adapters.Sql;

/// <summary>The clients of the 'sql' kind (to be built: every call fails with that reason until then).</summary>
public static class SqlFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet.</summary>
    public static object Create(FacetContext context) => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet);
}
