using System.Diagnostics;
using Akka;
using Akka.Actor;
using Akka.Persistence;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Time;
using static ConfigMonitor.Actors.Metrics.MetricsEvents;
using static ConfigMonitor.Actors.Metrics.MetricsQueries;

namespace ConfigMonitor.Benchmarks;

/// <summary>recovery: restart a node whose SQLite file holds 24 h of history per target.</summary>
public static class RecoveryScenario
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Rounds of the four loops per day at the default intervals (60/30/120/60 s): 0.2 samples/s per target.</summary>
    private static IEnumerable<MetricSample> Day(Random random)
    {
        var start = Workload.End.AddDays(-1);
        var loops = new[] { (Workload.Messages[0], 60), (Workload.Messages[1], 30), (Workload.Messages[2], 120), (Workload.Messages[3], 60) };
        foreach (var (names, interval) in loops)
            for (var s = 0; s < 86_400; s += interval)
                foreach (var name in names)
                    yield return new MetricSample(name, Workload.Value(name, random, s), start.AddSeconds(s + random.NextDouble()));
    }

    /// <summary>
    /// Seeds what a store leaves behind after a day: a rollup snapshot of 24 h and the batches persisted after it
    /// (written by the real serializer, under the store's persistence id), then times a fresh node until every store
    /// has recovered and answered; the reference is the same restart with empty stores.
    /// </summary>
    public static async Task RunAsync(bool quick)
    {
        const string scenario = "recovery";
        var targets = quick ? 100 : 1_000;
        const int tailBatches = 5;
        var folder = Measure.TempFolder(scenario);
        try
        {
            long samples = 0, snapshotBytes = 0;
            Figures.Progress($"{scenario}: seeding 24 h for {targets} targets");
            await using (var node = await BenchNode.SqliteAsync(folder))
            {
                var random = new Random(3);
                var seeding = new List<Task>();
                for (var t = 0; t < targets; t++)
                {
                    var day = Day(random).OrderBy(s => s.Timestamp).ToArray();
                    var cut = day.Length - tailBatches * 13;
                    var rollups = new MetricRollups();
                    rollups.Add(day.Take(cut));
                    var snapshot = new RollupSnapshot(rollups.ToBytes());
                    var tail = day.Skip(cut).Chunk(13).Select(c => new SampleBatchRecorded(c)).ToArray();
                    samples += day.Length;
                    snapshotBytes += snapshot.Rollups.Length;
                    var seeder = node.System.ActorOf(Props.Create(() => new Seeder($"metrics-t{t:D5}", snapshot, tail)));
                    seeding.Add(seeder.Ask<Done>(Seeder.Start, AskTimeout));
                    if (seeding.Count >= 50) { await Task.WhenAll(seeding); seeding.Clear(); }
                }
                await Task.WhenAll(seeding);
            }

            Figures.Progress($"{scenario}: {samples:N0} samples seeded; restarting");
            var restart = await TimeRestartAsync(folder, targets, expectHistory: true);
            var emptyFolder = Measure.TempFolder(scenario + "-empty");
            double empty;
            try { empty = await TimeRestartAsync(emptyFolder, targets, expectHistory: false); }
            finally { IngestScenarios.TryDelete(emptyFolder); }

            Figures.Emit(scenario, "restart-with-24h-history-seconds", targets, restart, "s");
            Figures.Emit(scenario, "reference-restart-empty-seconds", targets, empty, "s");
            Figures.Emit(scenario, "samples-recovered", targets, samples, "samples");
            Figures.Emit(scenario, "snapshot-bytes-per-target", targets, (double)snapshotBytes / targets, "bytes");
            if (targets < 1_000) Figures.Emit(scenario, "restart-extrapolated-to-1000-targets-seconds", 1_000, restart * 1_000 / targets, "s");
        }
        finally
        {
            IngestScenarios.TryDelete(folder);
        }
    }

    private static async Task<double> TimeRestartAsync(string folder, int targets, bool expectHistory)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var node = await BenchNode.SqliteAsync(folder);
        Figures.Progress($"recovery: node {(expectHistory ? "with history" : "empty")} up after {stopwatch.Elapsed.TotalSeconds:0.00} s");
        var answers = await Task.WhenAll(Enumerable.Range(0, targets).Select(t =>
            node.System.ActorOf(MetricsStoreActor.Props($"t{t:D5}", new MetricsStoreSettings(), SystemClock.Instance))
                .Ask<LatestMetrics>(new GetLatestMetrics($"t{t:D5}"), AskTimeout)));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (expectHistory && answers.Any(a => a.Latest.Count != Workload.Messages.Sum(m => m.Length)))
            throw new InvalidOperationException("a store recovered without its history");
        return elapsed;
    }

    /// <summary>Writes, under a store's persistence id, one empty batch, the snapshot at that point, and the tail batches.</summary>
    private sealed class Seeder : ReceivePersistentActor
    {
        public static readonly object Start = "start";
        private IActorRef _replyTo = ActorRefs.Nobody;

        public Seeder(string persistenceId, RollupSnapshot snapshot, SampleBatchRecorded[] tail)
        {
            PersistenceId = persistenceId;
            Recover<object>(_ => { });
            Command<string>(_ =>
            {
                _replyTo = Sender;
                Persist(new SampleBatchRecorded([]), _ => SaveSnapshot(snapshot));
            });
            Command<SaveSnapshotSuccess>(_ => PersistAll(tail, _ => { }, () =>
            {
                _replyTo.Tell(Done.Instance);
                Context.Stop(Self);
            }));
            Command<SaveSnapshotFailure>(failed => throw failed.Cause);
        }

        public override string PersistenceId { get; }
    }
}
