using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The clients of the 'http' kind: a JSON API over the node's one <see cref="HttpClient"/> (System.Text.Json, no other library),
/// in the reference service's shape or a preset's (spring-cloud-config, spring-boot-actuator); see <see cref="HttpShape"/>.
/// </summary>
public static class HttpFacets
{
    /// <summary>The client of <paramref name="context"/>'s facet (cheap: no I/O until the first call).</summary>
    public static object Create(FacetContext context)
    {
        var facet = context.Facet;
        var client = new HttpFacetClient(context.Connections.Http, facet.Endpoint, facet.Settings.Secret, context.Connections.StreamHttp);
        var shape = HttpShape.Of(facet.Facet, facet.Settings);
        return facet.Facet switch
        {
            FacetNames.Config => new HttpConfigFacet(client, shape),
            FacetNames.Cache => new HttpCacheFacet(client, shape),
            FacetNames.Database => new HttpDatabaseFacet(client, shape),
            FacetNames.Events => new HttpEventsFacet(client, shape),
            _ => throw new ArgumentOutOfRangeException(nameof(context), facet.Facet, "not a facet"),
        };
    }
}
