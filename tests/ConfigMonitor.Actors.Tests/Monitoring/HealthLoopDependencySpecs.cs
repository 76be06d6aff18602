using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// health/service_health is about the config service itself: its reads, and its cache when it serves the cache itself. A cache
/// on infrastructure of its own (here an http cache endpoint that refuses connections) is a dependency like the database: its
/// failure is its own rule's alert (cache/stats_unavailable), not "the service is down" inhibiting everything else.
/// </summary>
public sealed class HealthLoopDependencySpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task A_separate_cache_that_fails_should_not_breach_service_health()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromSeconds(1)) with
        {
            Cache = new CacheSettings { Kind = FacetKinds.Http, Endpoint = "http://127.0.0.1:1", Interval = TimeSpan.FromSeconds(1) },
        };
        Assert.Empty(TargetDefinitionReader.Validate(target));
        var alerts = CreateTestProbe();
        Sys.ActorOf(HealthLoopActor.Props(new LoopContext(target, FacetAdapters.Default(Sys, target), CreateTestProbe().Ref, alerts.Ref, SystemClock.Instance)));

        var health = (Observation)await alerts.FishForMessageAsync(m => m is Observation { Rule: HealthLoopActor.ServiceHealthRule }, Timeout);

        Assert.False(health.Breached, health.Message);
        Assert.Contains("the config service answers its reads; a dependency does not", health.Message);
        Assert.Contains("cache stats:", health.Message);
    }

    [Fact]
    public async Task A_cache_the_service_serves_itself_that_fails_should_breach_service_health()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc2");
        // Every facet on the same actor: the cache statistics are the service's own answer.
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromSeconds(1), probeTimeout: TimeSpan.FromMilliseconds(300));
        await ReferenceServices.Fault(service, new ConfigMonitor.ConfigService.ConfigServiceFaults.SetHang(true));
        var alerts = CreateTestProbe();
        Sys.ActorOf(HealthLoopActor.Props(new LoopContext(target, FacetAdapters.Default(Sys, target), CreateTestProbe().Ref, alerts.Ref, SystemClock.Instance)));

        var health = (Observation)await alerts.FishForMessageAsync(m => m is Observation { Rule: HealthLoopActor.ServiceHealthRule }, Timeout);

        Assert.True(health.Breached, health.Message);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _data.Dispose();
    }
}
