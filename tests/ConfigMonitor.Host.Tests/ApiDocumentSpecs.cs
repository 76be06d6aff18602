using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Tests;

/// <summary>The node's OpenAPI document against the routes the same node serves (one node with the other management specs).</summary>
public sealed partial class ManagementApiSpecs
{
    private async Task<JsonElement> ApiDocumentAsync()
    {
        using var response = await node.Anonymous.GetAsync(ApiDocument.Route);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Every route the node maps with a method, except those marked as not part of the API (the page, the document itself).</summary>
    private IReadOnlySet<string> ServedRoutes() =>
        ((IEndpointRouteBuilder)node.App).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet();

    private static IReadOnlySet<string> DocumentedRoutes(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();

    [Fact]
    public async Task Should_publish_an_OpenAPI_document_that_describes_exactly_the_routes_it_serves()
    {
        var document = await ApiDocumentAsync();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        Assert.Equal("ConfigMonitor management API", document.GetProperty("info").GetProperty("title").GetString());

        var served = ServedRoutes();
        var documented = DocumentedRoutes(document);
        Assert.Contains("GET /api/targets", served); // the route table is read, not empty
        Assert.True(served.SetEquals(documented),
            $"served but not documented: {string.Join(", ", served.Except(documented))}; documented but not served: {string.Join(", ", documented.Except(served))}");
        Assert.DoesNotContain(documented, r => r.EndsWith(" /", StringComparison.Ordinal) || r.Contains("/ui/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_describe_each_request_body_with_the_fields_its_record_reads()
    {
        var document = await ApiDocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var (route, type) in ApiRequests.Bodies)
        {
            var (method, path) = (route[..route.IndexOf(' ')], route[(route.IndexOf(' ') + 1)..]);
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant());
            Assert.True(operation.TryGetProperty("requestBody", out var body), $"{route} has no request body in the document");
            Assert.Equal(!ApiRequests.OptionalBodies.Contains(route), body.TryGetProperty("required", out var required) && required.GetBoolean());
            var reference = body.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
            var schema = schemas.GetProperty(reference[(reference.LastIndexOf('/') + 1)..]);
            var fields = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToList();
            var recordFields = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Order().ToList();
            Assert.Equal(recordFields, fields);
        }
        var targets = document.GetProperty("paths").GetProperty("/api/targets").GetProperty("post").GetProperty("requestBody");
        Assert.EndsWith("/" + ApiDocument.TargetBodyComponent, targets.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        // A new target needs its id only (every other field has a default or belongs to some kinds): the trial's three-field body is valid.
        Assert.Equal(["id"], schemas.GetProperty(ApiDocument.TargetBodyComponent).GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    private static IReadOnlyList<string> Codes(JsonElement document, string path, string method) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();

    [Fact]
    public async Task Should_describe_the_status_codes_the_routes_answer()
    {
        var document = await ApiDocumentAsync();

        // A real add and remove through the API answer codes the document lists for them.
        var body = new { id = "openapi-codes", adapter = "actor", endpoint = "/user/config-service-demo" };
        using var added = await node.Operator.PostAsJsonAsync("/api/targets", body);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Contains("201", Codes(document, "/api/targets", "post"));
        using var removed = await node.Operator.DeleteAsync("/api/targets/openapi-codes");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Contains("204", Codes(document, "/api/targets/{id}", "delete"));
        Assert.DoesNotContain("200", Codes(document, "/api/targets/{id}", "delete"));
        using var refused = await node.Anonymous.PostAsJsonAsync("/api/targets", body);
        Assert.Contains(((int)refused.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), Codes(document, "/api/targets", "post"));
        using var unknown = await node.Anonymous.GetAsync("/api/targets/no-such-target");
        Assert.Contains(((int)unknown.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), Codes(document, "/api/targets/{id}", "get"));

        // Every change may be refused for its token or its origin; every body may be too large or not JSON.
        foreach (var route in ApiRequests.Bodies.Keys)
        {
            var (method, path) = (route[..route.IndexOf(' ')].ToLowerInvariant(), route[(route.IndexOf(' ') + 1)..]);
            Assert.Superset(new HashSet<string> { "400", "401", "403", "413", "415", "503", "504" }, Codes(document, path, method).ToHashSet());
        }
    }
}
