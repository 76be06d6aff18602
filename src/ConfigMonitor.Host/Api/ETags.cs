using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// Strong ETags for the routes a page polls: the tag is a hash of the answer's bytes, so it changes exactly when the answer does, and
/// a request whose <c>If-None-Match</c> names the current tag gets 304 with no body. Only successful GETs of the routes named (by
/// their route pattern) are tagged; every other request passes through untouched.
/// </summary>
public static class ETags
{
    /// <summary>The routes the status page polls.</summary>
    public static readonly IReadOnlySet<string> PolledRoutes = new HashSet<string>(StringComparer.Ordinal)
    {
        "/api/status", "/api/targets/{id}/health", "/api/alerts", "/api/cluster",
    };

    /// <summary>The strong ETag of <paramref name="body"/>: the first 16 bytes of its SHA-256, hex, quoted.</summary>
    public static string Of(ReadOnlySpan<byte> body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body)[..16])}\"";

    /// <summary>True when <paramref name="ifNoneMatch"/> (a list of tags, or <c>*</c>) names <paramref name="etag"/>.</summary>
    public static bool Matches(string? ifNoneMatch, string etag)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch)) return false;
        foreach (var part in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (part == "*" || part == etag || (part.StartsWith("W/", StringComparison.Ordinal) && part[2..] == etag)) return true;
        return false;
    }

    /// <summary>Tags the successful GETs of <paramref name="routes"/> (route patterns as mapped, e.g. <c>/api/targets/{id}/health</c>).</summary>
    public static IApplicationBuilder UseETags(this IApplicationBuilder app, IReadOnlySet<string> routes) =>
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method)
                || context.GetEndpoint() is not RouteEndpoint { RoutePattern.RawText: { } pattern } || !routes.Contains(pattern))
            {
                await next(context);
                return;
            }
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }
            if (context.Response.StatusCode == StatusCodes.Status200OK)
            {
                var etag = Of(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
                context.Response.Headers.ETag = etag;
                context.Response.Headers.CacheControl = "no-cache";
                if (Matches(context.Request.Headers.IfNoneMatch, etag))
                {
                    context.Response.StatusCode = StatusCodes.Status304NotModified;
                    context.Response.ContentLength = null;
                    context.Response.Headers.Remove(HeaderNames.ContentType);
                    return;
                }
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(original, context.RequestAborted);
        });
}
