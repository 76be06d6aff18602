using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>Mutations need <c>Authorization: Bearer &lt;token&gt;</c> when a token is configured; otherwise a 401 problem and nothing changes.</summary>
public sealed class BearerTokenFilter(ApiSettings settings) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (settings.Token is null) return await next(context);
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        if (given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(settings.Token)))
            return await next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ActorAsk.Problem(StatusCodes.Status401Unauthorized, given is null ? "Token required" : "Token refused",
            given is null
                ? "this node requires 'Authorization: Bearer <token>' for changes (ConfigMonitor:Api:Token)"
                : "the bearer token was refused");
    }
}
