using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Maintenance;

/// <summary>The outcome of one event-system round trip on one target.</summary>
public sealed record EventProbeResult(
    string TargetId, bool Delivered, double? RoundTripMs, string? Error, DateTimeOffset StartedAt) : IConfigMonitorMessage;

/// <summary>
/// One event-system round trip, then stops: subscribe to the probe key, notify a change with a unique value,
/// wait for that change event (up to the target's event timeout), unsubscribe, report to whoever asked.
/// The round trip is timed from the subscribe request to the event's arrival.
/// </summary>
public sealed class EventProbeActor : ReceiveActor, IWithTimers
{
    // A step that fails after the probe finished (a notify answered 500 after the event timed out) reaches a stopped actor:
    // no dead-letter line for it, and never a stack trace in the log if one is written.
    private sealed record StepFailed(string Step, Exception Cause) : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public override string ToString() => $"{nameof(StepFailed)}({Step}: {Cause.GetType().Name}: {Cause.Message})";
    }

    private sealed class EventTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly EventTimedOut Instance = new();
    }

    private readonly TargetDefinition _target;
    private readonly IConfigServiceAdapter _adapter;
    private readonly IActorRef? _replyTo;
    private readonly TaskCompletionSource<EventProbeResult>? _completion;
    private readonly DateTimeOffset _startedAt;
    private readonly Stopwatch _stopwatch = new();
    private readonly string _token = Guid.NewGuid().ToString("N");
    private string? _subscriptionId;
    private EventProbeResult? _result;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates a probe of <paramref name="target"/> that reports to <paramref name="replyTo"/>.</summary>
    public EventProbeActor(TargetDefinition target, IConfigServiceAdapter adapter, IClock clock, IActorRef? replyTo,
        TaskCompletionSource<EventProbeResult>? completion = null)
    {
        _target = target;
        _adapter = adapter;
        _replyTo = replyTo;
        _completion = completion;
        _startedAt = clock.UtcNow;

        Receive<Subscribed>(subscribed =>
        {
            _subscriptionId = subscribed.SubscriptionId;
            Timers.StartSingleTimer("event-timeout", EventTimedOut.Instance, _target.EventProbe.Timeout);
            var (adapter, key, token, timeout) = (_adapter, _target.EventProbe.Key, _token, _target.ProbeTimeout);
            adapter.NotifyChangeAsync(key, null, token, timeout)
                .PipeTo(Self, failure: cause => new StepFailed("notify_change", cause));
        });
        Receive<ChangeNotified>(_ => { });
        Receive<ConfigChanged>(changed => changed.NewValue == _token && _result is null, _ =>
        {
            Timers.Cancel("event-timeout");
            Finish(new EventProbeResult(_target.Id, true, _stopwatch.Elapsed.TotalMilliseconds, null, _startedAt));
        });
        Receive<ConfigChanged>(_ => { });
        Receive<EventTimedOut>(_ => Finish(new EventProbeResult(_target.Id, false, null,
            $"change event for '{_target.EventProbe.Key}' did not arrive within {Durations.Format(_target.EventProbe.Timeout)}", _startedAt)));
        Receive<Unsubscribed>(_ => Report());
        Receive<StepFailed>(failed =>
        {
            var error = Redaction.Redact($"{failed.Step} failed: {Unwrap(failed.Cause).Message}");
            if (_result is null)
            {
                Timers.Cancel("event-timeout");
                Finish(new EventProbeResult(_target.Id, false, null, error, _startedAt));
            }
            else
            {
                // The event arrived (or was lost) already; a failed unsubscribe is reported with it.
                _result = _result with { Error = _result.Error ?? error };
                Report();
            }
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _stopwatch.Start();
        var (adapter, key, self, timeout) = (_adapter, _target.EventProbe.Key, Self, _target.ProbeTimeout);
        adapter.SubscribeAsync(key, self, timeout).PipeTo(Self, failure: cause => new StepFailed("subscribe_to_changes", cause));
    }

    private void Finish(EventProbeResult result)
    {
        _result = result;
        if (_subscriptionId is null)
        {
            Report();
            return;
        }
        _adapter.UnsubscribeAsync(_subscriptionId, _target.ProbeTimeout)
            .PipeTo(Self, failure: cause => new StepFailed("unsubscribe", cause));
    }

    private void Report()
    {
        if (_result is null) return;
        _replyTo?.Tell(_result);
        _completion?.TrySetResult(_result);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void PostStop() =>
        _completion?.TrySetResult(_result ?? new EventProbeResult(_target.Id, false, null, "event probe stopped before it finished", _startedAt));

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : e;

    /// <summary>Props for one probe.</summary>
    public static Props Props(TargetDefinition target, IConfigServiceAdapter adapter, IClock clock, IActorRef replyTo) =>
        ActorProps.Of(() => new EventProbeActor(target, adapter, clock, replyTo, null));

    /// <summary>Props for one probe that completes <paramref name="completion"/> instead of replying.</summary>
    public static Props Props(TargetDefinition target, IConfigServiceAdapter adapter, IClock clock, TaskCompletionSource<EventProbeResult> completion) =>
        ActorProps.Of(() => new EventProbeActor(target, adapter, clock, null, completion));
}

/// <summary>Runs event round trips from outside an actor (the health checker's event_system check).</summary>
public static class EventRoundTrip
{
    /// <summary>Runs one round trip as a short-lived top-level actor and returns its result.</summary>
    public static Task<EventProbeResult> RunAsync(ActorSystem system, TargetDefinition target, IConfigServiceAdapter adapter, IClock clock)
    {
        var completion = new TaskCompletionSource<EventProbeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(EventProbeActor.Props(target, adapter, clock, completion));
        return completion.Task;
    }
}
