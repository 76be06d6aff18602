using System.Buffers.Text;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using ConfigMonitor.Actors.Health;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Overview;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static ConfigMonitor.Actors.Overview.StatusBoardQueries;

namespace ConfigMonitor.Host.Api;

/// <summary>
/// The status page's reads, all from the loops' last results (nothing is sent to a monitored service): <c>GET /api/status</c>, the
/// overview merged from every Up member's status board, and <c>GET /api/targets/{id}/health</c>, one target's seven checks.
/// </summary>
public static class StatusEndpoints
{
    /// <summary>Rows of a status page when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The most rows a status page may ask for.</summary>
    public const int MaxLimit = 1000;

    /// <summary>How long <c>/api/status</c> waits for a member's board (at most the API's ask timeout); a member that does not answer is named in <c>unansweredNodes</c>.</summary>
    public static readonly TimeSpan NodeAnswerTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Maps the two routes.</summary>
    public static void MapStatusEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/status", async (string? state, string? group, string? q, string? limit, string? cursor, ActorSystem system, ActorAsk actors,
            CancellationToken ct) =>
        {
            var (query, problem) = Read(state, group, q, limit, cursor);
            if (problem is not null) return problem;
            var timeout = actors.Timeout < NodeAnswerTimeout ? actors.Timeout : NodeAnswerTimeout;
            var (page, unanswered) = await AskBoardsAsync(system, query!, timeout, ct);
            var next = page.More && page.Targets.Count > 0 ? Cursor(page.Targets[^1].Id) : null;
            return TypedResults.Ok(ApiViews.Of(page, next, unanswered));
        });

        api.MapGet("/targets/{id}/health", async (string id, ActorAsk actors, CancellationToken ct) =>
        {
            if (actors.Find<TargetDirectory>() is not { } directory) return ActorAsk.NotReady(nameof(TargetDirectory));
            TargetRegistryCommands.TargetList list;
            try
            {
                list = await directory.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTarget(id), actors.Timeout, ct);
            }
            catch (AskTimeoutException)
            {
                return ActorAsk.TimedOut(nameof(TargetDirectory), actors.Timeout);
            }
            // Only a known target is asked: asking the region for an unknown id would start an entity for it.
            if (list.Targets.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase)) is not { } target)
                return ActorAsk.Problem(StatusCodes.Status404NotFound, "Unknown target", $"no target has id '{id}'");
            return await actors.AskAsync<TargetRegion>(new TargetMonitorQueries.GetTargetHealth(target.Id),
                answer => answer is TargetMonitorQueries.TargetHealthReport report ? TypedResults.Ok(ApiViews.Of(report)) : ActorAsk.Unexpected(answer), ct);
        });
    }

    /// <summary>
    /// Asks the board of every Up member (unreachable ones are not asked) and merges their pages; the members
    /// that did not answer within <paramref name="timeout"/>, the unreachable and the downed ones are named, in address order. A member
    /// downed or removed in the last minutes (a crashed node) is named too while the boards list fewer targets than the registry
    /// holds: its targets are not running elsewhere yet.
    /// </summary>
    public static async Task<(StatusPage Page, IReadOnlyList<string> Unanswered)> AskBoardsAsync(ActorSystem system, GetStatusPage query, TimeSpan timeout,
        CancellationToken ct)
    {
        var state = Cluster.Get(system).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        // A downed member (a crash the split-brain resolver decided) is named until it is removed; the lost-member memory takes over then.
        var members = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Down)
            .ToDictionary(m => m.Address, m => m.Status);
        var answers = await Task.WhenAll(members.Keys.OrderBy(a => a.ToString(), StringComparer.Ordinal).Select(async address =>
        {
            if (unreachable.Contains(address) || members[address] == MemberStatus.Down) return (address, (StatusPage?)null);
            try
            {
                var board = system.ActorSelection(new RootActorPath(address) / "user" / StatusBoardActor.Name);
                return (address, await board.Ask<StatusPage>(query, timeout, ct));
            }
            catch (AskTimeoutException)
            {
                // A member of an older build has no board, or the member is busy: it is named, the others still answer.
                return (address, null);
            }
        }));
        var page = StatusBoard.Merge(answers.Select(a => a.Item2).OfType<StatusPage>(), query.Limit);
        var unanswered = answers.Where(a => a.Item2 is null).Select(a => a.address.ToString()).ToList();
        var current = state.Members.Select(m => m.Address.ToString()).ToHashSet(StringComparer.Ordinal);
        var lost = (await LostMembersAsync(system, timeout, ct)).Where(a => !current.Contains(a)).ToList();
        if (await RegisteredTargetsAsync(system, timeout, ct) is { } registered && page.Counts.Total < registered)
        {
            if (lost.Count > 0) unanswered = unanswered.Concat(lost).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            // Targets no board lists (on a member that did not answer, or between two nodes in a hand-off) are still targets of
            // the cluster: counted as unknown, so the counts cover every target, as the directory holds them.
            var missing = registered - page.Counts.Total;
            var counts = page.Counts with { Total = registered, Unknown = page.Counts.Unknown + missing };
            var unfiltered = query.State is null && query.Group is null && query.Text is null;
            page = page with { Counts = counts, Matching = unfiltered ? counts : page.Matching };
        }
        return (page, unanswered);
    }

    // Both asks are of this node's own actors; one that does not answer in time leaves the page as the boards gave it.
    private static async Task<IReadOnlyList<string>> LostMembersAsync(ActorSystem system, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return (await system.ActorSelection(StatusBoardActor.Path).Ask<LostMembers>(GetLostMembers.Instance, timeout, ct)).Addresses;
        }
        catch (AskTimeoutException)
        {
            return [];
        }
    }

    private static async Task<int?> RegisteredTargetsAsync(ActorSystem system, TimeSpan timeout, CancellationToken ct)
    {
        if (!ActorRegistry.For(system).TryGet<TargetDirectory>(out var directory)) return null;
        try
        {
            return (await directory.Ask<TargetRegistryCommands.TargetList>(new TargetRegistryCommands.GetTargets(Limit: 1), timeout, ct)).Total;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    /// <summary>The query the parameters ask for, or a 400 problem naming the first wrong one.</summary>
    public static (GetStatusPage? Query, IResult? Problem) Read(string? state, string? group, string? text, string? limit, string? cursor)
    {
        HealthState? wanted = null;
        if (state is not null)
        {
            var states = Enum.GetValues<HealthState>().ToDictionary(ApiViews.Name, s => s, StringComparer.OrdinalIgnoreCase);
            if (!states.TryGetValue(state, out var parsed))
                return (null, JsonBody.Bad($"parameter 'state' is '{TextLimits.Quote(state, 40)}', which is not one of: " +
                                           string.Join(", ", states.Keys.Order(StringComparer.Ordinal))));
            wanted = parsed;
        }
        if (TextLimits.Check(group, TextLimits.Group) is { } groupTooLong) return (null, JsonBody.Bad($"parameter 'group' {groupTooLong}"));
        if (TextLimits.Check(text, TextLimits.Id) is { } textTooLong) return (null, JsonBody.Bad($"parameter 'q' {textTooLong}"));
        var rows = DefaultLimit;
        if (limit is not null)
        {
            var (parsed, problem) = Paging.Limit(limit, MaxLimit);
            if (problem is not null) return (null, problem);
            rows = parsed;
        }
        string? after = null;
        if (cursor is not null && (after = IdOf(cursor)) is null)
            return (null, JsonBody.Bad($"parameter 'cursor' is '{TextLimits.Quote(cursor, 40)}', which is not a cursor this API gave (pass the 'next' of the previous page)"));
        return (new GetStatusPage(wanted, string.IsNullOrEmpty(group) ? null : group, string.IsNullOrEmpty(text) ? null : text, after, rows), null);
    }

    /// <summary>The cursor of the page that follows the target <paramref name="lastId"/>: the id, base64url-encoded.</summary>
    public static string Cursor(string lastId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastId));

    private static string? IdOf(string cursor)
    {
        if (cursor.Length == 0 || cursor.Length > 4 * TextLimits.Id || !Base64Url.IsValid(cursor)) return null;
        try
        {
            var id = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(cursor));
            return id.Length is > 0 and <= TextLimits.Id ? id : null;
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }
}
