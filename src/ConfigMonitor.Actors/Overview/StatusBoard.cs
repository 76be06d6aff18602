using ConfigMonitor.Actors.Health;
using static ConfigMonitor.Actors.Overview.StatusBoardQueries;

namespace ConfigMonitor.Actors.Overview;

/// <summary>
/// The summaries of the targets one node monitors, and the overview's query over them (no actor: <see cref="StatusBoardActor"/> holds
/// one). A change is one dictionary write; a query walks the targets once in id order (counts need every one), so a page costs the
/// same whether it is the first or the last.
/// </summary>
public sealed class StatusBoard
{
    private readonly SortedDictionary<string, TargetSummary> _targets = new(StringComparer.Ordinal);

    /// <summary>How many targets the board holds.</summary>
    public int Count => _targets.Count;

    /// <summary>Records a target's summary (replacing the one it had).</summary>
    public void Upsert(TargetSummary summary) => _targets[summary.Id] = summary;

    /// <summary>Forgets a target; false when the board did not hold it.</summary>
    public bool Remove(string targetId) => _targets.Remove(targetId);

    /// <summary>Answers <paramref name="query"/> over every target of the board.</summary>
    public StatusPage Query(GetStatusPage query)
    {
        var all = StateCounts.None;
        var matching = StateCounts.None;
        var groups = new SortedSet<string>(StringComparer.Ordinal);
        var rows = new List<TargetSummary>(Math.Min(query.Limit, 1024));
        var more = false;
        foreach (var target in _targets.Values)
        {
            all = all.Add(target.State);
            if (target.Group is { } group) groups.Add(group);
            if (!Matches(query, target)) continue;
            matching = matching.Add(target.State);
            if (query.After is { } after && string.CompareOrdinal(target.Id, after) <= 0) continue;
            if (rows.Count < query.Limit) rows.Add(target);
            else more = true;
        }
        return new StatusPage(all, matching, groups.ToList(), rows, more);
    }

    /// <summary>True when <paramref name="target"/> passes the query's state, group and text filters (not its cursor).</summary>
    public static bool Matches(GetStatusPage query, TargetSummary target) =>
        (query.State is not { } state || target.State == state)
        && (query.Group is not { } group || string.Equals(target.Group, group, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(query.Text)
            || target.Id.Contains(query.Text, StringComparison.OrdinalIgnoreCase)
            || target.Group?.Contains(query.Text, StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>
    /// The cluster's page from the nodes' pages of the same query: counts summed, groups united, rows merged in id order and cut to
    /// <paramref name="limit"/>; more rows follow when a node had more, or the merge left some out. A target two nodes list (a hand-off
    /// in flight) is listed once, as the first node in <paramref name="pages"/> has it.
    /// </summary>
    public static StatusPage Merge(IEnumerable<StatusPage> pages, int limit)
    {
        var counts = StateCounts.None;
        var matching = StateCounts.None;
        var groups = new SortedSet<string>(StringComparer.Ordinal);
        var rows = new SortedDictionary<string, TargetSummary>(StringComparer.Ordinal);
        var more = false;
        foreach (var page in pages)
        {
            counts = counts.Plus(page.Counts);
            matching = matching.Plus(page.Matching);
            groups.UnionWith(page.Groups);
            more |= page.More;
            foreach (var row in page.Targets) rows.TryAdd(row.Id, row);
        }
        more |= rows.Count > limit;
        return new StatusPage(counts, matching, groups.ToList(), rows.Values.Take(limit).ToList(), more);
    }
}
