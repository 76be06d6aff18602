using Akka.Actor;
using ConfigMonitor.Actors.Alerts;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Tests.Monitoring;

/// <summary>
/// What a database kind reports beyond the round trip (etcd's status: leader, db size, quota, raft term) is kept as db_*
/// samples, and a store over its share of the quota is a database/storage_quota warning. The answer is etcd's status as the
/// etcd kind maps it (EtcdKindSpecs reads it from a real etcd); here the loop's judgement is checked for both sides of the limit.
/// </summary>
public sealed class DatabaseFiguresSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private sealed class StatusAnswer(double size, double quota) : IDatabaseFacet
    {
        public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) => Task.FromResult(new DatabaseProbeResult(1, 42)
        {
            Figures = new Dictionary<string, double> { ["leader"] = 1, ["db_size_bytes"] = size, ["db_quota_bytes"] = quota, ["raft_term"] = 3 },
        });
    }

    [Theory]
    [InlineData(50, 100, false)]
    [InlineData(90, 100, true)]
    public async Task Figures_should_become_samples_and_a_store_past_its_quota_share_a_warning(double size, double quota, bool breached)
    {
        var target = TargetDefinition.WithDefaults("kv", "/user/unused") with { ProbeTimeout = TimeSpan.FromSeconds(1) };
        var adapter = new FacetedAdapter(TargetFacets.Resolve(target), ActorConfigServiceAdapter.For(Sys, "/user/unused"), null,
            new StatusAnswer(size * 1024 * 1024, quota * 1024 * 1024), null);
        var metrics = CreateTestProbe();
        var alerts = CreateTestProbe();
        Sys.ActorOf(DatabaseLoopActor.Props(new LoopContext(target, adapter, metrics.Ref, alerts.Ref, SystemClock.Instance)));

        var samples = (await metrics.ExpectMsgAsync<MetricsCommands.RecordSamples>(TimeSpan.FromSeconds(10))).Samples.ToDictionary(s => s.Metric, s => s.Value);
        Assert.Equal(1, samples["db_leader"]);
        Assert.Equal(size * 1024 * 1024, samples["db_size_bytes"]);
        Assert.Equal(quota * 1024 * 1024, samples["db_quota_bytes"]);
        Assert.Equal(3, samples["db_raft_term"]);
        Assert.Equal(42, samples[MetricNames.DatabaseRowCount]);
        var observation = (Observation)await alerts.FishForMessageAsync(m => m is Observation { Rule: DatabaseLoopActor.StorageQuotaRule }, TimeSpan.FromSeconds(10));
        Assert.Equal(breached, observation.Breached);
        Assert.Equal(AlertSeverity.Warning, observation.Severity);
        Assert.Equal(size / quota, observation.Value!.Value, 6);
        Assert.Equal(0.8, observation.Threshold);
        Assert.Contains($"of its {quota:0.#} MiB quota", observation.Message);
    }
}
