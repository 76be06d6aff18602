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
        Assert.EndsWith("/TargetDefinitionView", targets.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
    }
}
