using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// What every change request must be, before its token is even read: from the node's own pages or a non-browser client, and
/// with a JSON body when it has one. A page of another site (or another port of this host) that a user has open can make the
/// browser send a form or a text/plain POST to a node on loopback without a token; browsers mark such requests with
/// <c>Sec-Fetch-Site</c> and <c>Origin</c>, and a JSON body cannot be sent across sites without a preflight this API never
/// grants. So: a request another site's page sent is refused (403), and a body that is not declared as JSON is refused (415).
/// </summary>
public sealed class ChangeRequestFilter : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Refusal(context.HttpContext.Request) ?? await next(context);

    /// <summary>The problem a change request is refused with, or null when it may go on.</summary>
    public static IResult? Refusal(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        // "same-origin": our own pages; "none": typed by the user, or a tool. "same-site" is another port of this host.
        if (fetchSite.Length > 0 && fetchSite is not ("same-origin" or "none"))
            return CrossSite($"the browser marked it as sent by a page of another origin (Sec-Fetch-Site: {Bounded(fetchSite)})");
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
            return CrossSite($"it comes from the page of another origin ({Bounded(origin)}, this node is {request.Scheme}://{request.Host})");

        var declared = request.ContentType;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (declared is null)
            return hasBody ? NotJson("the request has a body but no Content-Type") : null;
        if (!MediaTypeHeaderValue.TryParse(declared, out var media) || !IsJson(media))
            return NotJson($"the body is declared as {Bounded(declared)}");
        // The body is read as UTF-8 (JSON's own encoding, RFC 8259): a body declared in another charset would be misread.
        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return NotJson($"the body is declared in charset {Bounded(media.Charset.Value ?? "")}, and this API reads UTF-8 only");
        if (request.Headers.ContentEncoding.Count > 0 && !request.Headers.ContentEncoding.All(e => string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase)))
            return NotJson($"the body is sent with Content-Encoding {Bounded(request.Headers.ContentEncoding.ToString())}, which this API does not decode");
        return null;
    }

    // application/json, or application/<name>+json with a name (application/+json is no type).
    private static bool IsJson(MediaTypeHeaderValue media) =>
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || (media.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)
            && media.SubTypeWithoutSuffix.HasValue && media.SubTypeWithoutSuffix.Length > 0);

    private static IResult CrossSite(string why) => ActorAsk.Problem(StatusCodes.Status403Forbidden, "Cross-site change refused",
        $"a change from another site's page is refused: {why}; use the node's own page, the CLI or an API client");

    private static IResult NotJson(string why) => ActorAsk.Problem(StatusCodes.Status415UnsupportedMediaType, "JSON body required",
        $"{why}; send the body as 'Content-Type: application/json'");

    // Header values are the client's: quoted back only in part.
    private static string Bounded(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
