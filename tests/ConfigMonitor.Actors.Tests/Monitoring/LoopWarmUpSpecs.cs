using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// A client's connection set-up (a TCP or TLS handshake, a PostgreSQL login, a gRPC channel) is not the service being slow:
/// a loop's first probe, and its first probe after a failure, follow an untimed warm-up call, so neither raises a slow read.
/// </summary>
public sealed class LoopWarmUpSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _data = new();

    /// <summary>The real reference service's adapter, with what a network client adds: a set-up cost on its first call and on the first call after an outage.</summary>
    private sealed class ConnectingAdapter(IConfigServiceAdapter real, TimeSpan setUpCost) : IConfigServiceAdapter
    {
        private int _connected;
        public volatile bool Down;
        public int SetUps;

        private async Task<T> Call<T>(Func<Task<T>> call)
        {
            if (Down)
            {
                Interlocked.Exchange(ref _connected, 0);
                throw new ConfigServiceException("get_config", "connection refused");
            }
            if (Interlocked.Exchange(ref _connected, 1) == 0)
            {
                Interlocked.Increment(ref SetUps);
                await Task.Delay(setUpCost);
            }
            return await call();
        }

        public Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout) => Call(() => real.GetConfigAsync(key, defaultValue, timeout));
        public Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout) => Call(() => real.GetConfigWithMetadataAsync(key, timeout));
        public Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout) => Call(() => real.GetCacheStatsAsync(timeout));
        public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) => Call(() => real.ProbeDatabaseAsync(timeout));
        public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) => real.SubscribeAsync(key, subscriber, timeout);
        public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) => real.NotifyChangeAsync(key, oldValue, newValue, timeout);
        public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout) => real.UnsubscribeAsync(subscriptionId, timeout);
    }

    public static TheoryData<string, string> TimedLoops() => new()
    {
        { LoopNames.Performance, PerformanceLoopActor.AccessTimeRule },
        { LoopNames.Database, DatabaseLoopActor.ResponseTimeRule },
    };

    [Theory]
    [MemberData(nameof(TimedLoops))]
    public async Task Neither_the_first_probe_nor_the_first_after_an_outage_should_time_the_connection_set_up(string loop, string rule)
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(500));
        var adapter = new ConnectingAdapter(ActorConfigServiceAdapter.For(Sys, target.Endpoint), TimeSpan.FromMilliseconds(300));
        var alerts = CreateTestProbe();
        var context = new LoopContext(target, adapter, CreateTestProbe().Ref, alerts.Ref, SystemClock.Instance);
        Sys.ActorOf(loop == LoopNames.Performance ? PerformanceLoopActor.Props(context) : DatabaseLoopActor.Props(context));

        async Task<List<Observation>> Timings(int count)
        {
            var seen = new List<Observation>();
            while (seen.Count < count)
                seen.Add((Observation)await alerts.FishForMessageAsync(m => m is Observation o && o.Rule == rule, Timeout));
            return seen;
        }

        var first = await Timings(3);
        adapter.Down = true;
        await alerts.FishForMessageAsync(m => m is Observation { Breached: true }, Timeout);
        adapter.Down = false;
        var afterOutage = await Timings(3);

        // The set-up (300 ms, above the 50 ms / 100 ms thresholds) happened twice, and no timed probe carried it.
        Assert.Equal(2, adapter.SetUps);
        Assert.All(first.Concat(afterOutage), o => Assert.False(o.Breached, $"{o.Message} ({o.Value} ms)"));
        Assert.All(first.Concat(afterOutage), o => Assert.True(o.Value < 300, $"{o.Value} ms"));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _data.Dispose();
    }
}
