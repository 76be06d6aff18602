using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using ConfigMonitor.ConfigService.Caching;
using ConfigMonitor.ConfigService.Storage;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;
using ConfigMonitor.Actors.Protocol;

namespace ConfigMonitor.ConfigService;

/// <summary>The reference configuration service: answers the config-service protocol from an LRU cache over a SQLite or PostgreSQL table, and misbehaves on command.</summary>
public sealed class ConfigServiceActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private readonly ConfigServiceSettings _settings;
    private readonly IClock _clock;
    private readonly IConfigStore _store;
    // Cancelled when the actor stops, so database calls in flight end with it.
    private readonly CancellationTokenSource _stopping = new();
    private readonly LruCache<string, ConfigRow> _cache;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private long _nextSubscriptionNumber;

    // Bumped whenever cached data may have become stale (a write, a flush). A database read that started
    // before the bump must not refill the cache with what it read.
    private long _cacheGeneration;

    private TimeSpan _readDelay = TimeSpan.Zero;
    private bool _databaseAvailable = true;
    private bool _dropEvents;
    private bool _hanging;

    // Tries to prepare the database so far while it keeps failing at start; 0 once it is ready.
    private int _failedInitializations;

    /// <summary>Creates the actor; prefer <see cref="Props(ConfigServiceSettings)"/>.</summary>
    public ConfigServiceActor(ConfigServiceSettings settings)
    {
        _settings = settings;
        _clock = settings.Clock;
        _store = ConfigStores.Create(settings);
        _cache = new LruCache<string, ConfigRow>(settings.CacheCapacity);
        Initializing();
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The props of a reference configuration service.</summary>
    public static Props Props(ConfigServiceSettings settings) => ActorProps.Of(() => new ConfigServiceActor(settings));

    private string Name => _settings.ServiceName;

    /// <inheritdoc />
    protected override void PreStart() => Initialize();

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        var store = _store;
        // Closing the pool's idle connections is network I/O: not on the actor's thread.
        Task.Run(() => store.DisposeAsync().AsTask());
    }

    private void Initialize()
    {
        var store = _store;
        var seed = _settings.SeedSampleRows;
        var now = _clock.UtcNow;
        var stopping = _stopping.Token;
        // Microsoft.Data.Sqlite completes its *Async methods synchronously, so Task.Run keeps the file I/O off the actor's thread.
        Task.Run(() => store.InitializeAsync(seed, now, stopping))
            .PipeTo(Self, success: seeded => new StoreReady(seeded), failure: cause => new StoreFailed(Unwrapped(cause)));
    }

    private void Initializing()
    {
        ReceiveFaults();
        ReceiveSubscriberDeaths();
        Receive<StoreReady>(ready =>
        {
            OnStoreReady(ready);
            BecomeReady();
        });
        Receive<StoreFailed>(failed =>
        {
            OnStoreFailed(failed);
            BecomeReady();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnStoreReady(StoreReady ready)
    {
        _log.Info("Config service {0}: database {1} ready ({2} sample rows seeded{3}), cache capacity {4}",
            Name, _settings.DatabaseDescription, ready.SeededRows,
            _failedInitializations > 0 ? $", after {_failedInitializations} failed tries" : "", _cache.Capacity);
        _failedInitializations = 0;
    }

    // Preparing the database failed (at start or on a retry): try again after a growing delay, so the service recovers
    // on its own when the database comes up.
    private void OnStoreFailed(StoreFailed failed)
    {
        _failedInitializations++;
        var delay = RetryDelay(_failedInitializations);
        if (_failedInitializations == 1)
        {
            // Serve anyway: cache-less requests answer ConfigServiceError, which a monitor can see, rather than hang.
            _log.Error("Config service {0}: could not prepare database {1}: {2}; requests needing it fail until it is usable, trying again every {3} at most",
                Name, _settings.DatabaseDescription, Describe(failed.Cause), Durations.Format(_settings.InitializeRetryMaxDelay));
        }
        else
        {
            _log.Debug("Config service {0}: database {1} still not usable (try {2}): {3}; next try in {4}",
                Name, _settings.DatabaseDescription, _failedInitializations, Describe(failed.Cause), Durations.Format(delay));
        }
        Timers.StartSingleTimer(RetryInitialization.Instance, RetryInitialization.Instance, delay);
    }

    private TimeSpan RetryDelay(int failures)
    {
        var delay = _settings.InitializeRetryDelay;
        for (var i = 1; i < failures && delay < _settings.InitializeRetryMaxDelay; i++)
            delay += delay;
        return delay < _settings.InitializeRetryMaxDelay ? delay : _settings.InitializeRetryMaxDelay;
    }

    private void BecomeReady()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Ready()
    {
        ReceiveFaults();
        ReceiveSubscriberDeaths();

        Receive<IConfigServiceRequest>(_ => _hanging, request =>
            _log.Debug("Config service {0}: hung, leaving {1} unanswered", Name, request.GetType().Name));
        Receive<ConfigServiceCommands.SetConfig>(_ => _hanging, command =>
            _log.Debug("Config service {0}: hung, leaving the write of {1} unanswered", Name, command.Key));

        Receive<GetConfig>(get => Read(new PendingRead(ConfigServiceOperations.GetConfig, get.Key, get.Default, WithMetadata: false, Sender)));
        Receive<GetConfigWithMetadata>(get => Read(new PendingRead(ConfigServiceOperations.GetConfigWithMetadata, get.Key, null, WithMetadata: true, Sender)));
        Receive<ReadCompleted>(OnReadCompleted);
        Receive<GetCacheStats>(_ => Sender.Tell(new CacheStats(_cache.Hits, _cache.Misses, _cache.Count, _cache.Capacity)));
        Receive<ProbeDatabase>(_ => Probe());
        Receive<ProbeCompleted>(done => done.ReplyTo.Tell(new DatabaseProbeResult(done.SelectOne, done.RowCount)));
        Receive<Subscribe>(OnSubscribe);
        Receive<Unsubscribe>(OnUnsubscribe);
        Receive<NotifyChange>(notify =>
            Sender.Tell(new ChangeNotified(notify.Key, Publish(notify.Key, notify.OldValue, notify.NewValue))));
        Receive<ConfigServiceCommands.SetConfig>(Write);
        Receive<WriteCompleted>(OnWriteCompleted);
        Receive<OperationFailed>(OnOperationFailed);
        Receive<StoreReady>(OnStoreReady);
        Receive<StoreFailed>(OnStoreFailed);
        Receive<RetryInitialization>(_ => Initialize());
    }

    private void ReceiveFaults()
    {
        Receive<SetReadDelay>(fault =>
        {
            _readDelay = fault.Delay < TimeSpan.Zero ? TimeSpan.Zero : fault.Delay;
            ApplyFault(_readDelay == TimeSpan.Zero ? "read replies are no longer delayed" : $"read replies delayed by {ConfigMonitor.Actors.Targets.Durations.Format(_readDelay)}");
        });
        Receive<FlushCache>(_ =>
        {
            var dropped = _cache.Count;
            _cache.Clear();
            _cache.ResetStatistics();
            _cacheGeneration++;
            ApplyFault($"cache flushed ({dropped} entries dropped) and its counters reset");
        });
        Receive<SetDatabaseAvailable>(fault =>
        {
            _databaseAvailable = fault.Available;
            ApplyFault(fault.Available ? "database available again" : "database unavailable: only cache hits are answered");
        });
        Receive<SetDropEvents>(fault =>
        {
            _dropEvents = fault.Drop;
            ApplyFault(fault.Drop ? "change events are dropped" : "change events are delivered again");
        });
        Receive<SetHang>(fault =>
        {
            _hanging = fault.Hang;
            ApplyFault(fault.Hang ? "hung: requests are received but never answered" : "no longer hung: requests are answered again");
        });
        Receive<ResetFaults>(_ =>
        {
            _readDelay = TimeSpan.Zero;
            _databaseAvailable = true;
            _dropEvents = false;
            _hanging = false;
            ApplyFault("every fault cleared: reads are not delayed, the database is available, events are delivered, requests are answered");
        });
        Receive<GetFaults>(_ => Sender.Tell(new FaultState(_readDelay, _databaseAvailable, _dropEvents, _hanging)));
    }

    private void ApplyFault(string description)
    {
        _log.Warning("Config service {0}: fault applied on command: {1}", Name, description);
        Sender.Tell(new FaultApplied(description));
    }

    private void ReceiveSubscriberDeaths()
    {
        Receive<Terminated>(terminated =>
        {
            var dropped = _subscriptions.Values.Where(s => s.Subscriber.Equals(terminated.ActorRef)).Select(s => s.Id).ToList();
            foreach (var id in dropped)
                _subscriptions.Remove(id);
            _log.Info("Config service {0}: subscriber {1} terminated, {2} subscription(s) dropped",
                Name, terminated.ActorRef.Path, dropped.Count);
        });
    }

    private void Read(PendingRead read)
    {
        if (_cache.TryGet(read.Key, out var cached))
        {
            ReplyToRead(read.ReplyTo, ReadReply(read, cached, fromCache: true));
            return;
        }

        if (!_databaseAvailable)
        {
            ReplyToRead(read.ReplyTo, new ConfigServiceError(read.Operation, ConfigServiceOperations.DatabaseUnavailable));
            return;
        }

        var store = _store;
        var generation = _cacheGeneration;
        var stopping = _stopping.Token;
        Task.Run(() => store.ReadAsync(read.Key, stopping)).PipeTo(Self,
            success: row => new ReadCompleted(read, row, generation),
            failure: cause => new OperationFailed(read.Operation, read.Key, read.ReplyTo, Unwrapped(cause), IsRead: true));
    }

    private void OnReadCompleted(ReadCompleted completed)
    {
        // Absent keys are not cached: a later insert needs no invalidation to become visible.
        if (completed.Row is not null && completed.Generation == _cacheGeneration)
            _cache.Put(completed.Row.Key, completed.Row);
        ReplyToRead(completed.Read.ReplyTo, ReadReply(completed.Read, completed.Row, fromCache: false));
    }

    private static object ReadReply(PendingRead read, ConfigRow? row, bool fromCache) => read.WithMetadata
        ? new ConfigEntry(read.Key, row?.Value, row is not null, row?.Description, row?.UpdatedAt, row?.Version ?? 0, fromCache)
        : new ConfigValue(read.Key, row?.Value ?? read.Default, row is not null);

    private void ReplyToRead(IActorRef replyTo, object reply)
    {
        if (_readDelay <= TimeSpan.Zero)
        {
            replyTo.Tell(reply, Self);
            return;
        }

        AtLeast(_readDelay).PipeTo(replyTo, Self, success: () => reply);
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/> by a monotonic clock: Task.Delay's timer runs on a coarse tick and can fire a few
    /// milliseconds early, and a client timing a delayed read must never see less than the delay it asked for.
    /// </summary>
    private static async Task AtLeast(TimeSpan delay)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < delay)
            await Task.Delay(delay - clock.Elapsed + TimeSpan.FromMilliseconds(1));
    }

    private void Probe()
    {
        var replyTo = Sender;
        if (!_databaseAvailable)
        {
            replyTo.Tell(new ConfigServiceError(ConfigServiceOperations.ProbeDatabase, ConfigServiceOperations.DatabaseUnavailable));
            return;
        }

        var store = _store;
        var stopping = _stopping.Token;
        Task.Run(() => store.ProbeAsync(stopping)).PipeTo(Self,
            success: result => new ProbeCompleted(replyTo, result.SelectOne, result.RowCount),
            failure: cause => new OperationFailed(ConfigServiceOperations.ProbeDatabase, "the database", replyTo, Unwrapped(cause), IsRead: false));
    }

    private void Write(ConfigServiceCommands.SetConfig command)
    {
        var replyTo = Sender;
        if (!_databaseAvailable)
        {
            replyTo.Tell(new ConfigServiceError(ConfigServiceOperations.SetConfig, ConfigServiceOperations.DatabaseUnavailable));
            return;
        }

        var store = _store;
        var now = _clock.UtcNow;
        var stopping = _stopping.Token;
        Task.Run(() => store.UpsertAsync(command.Key, command.Value, command.Description, now, stopping)).PipeTo(Self,
            success: write => new WriteCompleted(write, replyTo),
            failure: cause => new OperationFailed(ConfigServiceOperations.SetConfig, command.Key, replyTo, Unwrapped(cause), IsRead: false));
    }

    private void OnWriteCompleted(WriteCompleted completed)
    {
        var write = completed.Write;
        _cache.Remove(write.Key);
        _cacheGeneration++;
        var notified = Publish(write.Key, write.OldValue, write.NewValue);
        _log.Info("Config service {0}: {1} set to version {2}, {3} subscriber(s) told", Name, write.Key, write.Version, notified);
        completed.ReplyTo.Tell(new ConfigServiceCommands.ConfigSet(write.Key, write.Version));
    }

    private void OnOperationFailed(OperationFailed failed)
    {
        var reason = Describe(failed.Cause);
        _log.Warning("Config service {0}: {1} for {2} failed on database {3}: {4}",
            Name, failed.Operation, failed.Subject, _settings.DatabaseDescription, reason);
        var error = new ConfigServiceError(failed.Operation, $"database error: {reason}");
        if (failed.IsRead)
            ReplyToRead(failed.ReplyTo, error);
        else
            failed.ReplyTo.Tell(error);
    }

    private void OnSubscribe(Subscribe subscribe)
    {
        var id = $"sub-{++_nextSubscriptionNumber}";
        _subscriptions[id] = new Subscription(id, subscribe.Key, subscribe.Subscriber);
        Context.Watch(subscribe.Subscriber);
        _log.Debug("Config service {0}: {1} subscribed to changes of {2} as {3}", Name, subscribe.Subscriber.Path, subscribe.Key, id);
        Sender.Tell(new Subscribed(id, subscribe.Key));
    }

    private void OnUnsubscribe(Unsubscribe unsubscribe)
    {
        var existed = _subscriptions.Remove(unsubscribe.SubscriptionId, out var removed);
        if (removed is not null && !_subscriptions.Values.Any(s => s.Subscriber.Equals(removed.Subscriber)))
            Context.Unwatch(removed.Subscriber);
        Sender.Tell(new Unsubscribed(unsubscribe.SubscriptionId, existed));
    }

    /// <summary>Sends the change to every subscriber of the key and returns how many there are; while events are dropped nobody receives it, but the count is the same, as a lost event is silent.</summary>
    private int Publish(string key, string? oldValue, string? newValue)
    {
        var subscribers = _subscriptions.Values.Where(s => s.Key == key).ToList();
        if (_dropEvents)
        {
            if (subscribers.Count > 0)
                _log.Warning("Config service {0}: dropping the change of {1} meant for {2} subscriber(s)", Name, key, subscribers.Count);
            return subscribers.Count;
        }

        var now = _clock.UtcNow;
        foreach (var subscription in subscribers)
            subscription.Subscriber.Tell(new ConfigChanged(subscription.Id, key, oldValue, newValue, now), Self);
        return subscribers.Count;
    }

    // PipeTo hands over the task's AggregateException; the store's own exception is inside it.
    private static Exception Unwrapped(Exception cause) =>
        cause is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrapped(aggregate.InnerExceptions[0]) : cause;

    /// <summary>A failure in one line without secrets: the store's message and, when it wraps one, the root cause ("Failed to connect to 127.0.0.1:5432: Connection refused").</summary>
    private static string Describe(Exception cause)
    {
        var root = cause.GetBaseException();
        var text = ReferenceEquals(root, cause) || cause.Message.Contains(root.Message, StringComparison.Ordinal)
            ? cause.Message
            : $"{cause.Message}: {root.Message}";
        return Redaction.Redact(text.ReplaceLineEndings(" "));
    }

    private sealed record Subscription(string Id, string Key, IActorRef Subscriber);

    private sealed record StoreReady(int SeededRows);

    private sealed record StoreFailed(Exception Cause);

    private sealed class RetryInitialization
    {
        public static readonly RetryInitialization Instance = new();
    }

    private sealed record PendingRead(string Operation, string Key, string? Default, bool WithMetadata, IActorRef ReplyTo);

    private sealed record ReadCompleted(PendingRead Read, ConfigRow? Row, long Generation);

    private sealed record ProbeCompleted(IActorRef ReplyTo, long SelectOne, long RowCount);

    private sealed record WriteCompleted(ConfigWrite Write, IActorRef ReplyTo);

    private sealed record OperationFailed(string Operation, string Subject, IActorRef ReplyTo, Exception Cause, bool IsRead);
}

/// <summary>Akka.Hosting wiring of the reference configuration service.</summary>
public static class ConfigServiceHostingExtensions
{
    /// <summary>Starts a reference configuration service as the top-level actor <paramref name="actorName"/>; find it at <see cref="ActorPathOf"/>.</summary>
    public static AkkaConfigurationBuilder AddReferenceConfigService(
        this AkkaConfigurationBuilder builder, ConfigServiceSettings settings, string actorName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actorName);
        return builder.WithActors((system, _) => system.ActorOf(ConfigServiceActor.Props(settings), actorName));
    }

    /// <summary>The path of a service started by <see cref="AddReferenceConfigService"/>, for example <c>/user/config-service</c>.</summary>
    public static string ActorPathOf(string actorName) => $"/user/{actorName}";
}
