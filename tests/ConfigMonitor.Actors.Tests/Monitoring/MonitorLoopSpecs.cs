using Akka.Actor;
using Akka.TestKit;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>Each loop against a real reference config service: healthy, slow, failing and hanging.</summary>
public sealed class MonitorLoopSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _data = new();

    private (TestProbe Metrics, TestProbe Alerts, IActorRef Loop) StartLoop(Func<LoopContext, Props> props, TargetDefinition target)
    {
        var metrics = CreateTestProbe();
        var alerts = CreateTestProbe();
        var context = new LoopContext(target, ActorConfigServiceAdapter.For(Sys, target.Endpoint), metrics.Ref, alerts.Ref, SystemClock.Instance);
        return (metrics, alerts, Sys.ActorOf(props(context)));
    }

    private static async Task<Observation> ExpectObservation(TestProbe alerts, string rule, bool breached) =>
        (Observation)await alerts.FishForMessageAsync(m => m is Observation o && o.Rule == rule && o.Breached == breached, Timeout);

    private static async Task<MetricSample> ExpectSample(TestProbe metrics, string metric) =>
        ((MetricsCommands.RecordSamples)await metrics.FishForMessageAsync(
            m => m is MetricsCommands.RecordSamples r && r.Samples.Any(s => s.Metric == metric), Timeout))
        .Samples.First(s => s.Metric == metric);

    [Fact]
    public async Task Performance_loop_should_time_a_config_read_and_observe_it_as_healthy()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        // Probes every half second: a first read that a busy machine (a cold start, another build) made slower than the 50 ms
        // threshold is followed by warm ones, so the spec checks how a healthy read is observed, not how fast this machine is.
        var (metrics, alerts, _) = StartLoop(PerformanceLoopActor.Props,
            ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(500)));

        var batch = (MetricsCommands.RecordSamples)await metrics.FishForMessageAsync(m => m is MetricsCommands.RecordSamples r
            && r.Samples.Any(s => s.Metric == MetricNames.ConfigAccessMs && s.Value < 50), Timeout);
        var access = await ExpectObservation(alerts, PerformanceLoopActor.AccessTimeRule, breached: false);

        Assert.Equal("orders", batch.TargetId);
        Assert.Equal(1, batch.Samples.Single(s => s.Metric == MetricNames.ConfigAccessOk).Value);
        Assert.InRange(batch.Samples.Single(s => s.Metric == MetricNames.ConfigAccessMs).Value, 0, 500);
        Assert.Equal(50, access.Threshold);
    }

    [Fact]
    public async Task Performance_loop_should_observe_a_breach_when_reads_are_slower_than_the_threshold()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetReadDelay(TimeSpan.FromMilliseconds(150)));
        var (_, alerts, _) = StartLoop(PerformanceLoopActor.Props, ReferenceServices.Target("orders", service));

        var slow = await ExpectObservation(alerts, PerformanceLoopActor.AccessTimeRule, breached: true);

        Assert.Equal(AlertCategory.Performance, slow.Category);
        Assert.True(slow.Value >= 140, $"measured {slow.Value} ms"); // the service delays by 150 ms on a scheduler tick of ~10 ms
        Assert.Contains("above the 50 ms threshold", slow.Message);
    }

    [Fact]
    public async Task Performance_loop_should_turn_a_failing_read_into_a_failure_sample_and_a_critical_observation()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, FlushCache.Instance);
        await ReferenceServices.Fault(service, new SetDatabaseAvailable(false));
        var (metrics, alerts, _) = StartLoop(PerformanceLoopActor.Props, ReferenceServices.Target("orders", service));

        var failed = await ExpectObservation(alerts, PerformanceLoopActor.ReadFailedRule, breached: true);
        var ok = await ExpectSample(metrics, MetricNames.ConfigAccessOk);

        Assert.Equal(AlertSeverity.Critical, failed.Severity);
        Assert.Contains("database unavailable", failed.Message);
        Assert.Equal(0, ok.Value);
    }

    [Fact]
    public async Task Performance_loop_should_report_a_hanging_service_as_timed_out_and_keep_probing()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetHang(true));
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(400), probeTimeout: TimeSpan.FromMilliseconds(300));
        var (_, alerts, _) = StartLoop(PerformanceLoopActor.Props, target);

        var hung = await ExpectObservation(alerts, PerformanceLoopActor.ReadFailedRule, breached: true);
        Assert.Contains("did not answer 'get_config' within 300ms", hung.Message);

        await ReferenceServices.Fault(service, new SetHang(false));
        await ExpectObservation(alerts, PerformanceLoopActor.ReadFailedRule, breached: false);
    }

    [Fact]
    public async Task A_hanging_target_should_never_delay_the_probes_of_another_target()
    {
        var hung = ReferenceServices.Start(Sys, _data, "hung");
        var healthy = ReferenceServices.Start(Sys, _data, "healthy");
        await ReferenceServices.Fault(hung, new SetHang(true));
        var every = TimeSpan.FromMilliseconds(200);
        var hungFor = TimeSpan.FromSeconds(60); // the longest probe timeout a target may have
        StartLoop(PerformanceLoopActor.Props, ReferenceServices.Target("hung", hung, every, probeTimeout: hungFor));
        var (metrics, _, _) = StartLoop(PerformanceLoopActor.Props, ReferenceServices.Target("healthy", healthy, every));

        // Five probes of the healthy target (a second at their interval) in far less time than one probe of the hung one may take:
        // a third of it leaves a busy machine room and still tells "beside the hung probe" from "behind it".
        var started = DateTime.UtcNow;
        for (var i = 0; i < 5; i++) await ExpectSample(metrics, MetricNames.ConfigAccessMs);
        Assert.True(DateTime.UtcNow - started < hungFor / 3, $"five probes took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Cache_loop_should_observe_a_low_hit_rate_over_the_interval_and_its_recovery()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var adapter = ActorConfigServiceAdapter.For(Sys, service.Path.ToStringWithoutAddress());
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(300));
        target = target with { Cache = target.Cache with { MinRequests = 1 } }; // every interval with a request is judged
        var (metrics, alerts, _) = StartLoop(CacheLoopActor.Props, target);
        await ExpectSample(metrics, MetricNames.CacheUsage);

        // Misses only: every read is of a key the cache has not seen since the flush.
        await ReferenceServices.Fault(service, FlushCache.Instance);
        foreach (var key in new[] { "app.name", "app.environment", "db.pool_size", "cache.ttl_seconds" })
            await adapter.GetConfigAsync(key, null, Timeout);
        var low = await ExpectObservation(alerts, CacheLoopActor.HitRateRule, breached: true);
        Assert.Equal(0, low.Value);

        // Hits only: the same key again and again.
        for (var i = 0; i < 20; i++) await adapter.GetConfigAsync("app.name", null, Timeout);
        var recovered = await ExpectObservation(alerts, CacheLoopActor.HitRateRule, breached: false);
        Assert.True(recovered.Value >= 0.8);
    }

    [Fact]
    public async Task Cache_loop_should_judge_the_hit_rate_only_over_an_interval_that_served_enough_requests()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var adapter = ActorConfigServiceAdapter.For(Sys, service.Path.ToStringWithoutAddress());
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromSeconds(1));
        Assert.Equal(20, target.Cache.MinRequests);
        var (metrics, alerts, _) = StartLoop(CacheLoopActor.Props, target);
        await ExpectSample(metrics, MetricNames.CacheUsage);

        // Four misses in all: recorded as a 0 % hit rate, never judged.
        await ReferenceServices.Fault(service, FlushCache.Instance);
        foreach (var key in new[] { "app.name", "app.environment", "db.pool_size", "cache.ttl_seconds" })
            await adapter.GetConfigAsync(key, null, Timeout);
        var quiet = await ExpectSample(metrics, MetricNames.CacheHitRate);
        Assert.True(quiet.Value < 0.8, $"hit rate {quiet.Value}");
        var judged = new List<Observation>();
        await foreach (var o in alerts.ReceiveWhileAsync(TimeSpan.FromSeconds(2.5), m => m as Observation))
            if (o!.Rule == CacheLoopActor.HitRateRule) judged.Add(o);
        Assert.Empty(judged);

        // Sixty misses (keys the service does not hold are never cached): whichever intervals they fall in, one of them
        // holds at least twenty and is judged.
        for (var i = 0; i < 60; i++) await adapter.GetConfigAsync($"no.such.key.{i}", null, Timeout);
        var low = await ExpectObservation(alerts, CacheLoopActor.HitRateRule, breached: true);
        Assert.Contains("requests", low.Message);
    }

    [Fact]
    public async Task Cache_loop_should_observe_an_overfull_cache()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service);
        target = target with { Cache = target.Cache with { MaxUsage = 0.005 } };
        var adapter = ActorConfigServiceAdapter.For(Sys, target.Endpoint);
        await adapter.GetConfigAsync("app.name", null, Timeout);
        var (_, alerts, _) = StartLoop(CacheLoopActor.Props, target);

        var full = await ExpectObservation(alerts, CacheLoopActor.UsageRule, breached: true);
        Assert.True(full.Value > 0.005);
    }

    [Fact]
    public async Task Database_loop_should_record_the_round_trip_and_the_row_count()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var (metrics, alerts, _) = StartLoop(DatabaseLoopActor.Props, ReferenceServices.Target("orders", service));

        var rows = await ExpectSample(metrics, MetricNames.DatabaseRowCount);
        await ExpectObservation(alerts, DatabaseLoopActor.UnreachableRule, breached: false);

        Assert.True(rows.Value >= 5, $"system_configurations has {rows.Value} rows");
    }

    [Fact]
    public async Task Database_loop_should_observe_a_round_trip_slower_than_the_threshold()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service);
        target = target with { Database = target.Database with { ResponseTimeThresholdMs = 0.001 } };
        var (_, alerts, _) = StartLoop(DatabaseLoopActor.Props, target);

        var slow = await ExpectObservation(alerts, DatabaseLoopActor.ResponseTimeRule, breached: true);
        Assert.Equal(AlertSeverity.Warning, slow.Severity);
    }

    [Fact]
    public async Task Database_loop_should_observe_an_unavailable_database_as_critical()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetDatabaseAvailable(false));
        var (metrics, alerts, _) = StartLoop(DatabaseLoopActor.Props, ReferenceServices.Target("orders", service));

        var down = await ExpectObservation(alerts, DatabaseLoopActor.UnreachableRule, breached: true);
        Assert.Equal(0, (await ExpectSample(metrics, MetricNames.DatabaseOk)).Value);
        Assert.Equal(AlertSeverity.Critical, down.Severity);
    }

    [Fact]
    public async Task Health_loop_should_find_a_working_service_healthy()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var (metrics, alerts, _) = StartLoop(HealthLoopActor.Props, ReferenceServices.Target("orders", service));

        await ExpectObservation(alerts, HealthLoopActor.ServiceHealthRule, breached: false);
        Assert.Equal(1, (await ExpectSample(metrics, MetricNames.HealthOk)).Value);
    }

    [Fact]
    public async Task Health_loop_should_leave_a_database_that_alone_fails_to_the_database_rule_and_name_it()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service);
        // The probe key is in the cache, so reads still answer while the database is down.
        await service.Ask<ConfigValue>(new GetConfig(target.ProbeKey, null), TimeSpan.FromSeconds(5));
        await ReferenceServices.Fault(service, new SetDatabaseAvailable(false));
        var (metrics, alerts, _) = StartLoop(HealthLoopActor.Props, target);

        // The service answers its reads and cache statistics: the outage is the database's (database/unreachable pages for it).
        var observed = await ExpectObservation(alerts, HealthLoopActor.ServiceHealthRule, breached: false);
        Assert.Contains("database:", observed.Message);
        Assert.DoesNotContain("cache stats:", observed.Message);
        Assert.Equal(0, (await ExpectSample(metrics, MetricNames.HealthOk)).Value);
    }

    [Fact]
    public async Task Health_loop_should_find_a_service_that_does_not_answer_unhealthy_and_name_each_failing_request()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        await ReferenceServices.Fault(service, new SetHang(true));
        var target = ReferenceServices.Target("orders", service, interval: TimeSpan.FromMilliseconds(400), probeTimeout: TimeSpan.FromMilliseconds(300));
        var (_, alerts, _) = StartLoop(HealthLoopActor.Props, target);

        var unhealthy = await ExpectObservation(alerts, HealthLoopActor.ServiceHealthRule, breached: true);
        Assert.Equal(AlertSeverity.Critical, unhealthy.Severity);
        Assert.Contains("config read:", unhealthy.Message);
        Assert.Contains("cache stats:", unhealthy.Message);
    }

    [Fact]
    public async Task Health_loop_should_warn_when_the_process_uses_more_memory_than_allowed()
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service);
        target = target with { Health = target.Health with { MaxProcessMemoryMb = 1 } };
        var (_, alerts, _) = StartLoop(HealthLoopActor.Props, target);

        var memory = await ExpectObservation(alerts, HealthLoopActor.ProcessMemoryRule, breached: true);
        Assert.Equal(AlertSeverity.Warning, memory.Severity);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
