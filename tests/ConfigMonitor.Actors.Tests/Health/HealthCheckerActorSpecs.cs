using Akka.Actor;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Tests.Support;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;
using static ConfigMonitor.ConfigService.ConfigServiceFaults;

namespace ConfigMonitor.Actors.Tests.Health;

/// <summary>The seven checks against a real reference service, each made healthy and unhealthy.</summary>
public sealed class HealthCheckerActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();

    private static readonly HealthCheckSettings Roomy = new()
    {
        MaxProcessMemoryMb = 64 * 1024, MinDiskFreePercent = 0.001, CheckTimeout = TimeSpan.FromSeconds(3),
    };

    private (IActorRef Checker, IActorRef Service) Start(HealthCheckSettings? settings = null, TimeSpan? loopInterval = null,
        AdapterFactory? adapters = null)
    {
        var service = ReferenceServices.Start(Sys, _data, "svc");
        var target = ReferenceServices.Target("orders", service, interval: loopInterval ?? TimeSpan.FromMilliseconds(200));
        adapters ??= ConfigMonitorHosting.ActorAdapters;
        var monitor = Sys.ActorOf(TargetMonitorActor.Props("orders", CreateTestProbe().Ref, CreateTestProbe().Ref, SystemClock.Instance, adapters));
        monitor.Tell(new TargetMonitorCommands.MonitorTarget(target));
        var registry = Sys.ActorOf(TargetRegistryActor.Props([target], CreateTestProbe().Ref));
        var checker = Sys.ActorOf(HealthCheckerActor.Props(settings ?? Roomy, registry, monitor, SystemClock.Instance, adapters));
        return (checker, service);
    }

    private static async Task<HealthReport> Report(IActorRef checker, string? target = null) =>
        await checker.Ask<HealthReport>(new HealthQueries.GetHealthReport(target), Timeout);

    private async Task<HealthCheckResult> EventuallyCheck(IActorRef checker, string name, HealthState state)
    {
        HealthCheckResult? last = null;
        await AwaitAssertAsync(async () =>
        {
            last = (await Report(checker)).Checks.Single(c => c.Name == name);
            Assert.True(last.Status == state, $"{name}: {last.Status} {last.Message}");
        }, Timeout, TimeSpan.FromMilliseconds(200));
        return last!;
    }

    [Fact]
    public async Task Should_report_all_seven_checks_healthy_for_a_working_service()
    {
        var (checker, _) = Start();

        // The cumulative hit rate starts at 50 % (one miss, one hit) and climbs as the loops read the probe key.
        HealthReport report = null!;
        await AwaitAssertAsync(async () =>
        {
            report = await Report(checker);
            Assert.True(report.Healthy, string.Join("; ", report.Checks.Where(c => !c.Healthy).Select(c => $"{c.Name}: {c.Message}")));
        }, Timeout, TimeSpan.FromMilliseconds(200));

        Assert.Equal(HealthState.Healthy, report.Status);
        Assert.Equal(HealthCheckNames.All.Order(), report.Checks.Select(c => c.Name).Order());
        Assert.Equal(1, report.Checks.Single(c => c.Name == HealthCheckNames.DatabaseConnectivity).Figures["select_one"]);
        Assert.True(report.Checks.Single(c => c.Name == HealthCheckNames.DatabaseConnectivity).Figures["configuration_rows"] >= 5);
        Assert.Equal(1, report.Checks.Single(c => c.Name == HealthCheckNames.EventSystem).Figures["delivered"]);
        Assert.True(report.Checks.Single(c => c.Name == HealthCheckNames.MemoryUsage).Figures["process_mb"] > 0);
        Assert.InRange(report.Checks.Single(c => c.Name == HealthCheckNames.DiskSpace).Figures["free_percent"], 0, 100);
    }

    [Theory]
    [InlineData(0.7, 0.95, 500, 10, 3)]     // the seed's thresholds
    [InlineData(0.55, 0.8, 12345, 0.5, 7)] // others, so a threshold cannot be a constant that happens to match
    public async Task Every_judged_figure_should_sit_next_to_the_threshold_it_was_judged_against(
        double minHitRate, double maxUsage, double maxProcessMb, double minFreePercent, int maxFailures)
    {
        var settings = Roomy with
        {
            MinCacheHitRate = minHitRate, MaxCacheUsage = maxUsage, MaxProcessMemoryMb = maxProcessMb,
            MinDiskFreePercent = minFreePercent, MaxConsecutiveFailures = maxFailures, MinCacheRequests = 42,
        };
        var (checker, _) = Start(settings, loopInterval: TimeSpan.FromHours(1));
        var target = ReferenceServices.Target("orders", ActorRefs.Nobody);

        var report = await Report(checker);

        (string Check, string Figure, string Threshold, double Value)[] expected =
        [
            (HealthCheckNames.ConfigurationService, "read_ms", "max_read_ms", target.Performance.AccessTimeThresholdMs),
            (HealthCheckNames.DatabaseConnectivity, "response_ms", "max_response_ms", target.Database.ResponseTimeThresholdMs),
            (HealthCheckNames.DatabaseConnectivity, "select_one", "expected_select_one", 1),
            (HealthCheckNames.CachePerformance, "hit_rate", "min_hit_rate", minHitRate),
            (HealthCheckNames.CachePerformance, "usage", "max_usage", maxUsage),
            (HealthCheckNames.CachePerformance, "total_requests", "min_total_requests", 42),
            (HealthCheckNames.EventSystem, "delivered", "expected_delivered", 1),
            (HealthCheckNames.ServiceAdapters, "consecutive_failures", "max_consecutive_failures", maxFailures),
            (HealthCheckNames.MemoryUsage, "process_mb", "max_process_mb", maxProcessMb),
            (HealthCheckNames.DiskSpace, "free_percent", "min_free_percent", minFreePercent),
        ];
        foreach (var (check, figure, threshold, value) in expected)
        {
            var figures = report.Checks.Single(c => c.Name == check).Figures;
            Assert.True(figures.ContainsKey(figure), $"{check} lacks {figure}: {string.Join(", ", figures.Keys)}");
            Assert.True(figures.TryGetValue(threshold, out var actual), $"{check} lacks {threshold} next to {figure}");
            Assert.Equal(value, actual, 6);
        }
        // Every threshold in a report names a figure beside it (no threshold without its figure, on any of the seven checks).
        Assert.Equal(HealthCheckNames.All.Order(), report.Checks.Select(c => c.Name).Order());
        foreach (var check in report.Checks)
            foreach (var key in check.Figures.Keys.Where(k => k.StartsWith("min_") || k.StartsWith("max_") || k.StartsWith("expected_")))
                Assert.Contains(key[(key.IndexOf('_') + 1)..], check.Figures.Keys);
    }

    [Fact]
    public void System_memory_should_be_used_memory_as_linux_counts_it_from_proc_meminfo()
    {
        var result = HealthChecks.MemoryUsage(Roomy);
        var figure = result.Figures["system_percent"];

        Assert.InRange(figure, 0, 100);
        if (!File.Exists("/proc/meminfo")) return; // not Linux: the GC's memory load is the figure (range checked above)
        var lines = File.ReadAllLines("/proc/meminfo").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => long.Parse(p[1].Trim().Split(' ')[0]));
        var expected = 100.0 * (lines["MemTotal"] - lines["MemAvailable"]) / lines["MemTotal"];
        // Memory moves between the two reads: a few percent apart at most, where the GC's load differed by tens.
        Assert.InRange(figure, expected - 3, expected + 3);
        Assert.Contains($"system memory {figure:0.#}% used", result.Message);
    }

    [Theory]
    [InlineData("MemTotal:       16000000 kB\nMemFree:  1000000 kB\nMemAvailable:    4000000 kB\n", 75.0)]
    [InlineData("MemAvailable: 1000 kB\nMemTotal: 1000 kB", 0.0)]
    [InlineData("MemTotal: 1000 kB\nMemAvailable: 0 kB", 100.0)]
    [InlineData("MemTotal: 1000 kB\n", null)]              // no MemAvailable (kernels before 3.14): fall back
    [InlineData("MemTotal: 0 kB\nMemAvailable: 0 kB", null)]
    [InlineData("MemTotal: 1000 kB\nMemAvailable: 2000 kB", null)]
    [InlineData("MemTotal: lots\nMemAvailable: 10 kB", null)]
    [InlineData("", null)]
    public void Meminfo_should_give_used_percent_or_nothing_when_it_cannot(string memInfo, double? expected) =>
        Assert.Equal(expected, SystemMemory.FromMemInfo(memInfo));

    [Fact]
    public async Task Configuration_service_check_should_be_degraded_when_reads_are_slower_than_the_threshold()
    {
        var (checker, service) = Start(loopInterval: TimeSpan.FromHours(1));
        await ReferenceServices.Fault(service, new SetReadDelay(TimeSpan.FromMilliseconds(120)));

        var report = await Report(checker);
        var check = report.Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService);

        Assert.Equal(HealthState.Degraded, check.Status);
        Assert.Contains("above the 50 ms threshold", check.Message);
        Assert.NotEqual(HealthState.Healthy, report.Status);
    }

    [Fact]
    public async Task Configuration_service_check_should_fail_when_the_service_hangs()
    {
        var (checker, service) = Start(loopInterval: TimeSpan.FromHours(1));
        await ReferenceServices.Fault(service, new SetHang(true));

        var report = await Report(checker);
        var check = report.Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService);

        Assert.Equal(HealthState.Unhealthy, report.Status);
        Assert.Equal(HealthState.Unhealthy, check.Status);
        Assert.Contains("did not answer 'get_config'", check.Error);
    }

    [Fact]
    public async Task Database_check_should_fail_when_the_database_is_unavailable()
    {
        var (checker, service) = Start(loopInterval: TimeSpan.FromHours(1));
        await ReferenceServices.Fault(service, new SetDatabaseAvailable(false));

        var check = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.DatabaseConnectivity);

        Assert.Equal(HealthState.Unhealthy, check.Status);
        Assert.Contains("database unavailable", check.Error);
    }

    [Fact]
    public async Task Cache_check_should_fail_below_the_minimum_hit_rate()
    {
        var (checker, service) = Start(loopInterval: TimeSpan.FromHours(1));
        await ReferenceServices.Fault(service, FlushCache.Instance);
        var keys = new[] { "app.environment", "db.pool_size", "cache.ttl_seconds", "feature.new_checkout", "no.such.key" };
        foreach (var key in keys) await service.Ask<ConfigValue>(new GetConfig(key), Timeout);
        var fresh = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.CachePerformance);
        Assert.Equal(HealthState.Healthy, fresh.Status); // a handful of requests is too few to judge a hit rate
        Assert.Contains("requests so far", fresh.Message);
        // Misses only: a key that is never found is never cached.
        for (var i = 0; i < 20; i++) await service.Ask<ConfigValue>(new GetConfig("no.such.key"), Timeout);

        var check = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.CachePerformance);

        Assert.Equal(HealthState.Degraded, check.Status);
        Assert.Contains("below 70", check.Message);
        Assert.True(check.Figures["hit_rate"] < 0.7);
    }

    [Fact]
    public async Task Event_check_should_fail_when_change_events_are_dropped()
    {
        var (checker, service) = Start(loopInterval: TimeSpan.FromHours(1));
        await ReferenceServices.Fault(service, new SetDropEvents(true));

        var check = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.EventSystem);

        Assert.Equal(HealthState.Unhealthy, check.Status);
        Assert.Equal(0, check.Figures["delivered"]);
        Assert.Contains("did not arrive", check.Error);
    }

    [Fact]
    public async Task Adapter_check_should_fail_after_consecutive_failed_probes()
    {
        var (checker, service) = Start();
        await EventuallyCheck(checker, HealthCheckNames.ServiceAdapters, HealthState.Healthy);
        await ReferenceServices.Fault(service, FlushCache.Instance);
        await ReferenceServices.Fault(service, new SetDatabaseAvailable(false));

        var check = await EventuallyCheck(checker, HealthCheckNames.ServiceAdapters, HealthState.Unhealthy);

        Assert.Equal(HealthState.Unhealthy, check.Status);
        Assert.True(check.Figures["consecutive_failures"] >= 3);
        Assert.Contains("failed", check.Message);
    }

    [Fact]
    public async Task Memory_check_should_fail_above_the_process_limit()
    {
        var (checker, _) = Start(Roomy with { MaxProcessMemoryMb = 1 }, loopInterval: TimeSpan.FromHours(1));

        var check = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.MemoryUsage);

        Assert.Equal(HealthState.Degraded, check.Status);
        Assert.Contains("limit 1 MB", check.Message);
    }

    [Fact]
    public async Task Disk_check_should_fail_when_less_than_the_minimum_is_free()
    {
        var (checker, _) = Start(Roomy with { MinDiskFreePercent = 100, DiskPath = _data.Path }, loopInterval: TimeSpan.FromHours(1));

        var check = (await Report(checker)).Checks.Single(c => c.Name == HealthCheckNames.DiskSpace);

        Assert.Equal(HealthState.Unhealthy, check.Status);
        Assert.Contains("minimum 100%", check.Message);
    }

    [Fact]
    public async Task A_check_that_throws_should_make_the_report_unhealthy_with_the_error_instead_of_failing_the_checker()
    {
        AdapterFactory broken = (_, _) => new ThrowingAdapter();
        var (checker, _) = Start(loopInterval: TimeSpan.FromHours(1), adapters: broken);

        var report = await Report(checker);

        Assert.False(report.Healthy);
        Assert.Equal(7, report.Checks.Count);
        var check = report.Checks.Single(c => c.Name == HealthCheckNames.ConfigurationService);
        Assert.Equal("adapter exploded", check.Error);
        Assert.True(report.Checks.Single(c => c.Name == HealthCheckNames.DiskSpace).Healthy);
    }

    [Fact]
    public async Task Should_answer_an_unknown_target_with_an_unhealthy_report_naming_it()
    {
        var (checker, _) = Start(loopInterval: TimeSpan.FromHours(1));

        var report = await Report(checker, "nope");

        Assert.False(report.Healthy);
        Assert.Contains(report.Checks, c => c.Error == "unknown target 'nope'");
    }

    [Fact]
    public async Task Guard_should_turn_a_hanging_check_into_a_timed_out_result()
    {
        var result = await HealthChecks.Guard("slow", "t", TimeSpan.FromMilliseconds(100), async () =>
        {
            await Task.Delay(Timeout);
            throw new InvalidOperationException("never");
        });

        Assert.False(result.Healthy);
        Assert.Equal("check did not finish within 100ms", result.Error);
    }

    /// <summary>A third-party adapter with a bug: every call throws.</summary>
    private sealed class ThrowingAdapter : IConfigServiceAdapter
    {
        private static Task<T> Boom<T>() => throw new InvalidOperationException("adapter exploded");
        public Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout) => Boom<ConfigValue>();
        public Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout) => Boom<ConfigEntry>();
        public Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout) => Boom<CacheStats>();
        public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) => Boom<DatabaseProbeResult>();
        public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) => Boom<Subscribed>();
        public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) => Boom<ChangeNotified>();
        public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout) => Boom<Unsubscribed>();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
