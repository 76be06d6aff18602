using Akka.Actor;
using ConfigMonitor.Actors.Targets;
using Xunit;

namespace ConfigMonitor.Actors.Tests.Targets;

/// <summary>The target registry's list in pages: no page above the maximum, ordered by id, and a reader of every page sees every target once.</summary>
public sealed class TargetPagingSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly IReadOnlyList<TargetDefinition> Targets = Enumerable.Range(0, 2 * TargetRegistryCommands.MaxTargetsPerPage + 50)
        .Select(i => TargetDefinition.WithDefaults($"t-{i:0000}", "/user/x")).ToList();

    private static readonly IReadOnlyList<string> Configured = Targets.Where((_, i) => i % 3 == 0).Select(t => t.Id).ToList();

    /// <summary>Answers GetTargets with the page the registry would cut.</summary>
    private sealed class PagingRegistry : ReceiveActor
    {
        public PagingRegistry() => Receive<TargetRegistryCommands.GetTargets>(q => Sender.Tell(TargetPages.Page(Targets, Configured, q)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(TargetRegistryCommands.MaxTargetsPerPage)]
    [InlineData(100_000)]
    public void Should_cut_pages_of_at_most_the_limit_with_the_total_and_the_id_to_continue_after(int limit)
    {
        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = TargetPages.Page(Targets, Configured, new TargetRegistryCommands.GetTargets(limit, after));
            Assert.InRange(page.Targets.Count, 1, Math.Min(limit, TargetRegistryCommands.MaxTargetsPerPage));
            Assert.Equal(Targets.Count, page.Total);
            Assert.All(page.ConfiguredIds!, id => Assert.Contains(page.Targets, t => t.Id == id));
            seen.AddRange(page.Targets.Select(t => t.Id));
            after = page.Next;
        } while (after is not null);
        Assert.Equal(Targets.Select(t => t.Id), seen);
    }

    [Fact]
    public async Task Should_read_every_target_through_all_pages()
    {
        var registry = Sys.ActorOf(Props.Create(() => new PagingRegistry()));
        var all = await TargetPages.AllAsync(registry, TimeSpan.FromSeconds(5));
        Assert.Equal(Targets.Select(t => t.Id), all.Targets.Select(t => t.Id));
        Assert.Equal(Configured, all.ConfiguredIds);
        Assert.Null(all.Next);
    }
}
