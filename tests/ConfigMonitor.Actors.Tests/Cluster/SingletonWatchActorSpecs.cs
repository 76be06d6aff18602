using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;
using ConfigMonitor.Actors.Hosting;
using ConfigMonitor.Actors.Time;
using Xunit.Abstractions;

namespace ConfigMonitor.Actors.Tests.Cluster;

/// <summary>The node's report of a singleton nobody can find, on a real one-node cluster with real singleton managers.</summary>
public sealed class SingletonWatchActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.loglevel = INFO
    """, output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Should_report_a_singleton_nobody_runs_once_a_period_and_say_when_it_appears()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        StartSingleton("present");
        var logs = CreateTestProbe();
        Sys.EventStream.Subscribe(logs.Ref, typeof(Warning));
        Sys.EventStream.Subscribe(logs.Ref, typeof(Info));

        Sys.ActorOf(SingletonWatchActor.Props(["present", "absent"], "", TimeSpan.FromSeconds(1), SystemClock.Instance), "singleton-watch");

        var first = await logs.FishForMessageAsync<Warning>(w => Text(w).Contains("Singleton '"), Timeout);
        Assert.Contains("Singleton 'absent' not found", Text(first));
        Assert.Contains("oldest member", Text(first));
        // Reported again a period later, and never the singleton that runs.
        var next = await logs.FishForMessageAsync<Warning>(w => Text(w).Contains("Singleton '"), Timeout);
        Assert.Contains("'absent'", Text(next));
        Assert.True(next.Timestamp - first.Timestamp >= TimeSpan.FromSeconds(0.9), $"{first.Timestamp:O} then {next.Timestamp:O}");

        StartSingleton("absent");
        var found = await logs.FishForMessageAsync<LogEvent>(e => Text(e).Contains("Singleton 'absent' found") || Text(e).Contains("'present'"), Timeout);
        Assert.IsType<Info>(found);
    }

    [Fact]
    public async Task Should_stay_quiet_when_the_proxies_find_every_singleton()
    {
        // The watch's clock moves only once the proxies have found both singletons: how long the join and the singletons' start
        // take on a busy machine is no part of what this spec checks (a real 1 s period once ran out before they started).
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-08T00:00:00Z"));
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        var logs = CreateTestProbe();
        var proxies = CreateTestProbe();
        Sys.EventStream.Subscribe(logs.Ref, typeof(Warning));
        Sys.EventStream.Subscribe(proxies.Ref, typeof(ClusterSingletonProxy.IdentifySingletonResult));
        Sys.ActorOf(SingletonWatchActor.Props(["a", "b"], "", TimeSpan.FromSeconds(1), clock), "singleton-watch");
        foreach (var name in new[] { "a", "b" })
        {
            StartSingleton(name);
            Sys.ActorOf(ClusterSingletonProxy.Props($"/user/{name}",
                ClusterSingletonProxySettings.Create(Sys).WithSingletonName(name).WithLogSingletonIdentificationFailure(false)), $"{name}-proxy");
        }

        await cluster.JoinAsync(cluster.SelfAddress);
        var found = new HashSet<string>();
        while (found.Count < 2)
        {
            var result = await proxies.ExpectMsgAsync<ClusterSingletonProxy.IdentifySingletonResult>(TimeSpan.FromSeconds(60));
            if (result.Result == ClusterSingletonProxy.IdentifyResult.Success) found.Add(result.SingletonName);
        }

        // Three periods on the watch's clock, each followed by several of its checks: any report of 'a' or 'b' would come now.
        var warnings = new List<Warning>();
        for (var period = 0; period < 3; period++)
        {
            clock.Advance(TimeSpan.FromSeconds(1.1));
            await foreach (var warning in logs.ReceiveWhileAsync(TimeSpan.FromSeconds(1), m => m as Warning)) warnings.Add(warning!);
        }
        Assert.DoesNotContain(warnings, w => Text(w).Contains("Singleton '"));
    }

    private void StartSingleton(string name) =>
        Sys.ActorOf(ClusterSingletonManager.Props(Props.Create(() => new Quiet()), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(Sys).WithSingletonName(name)), name);

    private static string Text(LogEvent e) => e.ToString();

    private sealed class Quiet : ReceiveActor
    {
        public Quiet() => ReceiveAny(_ => { });
    }
}
