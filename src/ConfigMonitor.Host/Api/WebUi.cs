using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// The web UI: <c>/</c> answers the page, <c>/ui/{file}</c> its script, style sheet and icon, all embedded in this assembly
/// (so <c>dotnet run</c> and the built dll serve the same bytes, with nothing to copy and nothing fetched from elsewhere).
/// The page reads the API as anyone may; its changes carry the token the user typed (sessionStorage, the Authorization
/// header, never a cookie), so the API's token rule is the UI's rule.
/// </summary>
public static class WebUi
{
    /// <summary>The prefix of the UI's embedded resources (their LogicalName in the csproj).</summary>
    public const string ResourcePrefix = "ConfigMonitor.WebUi/";

    /// <summary>
    /// Our own script and style only; no inline script or style, no frames, no plugins; the page talks to its own origin alone.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    /// <summary>One embedded file with its type and strong ETag (a hash of its bytes).</summary>
    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    /// <summary>The names of the UI's files (index.html, app.js …), for the specs.</summary>
    public static IReadOnlyCollection<string> Files => Assets.Value.Keys;

    /// <summary>Maps <c>/</c> and <c>/ui/{file}</c>; the routes of the page itself (#/alerts, #/targets/x) are in its fragment.</summary>
    public static WebApplication MapWebUi(this WebApplication app)
    {
        string[] reads = [HttpMethods.Get, HttpMethods.Head];
        // The page, not the API: left out of the OpenAPI document.
        app.MapMethods("/", reads, (HttpContext context) => Serve(context, "index.html")).ExcludeFromDescription();
        app.MapMethods("/ui/{file}", reads, (string file, HttpContext context) => Serve(context, file)).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        if (!Assets.Value.TryGetValue(file, out var asset))
            return TypedResults.Problem($"the web UI has no file '{TextLimitsQuote(file)}'; it serves {string.Join(", ", Files.Order())}",
                statusCode: StatusCodes.Status404NotFound, title: "Unknown UI file");
        // Revalidated on every load (cheap: 304 by ETag), so a node's new build shows its new page at once.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (ETags.Matches(context.Request.Headers.IfNoneMatch.ToString(), asset.ETag))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(asset.Bytes, asset.ContentType);
    }

    private static string TextLimitsQuote(string text) => ConfigMonitor.Actors.Protocol.TextLimits.Quote(text, 40);

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebUi).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var file = name[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            var etag = ETags.Of(bytes);
            assets[file] = new Asset(bytes, type, etag);
        }
        if (!assets.ContainsKey("index.html"))
            throw new InvalidOperationException($"the web UI's index.html is not embedded in {assembly.GetName().Name} (resources named {ResourcePrefix}*)");
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
