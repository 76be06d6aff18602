using Akka.Actor;

namespace ConfigMonitor.ConfigService.Http;

/// <summary>How the HTTP front of a reference config service behaves; the standalone process reads it from <c>ConfigService:*</c>.</summary>
public sealed record ReferenceServiceHttpOptions
{
    /// <summary>The standalone process's default ask timeout of protocol routes.</summary>
    public static readonly TimeSpan DefaultAskTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The bearer token that lets a non-loopback client write and inject faults; null: only loopback clients may.
    /// A wrong token is refused even from loopback (a client that presents a credential means it).
    /// </summary>
    public string? FaultToken { get; init; }

    /// <summary>The setting that holds <see cref="FaultToken"/>, named in refusals so an operator knows what to set.</summary>
    public string FaultTokenSetting { get; init; } = "ConfigService:FaultToken";

    /// <summary>
    /// How long a protocol route (reads, writes, health, subscribe, notify) waits for the actor. While the service is hung
    /// the request stays open this long (a client normally gives up first) and then answers 504 (503 for /health).
    /// </summary>
    public TimeSpan AskTimeout { get; init; } = DefaultAskTimeout;

    /// <summary>How long a fault route waits for the actor (faults are answered even while hung, so this is short).</summary>
    public TimeSpan FaultAskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an idle event stream writes a <c>: keep-alive</c> comment.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest read delay <c>POST /faults/read-delay</c> accepts.</summary>
    public TimeSpan MaxReadDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How many changes an event stream buffers for a slow client before it closes the stream (rather than drop one silently).</summary>
    public int EventBufferSize { get; init; } = 1024;
}

/// <summary>The actor system and service actor the HTTP routes talk to.</summary>
public sealed record ReferenceServiceConnection(ActorSystem System, IActorRef Service);
