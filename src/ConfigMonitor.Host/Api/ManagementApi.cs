using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>Maps every management route: health, metrics, and the JSON API under <c>/api</c>.</summary>
public static class ManagementApi
{
    /// <summary>Health, <c>/metrics</c> and <c>/api/…</c>; POST and DELETE need the bearer token when one is configured, reads are open.</summary>
    public static WebApplication MapManagementApi(this WebApplication app, string role)
    {
        // An actor that does not answer is the node's problem, not the client's: 504, never a 500 with a stack trace.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (AskTimeoutException e) when (!context.Response.HasStarted)
            {
                await TypedResults.Problem(e.Message, statusCode: StatusCodes.Status504GatewayTimeout, title: "Actor did not answer").ExecuteAsync(context);
            }
            catch (InvalidOperationException e) when (!context.Response.HasStarted && e.Message.Contains("not running yet", StringComparison.Ordinal))
            {
                await TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node not ready").ExecuteAsync(context);
            }
        });
        app.UseStatusCodePages();

        app.MapHealthEndpoints();
        app.MapMetricsEndpoint();
        var api = app.MapGroup("/api");
        var mutations = app.MapGroup("/api").AddEndpointFilter<BearerTokenFilter>();
        api.MapTargetEndpoints(mutations);
        api.MapAlertEndpoints(mutations);
        api.MapClusterEndpoints(role);
        return app;
    }
}
