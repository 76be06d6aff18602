using System.Threading.Channels;
using Akka.Actor;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.ConfigService.Http;

/// <summary>
/// The subscriber behind one <c>GET /events</c> connection: passes each <see cref="ConfigChanged"/> to the stream in the
/// order received. When the client is too slow to keep <see cref="ReferenceServiceHttpOptions.EventBufferSize"/> changes
/// it ends the stream (a closed stream is visible; a skipped event would not be) and stops.
/// </summary>
internal sealed class EventStreamSubscriber : ReceiveActor
{
    /// <summary>Tells the subscriber to leave: it sends Unsubscribe and stops when answered (or after a short wait).</summary>
    public sealed record Leave(IActorRef Service, string SubscriptionId);

    private static readonly TimeSpan UnsubscribeWait = TimeSpan.FromSeconds(5);

    private readonly ChannelWriter<ConfigChanged> _changes;

    public EventStreamSubscriber(ChannelWriter<ConfigChanged> changes)
    {
        _changes = changes;
        Receive<ConfigChanged>(change =>
        {
            if (changes.TryWrite(change)) return;
            changes.TryComplete(new InvalidOperationException("the client did not read the event stream fast enough"));
            Context.Stop(Self);
        });
        Receive<Leave>(leave =>
        {
            changes.TryComplete();
            leave.Service.Tell(new Unsubscribe(leave.SubscriptionId));
            // A hung service never answers; stopping anyway ends the subscription through its death watch.
            Context.SetReceiveTimeout(UnsubscribeWait);
            Become(() =>
            {
                Receive<Unsubscribed>(_ => Context.Stop(Self));
                Receive<ReceiveTimeout>(_ => Context.Stop(Self));
                ReceiveAny(_ => { });
            });
        });
    }

    /// <summary>The stream ends whenever the subscriber stops, whatever stopped it.</summary>
    protected override void PostStop() => _changes.TryComplete();
}
