using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>The proofs every kind shares, read through the node's API as an operator reads them.</summary>
public static class KindChecks
{
    /// <summary>How long after a server is back its alert may take to resolve: 3 probe intervals (two good probes resolve) and 10 s of slack for a busy machine.</summary>
    public static readonly TimeSpan RecoveryDeadline = 3 * KindNode.Interval + TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until each facet in <paramref name="kinds"/> shows its kind and <paramref name="endpoints"/>' redacted endpoint in
    /// status.facets with probes and no failure, and a facet of kind none shows no probe at all.
    /// </summary>
    public static Task FacetsHealthyAsync(KindNode node, string target, IReadOnlyDictionary<string, string> kinds,
        IReadOnlyDictionary<string, string> endpoints) =>
        Eventually.AssertAsync(async () =>
        {
            var facets = await node.FacetStatusAsync(target);
            if (facets.Count < 4) return false;
            foreach (var (facet, kind) in kinds)
            {
                var status = facets[facet];
                Assert.Equal(kind, status.GetProperty("kind").GetString());
                if (kind == "none")
                {
                    Assert.Equal(0, status.GetProperty("probes").GetInt64());
                    continue;
                }
                Assert.Equal(endpoints[facet], status.GetProperty("endpoint").GetString());
                if (status.GetProperty("probes").GetInt64() == 0) return false;
                Assert.True(status.GetProperty("consecutiveFailures").GetInt32() == 0,
                    $"the {facet} facet of {target} should not fail: {status.GetProperty("lastError")}");
                Assert.Equal(JsonValueKind.Null, status.GetProperty("lastError").ValueKind);
                Assert.NotEqual(JsonValueKind.Null, status.GetProperty("lastSuccessAt").ValueKind);
            }
            return true;
        }, TimeSpan.FromSeconds(30), $"every facet of {target} should be probed without failure");

    /// <summary>
    /// Waits until the /health report's five target checks of <paramref name="target"/> are healthy (or not applicable, with the
    /// reason, for the facets in <paramref name="notApplicable"/>), and answers them.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, JsonElement>> ChecksHealthyAsync(KindNode node, string target, params string[] notApplicable)
    {
        var names = new[] { "configuration_service", "database_connectivity", "cache_performance", "event_system", "service_adapters" };
        var facetOf = new Dictionary<string, string>
        {
            ["database_connectivity"] = "database", ["cache_performance"] = "cache", ["event_system"] = "events",
        };
        IReadOnlyDictionary<string, JsonElement> checks = new Dictionary<string, JsonElement>();
        await Eventually.AssertAsync(async () =>
        {
            checks = await node.HealthChecksAsync(target);
            if (!names.All(checks.ContainsKey)) return false;
            foreach (var name in names)
            {
                var expected = facetOf.TryGetValue(name, out var facet) && notApplicable.Contains(facet) ? "not_applicable" : "healthy";
                if (checks[name].GetProperty("status").GetString() != expected) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(30), $"the health checks of {target} should be healthy (not applicable: {string.Join(", ", notApplicable)}); last: " +
                                     string.Join(" | ", checks.Select(c => $"{c.Key} {c.Value.GetProperty("status")} {c.Value.GetProperty("message")}")));
        foreach (var facet in notApplicable)
        {
            var check = checks[facetOf.Single(f => f.Value == facet).Key];
            Assert.Contains($"not applicable: this target has no {facet} facet", check.GetProperty("message").GetString());
            Assert.Empty(check.GetProperty("figures").EnumerateObject());
        }
        return checks;
    }

    /// <summary>
    /// A slow link: the proxy holds each chunk for <paramref name="delay"/>, so reads and database round trips are slow but
    /// answer; access_time and response_time must fire within <paramref name="within"/>, and access_time resolve once the
    /// link is fast again. Writes the timings and the alert's message to the test output.
    /// </summary>
    public static async Task SlowLinkAsync(KindNode node, ITestOutputHelper output, string kind, string target,
        LatencyProxy proxy, TimeSpan delay, TimeSpan within)
    {
        await node.WaitForMetricsAsync(target, TimeSpan.FromSeconds(30), "config_access_ms", "db_response_ms");
        var since = Stopwatch.StartNew();
        proxy.Delay = delay;
        var access = await node.WaitFiringAsync(target, "performance/access_time", since, within);
        var response = await node.WaitFiringAsync(target, "database/response_time", since, within);
        output.WriteLine($"{kind}: {delay.TotalMilliseconds:0} ms per chunk → access_time fired after {access.TotalSeconds:0.0} s, " +
                         $"response_time after {response.TotalSeconds:0.0} s: " +
                         (await node.AlertAsync(target, "performance/access_time"))!.Value.GetProperty("message").GetString());
        since.Restart();
        proxy.Reset();
        await node.WaitResolvedAsync(target, "performance/access_time", since, TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// A real outage: <paramref name="stop"/> the server, then the alert <paramref name="rule"/> must fire within
    /// <see cref="KindNode.OutageDeadline"/> of the stop; <paramref name="start"/> it, then the alert must resolve within
    /// <see cref="RecoveryDeadline"/> of the server answering again. Writes both timings to the test output.
    /// </summary>
    public static async Task OutageAsync(KindNode node, ITestOutputHelper output, string kind, string target, string rule,
        Func<Task> stop, Func<Task> start)
    {
        var alert = await node.AlertAsync(target, rule);
        Assert.True(alert is null || alert.Value.GetProperty("state").GetString() == "resolved", $"{rule} of {target} should not be open before the outage: {alert}");
        var sinceStop = Stopwatch.StartNew();
        await stop();
        var fired = await node.WaitFiringAsync(target, rule, sinceStop, KindNode.OutageDeadline);
        var message = (await node.AlertAsync(target, rule))!.Value.GetProperty("message").GetString();
        var sinceStart = Stopwatch.StartNew();
        await start();
        var startTook = sinceStart.Elapsed;
        var sinceAnswering = Stopwatch.StartNew();
        var resolved = await node.WaitResolvedAsync(target, rule, sinceAnswering, RecoveryDeadline);
        output.WriteLine($"{kind}: {rule} fired {fired.TotalSeconds:0.0} s after the stop (deadline {KindNode.OutageDeadline.TotalSeconds:0} s) " +
                         $"with \"{message}\"; the server took {startTook.TotalSeconds:0.0} s to start and the alert resolved " +
                         $"{resolved.TotalSeconds:0.0} s after it answered (deadline {RecoveryDeadline.TotalSeconds:0} s)");
    }

    /// <summary>Waits until the latest event_delivered sample of <paramref name="target"/> is <paramref name="value"/>.</summary>
    public static Task EventDeliveredAsync(KindNode node, string target, double value, TimeSpan timeout) =>
        Eventually.AssertAsync(async () => (await node.MetricsAsync(target)).TryGetValue("event_delivered", out var v) && v == value,
            timeout, $"event_delivered of {target} should be {value}");

    /// <summary>
    /// Waits until <paramref name="probes"/> timed probes of each loop metric have been recorded, then asserts no access_time
    /// or response_time alert was raised (pending, firing or resolved): the client's set-up was not judged as a slow probe.
    /// </summary>
    public static async Task NoSlowFirstProbeAsync(KindNode node, ITestOutputHelper output, string target, int probes, params string[] timings)
    {
        await Eventually.AssertAsync(async () =>
        {
            foreach (var metric in timings)
                if ((await node.RecentAsync(target, metric)).Count < probes) return false;
            return true;
        }, TimeSpan.FromSeconds(30), $"{target} should record {probes} samples of {string.Join(", ", timings)}");
        foreach (var metric in timings)
            output.WriteLine($"{target} {metric} first samples: {string.Join(", ", (await node.RecentAsync(target, metric)).Take(probes).Select(v => v.ToString("0.#")))} ms");
        var slow = (await node.AlertsAsync(target)).Where(a => a.GetProperty("rule").GetString() is "access_time" or "response_time").ToList();
        Assert.True(slow.Count == 0, $"no slow-probe alert should be raised for {target}'s first probes: {string.Join("; ", slow)}");
    }
}
