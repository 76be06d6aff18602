using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ConfigMonitor.Host.Api;

/// <summary>One page of a list: at most the asked number of items, how many there are in all, and the cursor of the next page (null on the last).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, string? Next);

/// <summary>The <c>limit</c> and <c>cursor</c> query parameters of the list routes.</summary>
public static class Paging
{
    /// <summary>The page size asked for (1 to <paramref name="max"/>, <paramref name="max"/> when not given), or a 400 problem naming the parameter.</summary>
    public static (int Limit, IResult? Problem) Limit(string? text, int max)
    {
        if (text is null) return (max, null);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= max) return (limit, null);
        return (0, JsonBody.Bad($"parameter 'limit' is '{Shorten(text)}', which is not a whole number from 1 to {max}"));
    }

    /// <summary>An offset cursor (as the <c>next</c> of a page gave it), or a 400 problem naming the parameter.</summary>
    public static (int Offset, IResult? Problem) Offset(string? cursor)
    {
        if (cursor is null) return (0, null);
        if (cursor.Length <= 9 && int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)) return (offset, null);
        return (0, JsonBody.Bad($"parameter 'cursor' is '{Shorten(cursor)}', which is not a cursor this API gave (pass the 'next' of the previous page)"));
    }

    private static string Shorten(string text) => ConfigMonitor.Actors.Protocol.TextLimits.Quote(text, 40);
}

/// <summary>Writes every TimeSpan the API prints in the duration grammar ("30s", not "00:00:30"), so it parses back.</summary>
public sealed class DurationJsonConverter : JsonConverter<TimeSpan>
{
    /// <inheritdoc />
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Durations.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException($"not a duration ({Durations.Grammar})");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteStringValue(Durations.Format(value));
}

/// <summary>Writes a recurring window's start as a time of day ("02:00"), the form its request takes.</summary>
public sealed class TimeOfDayJsonConverter : JsonConverter<TimeSpan>
{
    /// <inheritdoc />
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TimeOnly.TryParseExact(reader.GetString(), ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time.ToTimeSpan()
            : throw new JsonException("not a time of day (HH:mm or HH:mm:ss)");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(TimeOnly.FromTimeSpan(value).ToString(value.Seconds == 0 ? "HH:mm" : "HH:mm:ss", CultureInfo.InvariantCulture));
}

/// <summary>Maps every management route: health, metrics, and the JSON API under <c>/api</c>.</summary>
public static class ManagementApi
{
    /// <summary>The longest request line (method, path and query) Kestrel reads: 8 KiB.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>The most header bytes Kestrel reads: 32 KiB (its default, stated here so it cannot drift).</summary>
    public const int MaxRequestHeadersBytes = 32 * 1024;

    /// <summary>
    /// The API's services: the node's options (the summary window is bounded by the metrics retention), Kestrel's limits
    /// (body <see cref="TextLimits.RequestBodyBytes"/>, request line, headers), and the JSON output (durations in the grammar).
    /// The actor serializer is not touched: stored payloads keep their form.
    /// </summary>
    public static IServiceCollection AddManagementApi(this IServiceCollection services, ConfigMonitorOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<NodeMetrics>();
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = TextLimits.RequestBodyBytes;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = 100;
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new DurationJsonConverter());
        });
        services.AddApiDocument();
        return services;
    }

    /// <summary>Health, <c>/metrics</c> and <c>/api/…</c>; POST and DELETE need the bearer token when one is configured, reads are open.</summary>
    public static WebApplication MapManagementApi(this WebApplication app, string role)
    {
        // An actor that does not answer is the node's problem, not the client's: 504, never a 500 with a stack trace.
        app.Use(async (context, next) =>
        {
            // The API's routes read at most RequestBodyBytes (JsonBody) and discard up to DrainBytes of a larger body to answer 413
            // cleanly; the server refuses anything beyond that. Other routes keep Kestrel's limit of RequestBodyBytes.
            if (context.Request.Path.StartsWithSegments("/api") && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = JsonBody.DrainBytes;
            try
            {
                await next(context);
            }
            catch (AskTimeoutException e) when (!context.Response.HasStarted)
            {
                await TypedResults.Problem(e.Message, statusCode: StatusCodes.Status504GatewayTimeout, title: "Actor did not answer").ExecuteAsync(context);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await JsonBody.TooLarge().ExecuteAsync(context);
            }
            catch (ActorNotRunningException e) when (!context.Response.HasStarted)
            {
                await TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node not ready").ExecuteAsync(context);
            }
            catch (ConfigMonitor.Actors.Metrics.MetricsStoreUnavailableException e) when (!context.Response.HasStarted)
            {
                // The store keeps what it accepted and retries its journal; the client may ask again then.
                if (e.RetryIn is { } wait) context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Metrics store unavailable").ExecuteAsync(context);
            }
        });
        app.UseStatusCodePages();
        app.UseETags(ETags.PolledRoutes);

        app.MapHealthEndpoints();
        app.MapMetricsEndpoint();
        var api = app.MapGroup("/api").AddEndpointFilter(RouteIdLimit);
        var mutations = app.MapGroup("/api").AddEndpointFilter<ChangeRequestFilter>().AddEndpointFilter<BearerTokenFilter>().AddEndpointFilter(RouteIdLimit);
        api.MapTargetEndpoints(mutations);
        api.MapAlertEndpoints(mutations);
        api.MapClusterEndpoints(role);
        api.MapStatusEndpoints();
        app.MapApiDocument();
        return app;
    }

    /// <summary>
    /// An id or metric name in the path longer than <see cref="TextLimits.Id"/> is refused before any actor sees it. ASP.NET
    /// leaves an encoded '/' (%2F) encoded in a route value; no id holds one (or any '%'), so the handlers get the value fully
    /// decoded, and an answer quotes it as the client meant it ('../etc', not '..%2Fetc').
    /// </summary>
    private static async ValueTask<object?> RouteIdLimit(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            if (value is not string text) continue;
            if (TextLimits.Check(text, TextLimits.Id) is { } tooLong)
                return JsonBody.Bad($"path segment '{name}' {tooLong}");
            if (!text.Contains('%')) continue;
            var decoded = Uri.UnescapeDataString(text);
            for (var i = 0; i < context.Arguments.Count; i++)
                if (Equals(context.Arguments[i], text))
                    context.Arguments[i] = decoded;
        }
        return await next(context);
    }
}
