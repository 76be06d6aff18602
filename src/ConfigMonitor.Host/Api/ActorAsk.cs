using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host.Api;

/// <summary>The API's one way to reach actors: ask with a timeout; no answer becomes a 504 problem, a missing actor a 503.</summary>
public sealed class ActorAsk(ActorRegistry registry, ApiSettings settings)
{
    /// <summary>How long a handler waits for an actor.</summary>
    public TimeSpan Timeout => settings.AskTimeout;

    /// <summary>The actor registered under <typeparamref name="TKey"/>, or null while the node is still starting.</summary>
    public IActorRef? Find<TKey>() => registry.TryGet<TKey>(out var actor) ? actor : null;

    /// <summary>Asks <typeparamref name="TKey"/> and maps the answer; failures become problem results.</summary>
    public async Task<IResult> AskAsync<TKey>(object message, Func<object, IResult> map, CancellationToken ct, TimeSpan? timeout = null)
    {
        var actor = Find<TKey>();
        if (actor is null) return NotReady(typeof(TKey).Name);
        try
        {
            return map(await actor.Ask<object>(message, timeout ?? Timeout, ct));
        }
        catch (AskTimeoutException)
        {
            return TimedOut(typeof(TKey).Name, timeout ?? Timeout);
        }
    }

    /// <summary>Asks and returns the typed answer, or throws <see cref="AskTimeoutException"/>/<see cref="InvalidOperationException"/>.</summary>
    public async Task<T> AskAsync<TKey, T>(object message, CancellationToken ct, TimeSpan? timeout = null)
    {
        var actor = Find<TKey>() ?? throw new ActorNotRunningException(typeof(TKey).Name);
        return await actor.Ask<T>(message, timeout ?? Timeout, ct);
    }

    /// <summary>Every target, read page by page from the registry (throws like <see cref="AskAsync{TKey,T}"/>).</summary>
    public Task<Actors.Targets.TargetRegistryCommands.TargetList> AllTargetsAsync(CancellationToken ct) =>
        Actors.Targets.TargetPages.AllAsync(
            Find<ConfigMonitor.Actors.Hosting.TargetDirectory>() ?? throw new ActorNotRunningException("TargetDirectory"), Timeout, ct);

    /// <summary>Every retained alert, read page by page from the AlertManager (throws like <see cref="AskAsync{TKey,T}"/>).</summary>
    public Task<Actors.Alerts.AlertQueries.AlertList> AllAlertsAsync(CancellationToken ct) =>
        Actors.Alerts.AlertQueries.AllAlertsAsync(
            Find<ConfigMonitor.Actors.Hosting.AlertManager>() ?? throw new ActorNotRunningException("AlertManager"), false, Timeout, ct);

    /// <summary>503: the actor is not registered yet.</summary>
    public static IResult NotReady(string what) => TypedResults.Problem(
        $"{what} is not running yet; the node is still starting", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node not ready");

    /// <summary>504: the actor did not answer in time.</summary>
    public static IResult TimedOut(string what, TimeSpan timeout) => TypedResults.Problem(
        $"{what} did not answer within {timeout.TotalSeconds:0.#} s; the cluster may be forming or overloaded, try again",
        statusCode: StatusCodes.Status504GatewayTimeout, title: "Actor did not answer");

    /// <summary>A problem result with the given status.</summary>
    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>500 for an answer the API does not know (a bug, never a client error).</summary>
    public static IResult Unexpected(object answer) =>
        Problem(StatusCodes.Status500InternalServerError, "Unexpected answer", $"the actor answered {answer.GetType().Name}");
}

/// <summary>An actor the API needs is not registered yet (the node is starting): a 503, never a 500.</summary>
public sealed class ActorNotRunningException(string what) : InvalidOperationException($"{what} is not running yet; the node is still starting");
