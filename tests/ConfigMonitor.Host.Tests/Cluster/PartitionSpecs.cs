using System.Diagnostics;
using System.Text.Json;
using ConfigMonitor.Actors.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.ClusterHarness;

/// <summary>A cluster of its own for <see cref="PartitionSpecs"/>, which pauses one of its nodes.</summary>
public sealed class PartitionCluster() : LocalCluster(new LocalClusterOptions());

/// <summary>
/// Issue 11's partition proof through deploy/local/cluster.sh (3 nodes, 30 targets at 2 s, PostgreSQL): a node that monitors
/// targets is frozen with SIGSTOP past the failure detector and the split-brain resolver, the survivors take its targets over, and
/// it is resumed. It must exit with the restart code; the journal must hold no row written after the resume by a writer that wrote
/// before the pause, for a persistence id another writer wrote during it; no "duplicate key" anywhere; no moved target's sample count
/// on the survivors goes down.
/// </summary>
public sealed class PartitionSpecs(PartitionCluster cluster, ITestOutputHelper output) : IClassFixture<PartitionCluster>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    /// <summary>Longer than acceptable-heartbeat-pause + stable-after + down-removal-margin (3 + 3 + 1 s) with room for a slow machine.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(12);

    private async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private Task<long> MaxOrderingAsync() => ScalarAsync<long>("SELECT coalesce(max(ordering), 0) FROM journal");

    /// <summary>The count of config_access_ms samples of <paramref name="target"/> in the last hour, as node <paramref name="via"/> answers; null when it does not.</summary>
    private async Task<long?> SampleCountAsync(int via, string target)
    {
        try
        {
            var (status, body) = await cluster.GetAsync(via, $"/api/targets/{target}/metrics/config_access_ms/summary?window=1h");
            if (status != 200) return null;
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("count").GetInt64();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    [SkippableFact]
    public async Task A_node_paused_past_the_resolver_should_exit_with_the_restart_code_and_write_nothing_over_the_survivors()
    {
        RequiredServer.Require(LocalCluster.Available, LocalCluster.Requirement);
        cluster.EnsureStarted();
        // The paused node: one that monitors targets and is not the oldest (the singletons stay put; the point is the targets).
        // Right after the start the oldest may hold them all: wait for the rebalance.
        var oldest = 0;
        var placement = await cluster.WaitForPlacementAsync(Wait, "three Up nodes, every target monitored, some by a node that is not the oldest",
            accept: async p =>
            {
                oldest = cluster.IndexOf((await cluster.ClusterAsync(1)).Singletons[ConfigMonitorHosting.TargetRegistrySingleton]);
                return p.Values.Any(i => i != oldest);
            });
        var paused = placement.Values.Where(i => i != oldest).GroupBy(i => i).OrderByDescending(g => g.Count()).First().Key;
        var survivors = cluster.Nodes.Select(n => n.Index).Where(i => i != paused).ToArray();
        var moved = placement.Where(p => p.Value == paused).Select(p => p.Key).ToList();
        Assert.NotEmpty(moved);
        // Every moved target has flushed samples from the paused node before the pause.
        await Eventually.AssertAsync(async () => await ScalarAsync<long>(
                "SELECT count(DISTINCT persistence_id) FROM journal WHERE persistence_id = ANY(@ids)", ("ids", moved.Select(t => $"metrics-{t}").ToArray())) == moved.Count,
            Wait, "every target of the node to pause has journal rows");

        var orderingAtPause = await MaxOrderingAsync();
        var since = Stopwatch.GetTimestamp();
        await cluster.PauseAsync(paused);
        var takenOver = await LocalCluster.TimeUntilAsync(since, async () => await cluster.PlacementAsync(survivors[0], survivors) is not null,
            TimeSpan.FromSeconds(90), $"the survivors {string.Join(", ", survivors)} should monitor every target while node {paused} is paused");
        // Every moved target's new store has written, and its sample count is read on a survivor, before the resume.
        await Eventually.AssertAsync(async () => await ScalarAsync<long>(
                "SELECT count(DISTINCT persistence_id) FROM journal WHERE persistence_id = ANY(@ids) AND ordering > @o",
                ("ids", moved.Select(t => $"metrics-{t}").ToArray()), ("o", orderingAtPause)) == moved.Count,
            Wait, "every moved target's new store has written");
        var before = new Dictionary<string, long>();
        foreach (var target in moved)
            await Eventually.AssertAsync(async () => await SampleCountAsync(survivors[0], target) is { } n && before.TryAdd(target, n), Wait,
                $"target {target}'s samples answer on node {survivors[0]}");
        var left = Pause - Stopwatch.GetElapsedTime(since);
        if (left > TimeSpan.Zero) await Task.Delay(left); // the pause itself, not an assertion
        var orderingAtResume = await MaxOrderingAsync();
        var pausedFor = Stopwatch.GetElapsedTime(since);
        await cluster.ResumeAsync(paused);
        var resumedAt = Stopwatch.GetTimestamp();

        // The resumed node goes away by itself, with the restart code; meanwhile no moved target's count goes down.
        var lowest = new Dictionary<string, long>(before);
        await LocalCluster.TimeUntilAsync(resumedAt, async () =>
        {
            foreach (var target in moved)
                if (await SampleCountAsync(survivors[0], target) is { } n)
                    lowest[target] = Math.Min(lowest[target], n);
            return !cluster.Node(paused).Running;
        }, TimeSpan.FromSeconds(60), $"node {paused} should exit after it resumes");
        var exitedAfter = Stopwatch.GetElapsedTime(resumedAt);
        var log = await File.ReadAllTextAsync(cluster.Node(paused).LogFile);
        Assert.True(log.Contains("exiting with 3", StringComparison.Ordinal), $"node {paused} should exit with the restart code 3:{Environment.NewLine}{cluster.LogTail(paused)}");

        // Some seconds of the survivors' writes after the exit: every moved target written again, counts still not lower.
        var orderingAtExit = await MaxOrderingAsync();
        await Eventually.AssertAsync(async () => await ScalarAsync<long>(
                "SELECT count(DISTINCT persistence_id) FROM journal WHERE persistence_id = ANY(@ids) AND ordering > @o",
                ("ids", moved.Select(t => $"metrics-{t}").ToArray()), ("o", orderingAtExit)) == moved.Count,
            Wait, "every moved target's store on the survivors keeps writing");
        foreach (var target in moved)
            if (await SampleCountAsync(survivors[0], target) is { } n)
                lowest[target] = Math.Min(lowest[target], n);
        Assert.All(moved, t => Assert.True(lowest[t] >= before[t], $"target {t}: {before[t]} samples before the resume, {lowest[t]} at the lowest after it"));

        // No row after the resume by the paused node's journal — a writer that wrote before the pause and nothing during it (the
        // survivors' writers wrote all through it) — for an id another writer wrote during it. A target the survivors hand to
        // each other after the resume (a rebalance) is written by a survivor's writer, which wrote during the pause: not counted.
        const string zombies = """
            FROM journal late
            WHERE late.ordering > @resume
              AND EXISTS (SELECT 1 FROM journal old WHERE old.writer_uuid = late.writer_uuid AND old.ordering <= @pause)
              AND NOT EXISTS (SELECT 1 FROM journal mid WHERE mid.writer_uuid = late.writer_uuid AND mid.ordering > @pause AND mid.ordering <= @resume)
              AND EXISTS (SELECT 1 FROM journal other WHERE other.persistence_id = late.persistence_id
                          AND other.ordering > @pause AND other.ordering <= @resume AND other.writer_uuid <> late.writer_uuid)
            """;
        var zombieRows = await ScalarAsync<long>("SELECT count(*) " + zombies, ("resume", orderingAtResume), ("pause", orderingAtPause));
        Assert.True(zombieRows == 0, $"{zombieRows} rows by the paused node's writer after the resume: " +
                                     await ScalarAsync<string>("SELECT coalesce(string_agg(late.persistence_id || ' #' || late.ordering || ' by ' || late.writer_uuid, ', '), '') " + zombies,
                                         ("resume", orderingAtResume), ("pause", orderingAtPause)));
        var fenced = await ScalarAsync<long>("SELECT count(*) FROM configmonitor_fenced WHERE akka_address = @a", ("a", cluster.Node(paused).AkkaAddress));
        Assert.Equal(1L, fenced);

        // No duplicate key, in any node's log or in PostgreSQL's.
        foreach (var node in cluster.Nodes)
            Assert.DoesNotContain("duplicate key", await File.ReadAllTextAsync(node.LogFile), StringComparison.Ordinal);
        var postgresLog = Path.Combine(cluster.StateDirectory, "postgres", "server.log");
        Assert.True(File.Exists(postgresLog), $"PostgreSQL's log is at {postgresLog}");
        Assert.DoesNotContain("duplicate key", await File.ReadAllTextAsync(postgresLog), StringComparison.Ordinal);

        output.WriteLine($"paused node {paused} ({moved.Count} targets) for {pausedFor.TotalSeconds:F1} s; survivors monitored every target after " +
                         $"{takenOver.TotalSeconds:F1} s; it exited {exitedAfter.TotalSeconds:F1} s after the resume; journal ordering at pause " +
                         $"{orderingAtPause}, at resume {orderingAtResume}; rows by a pre-pause writer over a moved id after the resume: {zombieRows}; " +
                         $"fenced rows for it: {fenced}; lowest/at-resume sample counts: " +
                         string.Join(", ", moved.Take(5).Select(t => $"{t} {lowest[t]}/{before[t]}")));
        output.WriteLine($"the end of node {paused}'s log:{Environment.NewLine}{cluster.LogTail(paused, 15)}");
    }
}
