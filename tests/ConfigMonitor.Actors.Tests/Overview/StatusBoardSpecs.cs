using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Overview;
using static ConfigMonitor.Actors.Overview.StatusBoardQueries;

namespace ConfigMonitor.Actors.Tests.Overview;

/// <summary>
/// The status board's query and the cluster's merge, as properties over random sets of targets (seeded, so a failure repeats): the
/// counts always equal the rows, and paging with the cursor visits every matching row exactly once, on one board or merged over several.
/// </summary>
public sealed class StatusBoardSpecs
{
    private static readonly HealthState[] States = Enum.GetValues<HealthState>();
    private static readonly string?[] Groups = [null, "eu", "EU-west", "us", "payments"];
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private static List<TargetSummary> RandomTargets(Random random, int count, string node) =>
        Enumerable.Range(0, count).Select(_ => new TargetSummary(
            // Ids mix cases and share prefixes, so ordinal order and case-insensitive search are both exercised.
            $"{(random.Next(2) == 0 ? "Orders" : "orders")}-{random.Next(1000):D3}-{random.Next(100)}",
            States[random.Next(States.Length)], random.Next(4) == 0 ? null : T0.AddSeconds(random.Next(600)),
            Groups[random.Next(Groups.Length)], node)).DistinctBy(t => t.Id).ToList();

    private static GetStatusPage RandomQuery(Random random, int limit) => new(
        random.Next(3) == 0 ? States[random.Next(States.Length)] : null,
        random.Next(3) == 0 ? Groups[random.Next(1, Groups.Length)]!.ToUpperInvariant() : null,
        random.Next(3) switch { 0 => "RDERS-0", 1 => "eu", _ => null },
        null, limit);

    private static StateCounts CountsOf(IEnumerable<TargetSummary> targets) => targets.Aggregate(StateCounts.None, (c, t) => c.Add(t.State));

    private static IReadOnlyList<TargetSummary> Expected(IEnumerable<TargetSummary> targets, GetStatusPage query) =>
        targets.Where(t => StatusBoard.Matches(query, t)).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();

    [Fact]
    public void Should_count_every_target_by_state_and_the_matching_ones_whatever_the_set()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var targets = RandomTargets(random, random.Next(0, 300), "node-a");
            var board = new StatusBoard();
            foreach (var t in targets) board.Upsert(t);
            var query = RandomQuery(random, random.Next(1, 50));

            var page = board.Query(query);

            Assert.Equal(CountsOf(targets), page.Counts);
            var matching = Expected(targets, query);
            Assert.Equal(CountsOf(matching), page.Matching);
            Assert.Equal(page.Counts.Total, page.Counts.Healthy + page.Counts.Degraded + page.Counts.Unhealthy + page.Counts.NotApplicable + page.Counts.Unknown);
            Assert.Equal(targets.Select(t => t.Group).OfType<string>().Distinct().Order(StringComparer.Ordinal), page.Groups);
            Assert.Equal(matching.Take(query.Limit), page.Targets);
            Assert.Equal(matching.Count > query.Limit, page.More);
        }
    }

    [Fact]
    public void Should_visit_every_matching_target_once_in_id_order_when_paging_with_the_cursor()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var targets = RandomTargets(random, random.Next(0, 300), "node-a");
            var board = new StatusBoard();
            foreach (var t in targets) board.Upsert(t);
            var query = RandomQuery(random, random.Next(1, 40));

            var visited = Walk(q => board.Query(q), query);

            Assert.Equal(Expected(targets, query).Select(t => t.Id), visited.Select(t => t.Id));
        }
    }

    [Fact]
    public void Should_visit_every_matching_target_of_every_node_once_when_merging_the_nodes_pages()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var boards = Enumerable.Range(0, random.Next(1, 5)).Select(_ => new StatusBoard()).ToList();
            var targets = RandomTargets(random, random.Next(0, 400), "any")
                .Select(t => t with { Node = $"node-{random.Next(boards.Count)}" }).ToList();
            foreach (var t in targets) boards[int.Parse(t.Node["node-".Length..])].Upsert(t);
            var query = RandomQuery(random, random.Next(1, 40));

            var pages = new List<StatusPage>();
            var visited = Walk(q =>
            {
                var page = StatusBoard.Merge(boards.Select(b => b.Query(q)), q.Limit);
                pages.Add(page);
                return page;
            }, query);

            var expected = Expected(targets, query);
            Assert.Equal(expected.Select(t => (t.Id, t.Node)), visited.Select(t => (t.Id, t.Node)));
            Assert.All(pages, p => Assert.Equal(CountsOf(targets), p.Counts));
            Assert.All(pages, p => Assert.Equal(CountsOf(expected), p.Matching));
        }
    }

    [Fact]
    public void Should_forget_a_removed_target_and_keep_the_latest_summary_of_one_that_changed()
    {
        var board = new StatusBoard();
        board.Upsert(new TargetSummary("a", HealthState.Unknown, null, "eu", "n1"));
        board.Upsert(new TargetSummary("b", HealthState.Healthy, T0, "eu", "n1"));
        board.Upsert(new TargetSummary("a", HealthState.Unhealthy, T0, "us", "n1"));
        Assert.True(board.Remove("b"));
        Assert.False(board.Remove("b"));

        var page = board.Query(new GetStatusPage(null, null, null, null, 10));

        Assert.Equal(new StateCounts(1, 0, 0, 1, 0, 0), page.Counts);
        Assert.Equal(["us"], page.Groups);
        Assert.Equal(HealthState.Unhealthy, Assert.Single(page.Targets).State);
    }

    [Fact]
    public void Should_list_a_target_two_nodes_report_during_a_hand_off_once()
    {
        var first = new StatusBoard();
        var second = new StatusBoard();
        first.Upsert(new TargetSummary("a", HealthState.Healthy, T0, null, "n1"));
        second.Upsert(new TargetSummary("a", HealthState.Unknown, null, null, "n2"));

        var page = StatusBoard.Merge([first.Query(new GetStatusPage(null, null, null, null, 10)), second.Query(new GetStatusPage(null, null, null, null, 10))], 10);

        Assert.Equal("n1", Assert.Single(page.Targets).Node);
    }

    private static List<TargetSummary> Walk(Func<GetStatusPage, StatusPage> ask, GetStatusPage query)
    {
        var visited = new List<TargetSummary>();
        var next = query;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = ask(next);
            Assert.True(page.Targets.Count <= query.Limit, $"a page of {page.Targets.Count} rows for a limit of {query.Limit}");
            visited.AddRange(page.Targets);
            if (!page.More) return visited;
            Assert.NotEmpty(page.Targets);
            next = query with { After = page.Targets[^1].Id };
        }
        throw new InvalidOperationException("paging did not end after 1000 pages");
    }
}
