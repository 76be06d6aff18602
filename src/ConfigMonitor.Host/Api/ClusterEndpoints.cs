using Akka.Actor;
using Akka.Cluster;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Monitoring;
using ConfigMonitor.Actors.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConfigMonitor.Host.Api;

/// <summary>One cluster member as <c>cluster show</c> prints it.</summary>
public sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, string Version, bool IsSelf, bool IsLeader);

/// <summary>Which node monitors a target (null when no node answered).</summary>
public sealed record TargetPlacement(string Target, string? Node, bool Monitoring);

/// <summary>The cluster as this node sees it.</summary>
public sealed record ClusterView(
    string Self, string? Leader, IReadOnlyList<MemberView> Members, IReadOnlyDictionary<string, string?> Singletons,
    IReadOnlyList<TargetPlacement> Targets);

/// <summary><c>GET /api/cluster</c>: members, leader, where the singletons run, which node monitors which target.</summary>
public static class ClusterEndpoints
{
    /// <summary>Maps <c>/cluster</c>.</summary>
    public static void MapClusterEndpoints(this IEndpointRouteBuilder api, string role) =>
        api.MapGet("/cluster", async (ActorSystem system, ActorAsk actors, CancellationToken ct) =>
        {
            var cluster = Cluster.Get(system);
            var state = cluster.State;
            var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
            var members = state.Members
                .Select(m => new MemberView(m.Address.ToString(), m.Roles.OrderBy(r => r).ToList(), m.Status.ToString().ToLowerInvariant(),
                    !unreachable.Contains(m.Address), m.AppVersion.ToString(), m.Address == cluster.SelfAddress, m.Address == state.Leader))
                .ToList();
            // A singleton runs on the oldest Up member with its role (what ClusterSingletonManager does).
            var oldest = state.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(role))
                .Aggregate((Member?)null, (best, m) => best is null || m.IsOlderThan(best) ? m : best);
            var singletons = ConfigMonitorHosting.SingletonNames.ToDictionary(n => n, _ => oldest?.Address.ToString());

            var placements = new List<TargetPlacement>();
            if (actors.Find<TargetDirectory>() is not null && actors.Find<TargetRegion>() is not null)
            {
                try
                {
                    var targets = await actors.AllTargetsAsync(ct);
                    var statuses = await Task.WhenAll(targets.Targets.Select(async t =>
                    {
                        try
                        {
                            var status = await actors.AskAsync<TargetRegion, TargetMonitorQueries.TargetStatus>(
                                new TargetMonitorQueries.GetTargetStatus(t.Id), ct, TimeSpan.FromSeconds(5));
                            return new TargetPlacement(t.Id, status.Node, status.Monitoring);
                        }
                        catch (AskTimeoutException)
                        {
                            return new TargetPlacement(t.Id, null, false);
                        }
                    }));
                    placements.AddRange(statuses);
                }
                catch (AskTimeoutException)
                {
                    // The members are still worth showing while the registry singleton moves.
                }
            }
            return TypedResults.Ok(new ClusterView(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, singletons, placements));
        });
}
