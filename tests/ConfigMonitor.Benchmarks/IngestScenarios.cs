using System.Diagnostics;
using Akka.Actor;
using ConfigMonitor.Actors.Metrics;
using ConfigMonitor.Actors.Time;
using Microsoft.Data.Sqlite;
using static ConfigMonitor.Actors.Metrics.MetricsCommands;

namespace ConfigMonitor.Benchmarks;

/// <summary>ingest-memory and ingest-durable.</summary>
public static class IngestScenarios
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Messages as the loops send them: per target, rounds of four messages one second apart.</summary>
    private static List<(string Target, MetricSample[] Samples)> Messages(int targets, long samples)
    {
        var random = new Random(1);
        var rounds = (int)(samples / Workload.SamplesPerRound / targets);
        var list = new List<(string, MetricSample[])>(rounds * targets * 4);
        var start = Workload.End.AddSeconds(-rounds);
        for (var r = 0; r < rounds; r++)
            for (var t = 0; t < targets; t++)
                foreach (var message in Workload.Round(random, start.AddSeconds(r), r))
                    list.Add(($"t{t:D5}", message));
        return list;
    }

    /// <summary>samples/s through the MetricsStore actors (in-memory journal) next to a raw loop over MetricRollups.</summary>
    public static async Task IngestMemoryAsync(bool quick)
    {
        const string scenario = "ingest-memory";
        const int targets = 100;
        var total = quick ? 2_000_000L : 5_000_000L;
        var repetitions = 3;
        Figures.Progress($"{scenario}: generating {total:N0} samples for {targets} targets");
        var messages = Messages(targets, total);
        var samples = messages.Sum(m => (long)m.Samples.Length);

        // Reference: the same samples straight into one MetricRollups per target, no actors.
        var reference = Measure.Seconds(repetitions, () =>
        {
            var stores = new Dictionary<string, MetricRollups>();
            foreach (var (target, batch) in messages)
            {
                if (!stores.TryGetValue(target, out var rollups)) stores[target] = rollups = new MetricRollups();
                rollups.Add(batch);
            }
        });

        var actorPath = new List<double>();
        for (var rep = 0; rep < repetitions; rep++)
        {
            await using var node = await BenchNode.InMemoryAsync();
            var stores = Enumerable.Range(0, targets).ToDictionary(t => $"t{t:D5}",
                t => node.System.ActorOf(MetricsStoreActor.Props($"t{t:D5}", new MetricsStoreSettings(), SystemClock.Instance), $"metrics-t{t:D5}"));
            await Task.WhenAll(stores.Values.Select(s => s.Ask<MetricsFlushed>(new FlushMetrics("warm-up"), AskTimeout)));
            var stopwatch = Stopwatch.StartNew();
            foreach (var (target, batch) in messages) stores[target].Tell(new RecordSamples(target, batch));
            await Task.WhenAll(stores.Select(s => s.Value.Ask<MetricsFlushed>(new FlushMetrics(s.Key), AskTimeout)));
            actorPath.Add(stopwatch.Elapsed.TotalSeconds);
            Figures.Progress($"{scenario}: actor path {samples / actorPath[^1]:N0} samples/s");
        }

        Figures.Emit(scenario, "actor-samples-per-second", samples, actorPath.Select(s => samples / s).ToList(), "samples/s");
        Figures.Emit(scenario, "reference-rollup-loop-samples-per-second", samples, reference.Select(s => samples / s).ToList(), "samples/s");
        Figures.Emit(scenario, "actor-to-reference-ratio", samples, actorPath.Select(s => reference.Order().ElementAt(reference.Count / 2) / s).ToList(), "ratio");
    }

    /// <summary>samples/s made durable on SQLite with one and three journal writers, next to raw Microsoft.Data.Sqlite inserts.</summary>
    public static async Task IngestDurableAsync(bool quick)
    {
        const string scenario = "ingest-durable";
        const int targets = 100;
        var total = quick ? 300_000L : 2_000_000L;
        var repetitions = quick ? 1 : 3;
        Figures.Progress($"{scenario}: generating {total:N0} samples for {targets} targets");
        var messages = Messages(targets, total);
        var samples = messages.Sum(m => (long)m.Samples.Length);

        var raw = new List<double>();
        var results = new Dictionary<int, List<double>> { [1] = [], [3] = [] };
        for (var rep = 0; rep < repetitions; rep++)
        {
            raw.Add(RawSqlite(messages));
            Figures.Progress($"{scenario}: raw SQLite {samples / raw[^1]:N0} rows/s");
            foreach (var parallelism in results.Keys)
            {
                var folder = Measure.TempFolder(scenario);
                try
                {
                    await using var node = await BenchNode.SqliteAsync(folder, parallelism);
                    var stores = Enumerable.Range(0, targets).ToDictionary(t => $"t{t:D5}",
                        t => node.System.ActorOf(MetricsStoreActor.Props($"t{t:D5}", new MetricsStoreSettings(), SystemClock.Instance)));
                    // Recovery (and the journal's table creation) happens before the clock starts.
                    await Task.WhenAll(stores.Values.Select(s => s.Ask<MetricsFlushed>(new FlushMetrics("warm-up"), AskTimeout)));
                    var stopwatch = Stopwatch.StartNew();
                    foreach (var (target, batch) in messages) stores[target].Tell(new RecordSamples(target, batch));
                    var flushed = await Task.WhenAll(stores.Select(s => s.Value.Ask<MetricsFlushed>(new FlushMetrics(s.Key), AskTimeout)));
                    results[parallelism].Add(stopwatch.Elapsed.TotalSeconds);
                    Figures.Progress($"{scenario}: parallelism {parallelism}: {samples / results[parallelism][^1]:N0} samples/s durable");
                }
                finally
                {
                    TryDelete(folder);
                }
            }
        }

        Figures.Emit(scenario, "raw-sqlite-reference-rows-per-second", samples, raw.Select(s => samples / s).ToList(), "samples/s");
        foreach (var (parallelism, seconds) in results)
        {
            Figures.Emit(scenario, $"journal-parallelism-{parallelism}-samples-per-second", samples, seconds.Select(s => samples / s).ToList(), "samples/s");
            Figures.Emit(scenario, $"journal-parallelism-{parallelism}-to-raw-ratio", samples,
                seconds.Zip(raw, (journal, reference) => reference / journal).ToList(), "ratio");
        }
    }

    /// <summary>The same rows through Microsoft.Data.Sqlite: one prepared insert, 1,000-row transactions, WAL.</summary>
    private static double RawSqlite(List<(string Target, MetricSample[] Samples)> messages)
    {
        var folder = Measure.TempFolder("raw-sqlite");
        try
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "raw.db")};Default Timeout=30;Pooling=False");
            connection.Open();
            using (var setup = connection.CreateCommand())
            {
                setup.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE samples (target TEXT NOT NULL, ticks INTEGER NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL);";
                setup.ExecuteNonQuery();
            }
            var stopwatch = Stopwatch.StartNew();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO samples (target, ticks, metric, value) VALUES ($t, $k, $m, $v)";
            var t = insert.Parameters.Add("$t", SqliteType.Text);
            var k = insert.Parameters.Add("$k", SqliteType.Integer);
            var m = insert.Parameters.Add("$m", SqliteType.Text);
            var v = insert.Parameters.Add("$v", SqliteType.Real);
            var rows = 0;
            var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            insert.Prepare();
            foreach (var (target, batch) in messages)
                foreach (var sample in batch)
                {
                    t.Value = target;
                    k.Value = sample.Timestamp.UtcTicks;
                    m.Value = sample.Metric;
                    v.Value = sample.Value;
                    insert.ExecuteNonQuery();
                    if (++rows % 1000 == 0)
                    {
                        transaction.Commit();
                        transaction.Dispose();
                        transaction = connection.BeginTransaction();
                        insert.Transaction = transaction;
                    }
                }
            transaction.Commit();
            transaction.Dispose();
            return stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TryDelete(folder);
        }
    }

    /// <summary>Deletes a temporary folder; a leftover file is not worth failing a benchmark for, so say so and go on.</summary>
    public static void TryDelete(string folder)
    {
        try
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException e)
        {
            Figures.Progress($"could not delete {folder}: {e.Message}");
        }
    }
}
