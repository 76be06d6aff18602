using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.ConfigService.ConfigServiceCommands;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.ConfigService.Http;

/// <summary>
/// The HTTP API of a reference config service, mapped onto any endpoint route builder (the standalone process, or a
/// listener of the monitor node). Every route asks the service actor; the only state held here is the open event streams.
/// </summary>
public static class ReferenceServiceHttp
{
    /// <summary>Maps the routes for a service actor that already runs.</summary>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder routes, ActorSystem system, IActorRef service, ReferenceServiceHttpOptions options) =>
        Map(routes, () => new ReferenceServiceConnection(system, service), options);

    /// <summary>
    /// Maps the routes; <paramref name="connect"/> is called per request and may answer null while the service is not started
    /// yet (those requests answer 503). The returned group lets a host narrow the routes (for example <c>RequireHost("*:5081")</c>).
    /// </summary>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder routes, Func<ReferenceServiceConnection?> connect, ReferenceServiceHttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(options);
        var services = routes.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ConfigMonitor.ConfigService.Http");
        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var api = new Routes(connect, options, logger, stopping);

        var group = routes.MapGroup("");
        group.AddEndpointFilter(api.CatchUnexpectedAsync);
        group.MapGet("/config/{key}", (Delegate)api.GetConfigAsync);
        group.MapGet("/config/{key}/metadata", (Delegate)api.GetMetadataAsync);
        group.MapGet("/cache/stats", (Delegate)api.GetCacheStatsAsync);
        group.MapGet("/health", (Delegate)api.GetHealthAsync);
        group.MapGet("/events", (Delegate)api.StreamEventsAsync);
        group.MapPost("/events/notify", (Delegate)api.NotifyAsync);
        group.MapGet("/faults", (Delegate)api.GetFaultsAsync);

        var guarded = group.MapGroup("");
        guarded.AddEndpointFilter(api.GuardAsync);
        guarded.MapPut("/config/{key}", (Delegate)api.PutConfigAsync);
        guarded.MapPost("/faults/read-delay", (Delegate)api.SetReadDelayAsync);
        guarded.MapPost("/faults/cache-flush", (Delegate)api.FlushCacheAsync);
        guarded.MapPost("/faults/database", (Delegate)api.SetDatabaseAsync);
        guarded.MapPost("/faults/drop-events", (Delegate)api.SetDropEventsAsync);
        guarded.MapPost("/faults/hang", (Delegate)api.SetHangAsync);
        guarded.MapPost("/faults/reset", (Delegate)api.ResetAsync);
        return group;
    }

    /// <summary>A JSON answer in the contract's settings.</summary>
    internal static IResult Json(int status, object body) => Results.Json(body, ContractJson.Options, statusCode: status);

    private sealed class Routes(Func<ReferenceServiceConnection?> connect, ReferenceServiceHttpOptions options, ILogger logger, CancellationToken stopping)
    {
        private const string FaultOperation = "fault";
        private static readonly BodyField[] NoFields = [];
        private static readonly BodyField[] WriteFields = [new("value", FieldKind.TextOrNull, true), new("description", FieldKind.TextOrNull, false)];
        private static readonly BodyField[] NotifyFields =
            [new("key", FieldKind.Text, true), new("oldValue", FieldKind.TextOrNull, false), new("newValue", FieldKind.TextOrNull, false)];
        private static readonly BodyField[] DelayFields = [new("delay", FieldKind.Text, true)];
        private static readonly BodyField[] DatabaseFields = [new("available", FieldKind.Boolean, true)];
        private static readonly BodyField[] DropFields = [new("drop", FieldKind.Boolean, true)];
        private static readonly BodyField[] HangFields = [new("hang", FieldKind.Boolean, true)];

        private long _nextStream;

        public async ValueTask<object?> CatchUnexpectedAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            try
            {
                return await next(context);
            }
            catch (BadHttpRequestException e)
            {
                return http.Response.HasStarted ? Results.Empty : Json(e.StatusCode, new ErrorBody(e.Message));
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
            {
                return Results.Empty;
            }
            catch (Exception e)
            {
                logger.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
                return http.Response.HasStarted
                    ? Results.Empty
                    : Json(StatusCodes.Status500InternalServerError, new ErrorBody($"the service failed on this request ({e.GetType().Name}); see its log"));
            }
        }

        public async ValueTask<object?> GuardAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            var decision = FaultGuard.Decide(http.Connection.RemoteIpAddress, http.Request.Headers.Authorization.ToString(),
                options.FaultToken, options.FaultTokenSetting);
            if (decision.Allowed) return await next(context);
            logger.LogWarning("Refused {Method} {Path} from {Remote}: {Reason}", http.Request.Method, http.Request.Path,
                http.Connection.RemoteIpAddress, decision.Reason);
            return Json(StatusCodes.Status403Forbidden, new ErrorBody(decision.Reason!));
        }

        public async Task<IResult> GetConfigAsync(string key, HttpContext http)
        {
            if (RequestInput.CheckKey(key) is { } wrong) return RequestInput.Bad(wrong);
            var (answer, failure) = await AskAsync(new GetConfig(key), ConfigServiceOperations.GetConfig, http);
            return failure ?? answer switch
            {
                ConfigValue value => Json(value.Found ? StatusCodes.Status200OK : StatusCodes.Status404NotFound,
                    new ConfigValueBody(value.Key, value.Value, value.Found)),
                _ => ErrorOrUnexpected(answer, ConfigServiceOperations.GetConfig),
            };
        }

        public async Task<IResult> GetMetadataAsync(string key, HttpContext http)
        {
            if (RequestInput.CheckKey(key) is { } wrong) return RequestInput.Bad(wrong);
            var (answer, failure) = await AskAsync(new GetConfigWithMetadata(key), ConfigServiceOperations.GetConfigWithMetadata, http);
            return failure ?? answer switch
            {
                ConfigEntry e => Json(e.Found ? StatusCodes.Status200OK : StatusCodes.Status404NotFound,
                    new ConfigMetadataBody(e.Key, e.Value, e.Found, e.Description, e.UpdatedAt, e.Version, e.FromCache)),
                _ => ErrorOrUnexpected(answer, ConfigServiceOperations.GetConfigWithMetadata),
            };
        }

        public async Task<IResult> PutConfigAsync(string key, HttpContext http)
        {
            if (RequestInput.CheckKey(key) is { } wrong) return RequestInput.Bad(wrong);
            var (body, refusal) = await RequestInput.ReadBodyAsync(http.Request, WriteFields, http.RequestAborted);
            if (refusal is not null) return refusal;
            var (answer, failure) = await AskAsync(new SetConfig(key, body!.Text("value"), body.Text("description")), ConfigServiceOperations.SetConfig, http);
            return failure ?? answer switch
            {
                ConfigSet set => Json(StatusCodes.Status200OK, new ConfigWrittenBody(set.Key, set.Version)),
                _ => ErrorOrUnexpected(answer, ConfigServiceOperations.SetConfig),
            };
        }

        public async Task<IResult> GetCacheStatsAsync(HttpContext http)
        {
            const string operation = "get_cache_stats";
            var (answer, failure) = await AskAsync(GetCacheStats.Instance, operation, http);
            return failure ?? answer switch
            {
                CacheStats s => Json(StatusCodes.Status200OK, new CacheStatsBody(s.Hits, s.Misses, s.Size, s.MaxSize)),
                _ => ErrorOrUnexpected(answer, operation),
            };
        }

        public async Task<IResult> GetHealthAsync(HttpContext http)
        {
            var clock = Stopwatch.StartNew();
            var (answer, failure) = await AskAsync(ProbeDatabase.Instance, ConfigServiceOperations.ProbeDatabase, http);
            var elapsedMs = Math.Round(clock.Elapsed.TotalMilliseconds, 2);
            if (failure is not null)
            {
                // A service that does not answer is a database that does not answer, as far as a client can tell.
                return http.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested
                    ? failure
                    : Down(connect() is null ? "the config service is not running yet" : $"no answer within {Durations.Format(options.AskTimeout)}");
            }
            return answer switch
            {
                DatabaseProbeResult r => Json(StatusCodes.Status200OK,
                    new HealthBody("up", new DatabaseHealthBody("up", r.SelectOne, r.ConfigurationRowCount, elapsedMs))),
                ConfigServiceError e => Down(e.Reason),
                _ => Unexpected(answer),
            };

            static IResult Down(string error) =>
                Json(StatusCodes.Status503ServiceUnavailable, new HealthBody("down", new DatabaseHealthBody("down", Error: error)));
        }

        public async Task<IResult> NotifyAsync(HttpContext http)
        {
            const string operation = "notify_change";
            var (body, refusal) = await RequestInput.ReadBodyAsync(http.Request, NotifyFields, http.RequestAborted);
            if (refusal is not null) return refusal;
            var key = body!.Text("key");
            if (RequestInput.CheckKey(key, "field 'key'") is { } wrong) return RequestInput.Bad(wrong);
            var (answer, failure) = await AskAsync(new NotifyChange(key!, body.Text("oldValue"), body.Text("newValue")), operation, http);
            return failure ?? answer switch
            {
                ChangeNotified n => Json(StatusCodes.Status200OK, new ChangeNotifiedBody(n.Key, n.Subscribers)),
                _ => ErrorOrUnexpected(answer, operation),
            };
        }

        public async Task<IResult> StreamEventsAsync(HttpContext http)
        {
            const string operation = "subscribe";
            var keys = http.Request.Query["key"];
            if (keys.Count > 1) return RequestInput.Bad($"query parameter 'key' is given {keys.Count} times; give one key per stream");
            var key = keys.Count == 1 ? keys[0] : null;
            if (RequestInput.CheckKey(key, "query parameter 'key'") is { } wrong) return RequestInput.Bad(wrong);
            var connection = connect();
            if (connection is null) return NotRunning(operation);

            var changes = Channel.CreateBounded<ConfigChanged>(new BoundedChannelOptions(Math.Max(1, options.EventBufferSize))
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            var subscriber = connection.System.ActorOf(ActorProps.Of(() => new EventStreamSubscriber(changes.Writer)),
                $"reference-service-events-{Interlocked.Increment(ref _nextStream)}");
            var (answer, failure) = await AskAsync(new Subscribe(key!, subscriber), operation, http);
            if (answer is not Subscribed subscribed)
            {
                connection.System.Stop(subscriber);
                return failure ?? ErrorOrUnexpected(answer, operation);
            }

            using var ends = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
            var ct = ends.Token;
            try
            {
                http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                http.Response.StatusCode = StatusCodes.Status200OK;
                http.Response.ContentType = "text/event-stream; charset=utf-8";
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.Headers["X-Accel-Buffering"] = "no";
                await WriteAsync(http, $": subscribed {subscribed.SubscriptionId}\n\n", ct);
                logger.LogDebug("Event stream {Subscription} for {Key} opened by {Remote}", subscribed.SubscriptionId, key, http.Connection.RemoteIpAddress);
                await PumpAsync(http, changes.Reader, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client closed the stream, or the service is stopping: both end it normally.
            }
            catch (IOException)
            {
                // The connection broke while writing: the client is gone.
            }
            finally
            {
                subscriber.Tell(new EventStreamSubscriber.Leave(connection.Service, subscribed.SubscriptionId));
                logger.LogDebug("Event stream {Subscription} for {Key} closed", subscribed.SubscriptionId, key);
            }
            return Results.Empty;
        }

        private async Task PumpAsync(HttpContext http, ChannelReader<ConfigChanged> changes, CancellationToken ct)
        {
            long sent = 0;
            Task<bool>? waiting = null;
            while (!ct.IsCancellationRequested)
            {
                waiting ??= changes.WaitToReadAsync(ct).AsTask();
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var tick = Task.Delay(options.KeepAliveInterval, keepAlive.Token);
                var first = await Task.WhenAny(waiting, tick);
                await keepAlive.CancelAsync();
                if (first != waiting)
                {
                    if (ct.IsCancellationRequested) return;
                    await WriteAsync(http, ": keep-alive\n\n", ct);
                    continue;
                }
                bool open;
                try
                {
                    open = await waiting;
                }
                catch (InvalidOperationException e)
                {
                    logger.LogWarning("Event stream closed: {Reason}", e.Message);
                    return;
                }
                waiting = null;
                if (!open) return;
                while (changes.TryRead(out var change))
                {
                    var data = JsonSerializer.Serialize(new ChangeEventBody(change.Key, change.OldValue, change.NewValue, change.ChangedAt), ContractJson.Options);
                    await http.Response.WriteAsync($"event: change\nid: {++sent}\ndata: {data}\n\n", ct);
                }
                await http.Response.Body.FlushAsync(ct);
            }
        }

        private static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
        {
            await http.Response.WriteAsync(text, ct);
            await http.Response.Body.FlushAsync(ct);
        }

        public async Task<IResult> GetFaultsAsync(HttpContext http)
        {
            var (answer, failure) = await AskAsync(GetFaults.Instance, FaultOperation, http, options.FaultAskTimeout);
            return failure ?? answer switch
            {
                FaultState s => Json(StatusCodes.Status200OK, new FaultStateBody(Durations.Format(s.ReadDelay), s.DatabaseAvailable, s.DropEvents, s.Hang)),
                _ => Unexpected(answer),
            };
        }

        public async Task<IResult> SetReadDelayAsync(HttpContext http)
        {
            var (body, refusal) = await RequestInput.ReadBodyAsync(http.Request, DelayFields, http.RequestAborted);
            if (refusal is not null) return refusal;
            if (Durations.Check(body!.Text("delay"), new DurationRange(TimeSpan.Zero, options.MaxReadDelay), out var delay) is { } wrong)
                return RequestInput.Bad($"field 'delay' {wrong}");
            return await ApplyAsync(new SetReadDelay(delay), http);
        }

        public Task<IResult> FlushCacheAsync(HttpContext http) => ApplyWithBodyAsync(http, NoFields, _ => FlushCache.Instance);

        public Task<IResult> SetDatabaseAsync(HttpContext http) =>
            ApplyWithBodyAsync(http, DatabaseFields, body => new SetDatabaseAvailable(body.Boolean("available")));

        public Task<IResult> SetDropEventsAsync(HttpContext http) =>
            ApplyWithBodyAsync(http, DropFields, body => new SetDropEvents(body.Boolean("drop")));

        public Task<IResult> SetHangAsync(HttpContext http) => ApplyWithBodyAsync(http, HangFields, body => new SetHang(body.Boolean("hang")));

        public Task<IResult> ResetAsync(HttpContext http) => ApplyWithBodyAsync(http, NoFields, _ => ResetFaults.Instance);

        private async Task<IResult> ApplyWithBodyAsync(HttpContext http, BodyField[] fields, Func<CheckedBody, IConfigServiceFault> fault)
        {
            var (body, refusal) = await RequestInput.ReadBodyAsync(http.Request, fields, http.RequestAborted);
            return refusal ?? await ApplyAsync(fault(body!), http);
        }

        private async Task<IResult> ApplyAsync(IConfigServiceFault fault, HttpContext http)
        {
            var (answer, failure) = await AskAsync(fault, FaultOperation, http, options.FaultAskTimeout);
            if (failure is not null) return failure;
            if (answer is not FaultApplied applied) return Unexpected(answer);
            logger.LogWarning("Fault applied over HTTP by {Remote}: {Description}", http.Connection.RemoteIpAddress, applied.Description);
            return Json(StatusCodes.Status200OK, new FaultAppliedBody(applied.Description));
        }

        /// <summary>Asks the service; a missing service, a timeout or a gone client become the result to send instead.</summary>
        private async Task<(object? Answer, IResult? Failure)> AskAsync(object message, string operation, HttpContext http, TimeSpan? timeout = null)
        {
            var connection = connect();
            if (connection is null) return (null, NotRunning(operation));
            var wait = timeout ?? options.AskTimeout;
            using var ends = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
            try
            {
                return (await connection.Service.Ask<object>(message, wait, ends.Token), null);
            }
            catch (AskTimeoutException)
            {
                return (null, Json(StatusCodes.Status504GatewayTimeout,
                    new ServiceErrorBody(operation, $"the service did not answer within {Durations.Format(wait)}")));
            }
            catch (OperationCanceledException) when (ends.IsCancellationRequested)
            {
                // The client gave up (or the service is stopping): nobody reads an answer.
                return (null, Results.Empty);
            }
        }

        private static IResult NotRunning(string operation) =>
            Json(StatusCodes.Status503ServiceUnavailable, new ServiceErrorBody(operation, "the config service is not running yet"));

        private static IResult ErrorOrUnexpected(object? answer, string operation) => answer is ConfigServiceError e
            ? Json(StatusCodes.Status503ServiceUnavailable, new ServiceErrorBody(e.Operation, e.Reason))
            : Unexpected(answer);

        private static IResult Unexpected(object? answer) => Json(StatusCodes.Status500InternalServerError,
            new ErrorBody($"the service answered {answer?.GetType().Name ?? "nothing"}, which this route does not expect"));
    }
}
