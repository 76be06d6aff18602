using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Cluster;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests;

/// <summary>The API across a node's life: readiness before and after joining, runtime targets across a restart, a real Prometheus.</summary>
public sealed class NodeLifecycleSpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = TempDirectory.ForNode();

    [Fact]
    public async Task Should_be_live_but_not_ready_until_the_node_is_an_up_cluster_member()
    {
        // A seed node that does not exist: the node starts but never joins on its own.
        var settings = TestNode.FastSettings(_data.Path);
        settings["ConfigMonitor:SeedNodes:0"] = "akka.tcp://configmonitor@127.0.0.1:1";
        var app = await TestNode.BuildAsync(settings);
        try
        {
            await app.StartAsync();
            using var client = app.ApiClient();

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
            var notReady = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("akka.cluster.join", await notReady.Content.ReadAsStringAsync());

            // Join itself: once it is an Up member, it is ready.
            var cluster = Cluster.Get(app.System());
            await cluster.JoinAsync(cluster.SelfAddress).WaitAsync(WaitTimeout);
            await Eventually.AssertAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
                WaitTimeout, "the node should be ready once it is Up");
        }
        finally
        {
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_keep_a_target_added_through_the_api_across_a_restart_on_the_same_data_folder()
    {
        var first = await TestNode.BuildAsync(TestNode.FastSettings(_data.Path));
        try
        {
            await first.StartAsync();
            using var client = first.ApiClient();
            var created = await client.PostAsJsonAsync("/api/targets", new { id = "orders", endpoint = "/user/config-service-demo", probeKey = "app.name" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        finally
        {
            await first.StopWithinAsync(TestNode.StopTimeout);
            await first.DisposeAsync();
        }

        var second = await TestNode.BuildAsync(TestNode.FastSettings(_data.Path));
        try
        {
            await second.StartAsync();
            using var client = second.ApiClient();
            JsonElement orders = default;
            await Eventually.AssertAsync(async () =>
            {
                var response = await client.GetAsync("/api/targets/orders");
                if (response.StatusCode != HttpStatusCode.OK) return false;
                orders = await response.Content.ReadFromJsonAsync<JsonElement>();
                return true;
            }, WaitTimeout, "the runtime target should come back from the journal");
            Assert.Equal("runtime", orders.GetProperty("source").GetString());
            Assert.Equal("app.name", orders.GetProperty("definition").GetProperty("probeKey").GetString());
            // And it is monitored again: its store fills.
            await Eventually.AssertAsync(async () =>
            {
                var metrics = await client.GetFromJsonAsync<JsonElement>("/api/targets/orders/metrics");
                return metrics.GetArrayLength() > 0;
            }, WaitTimeout, "the recovered target should be monitored");
        }
        finally
        {
            await second.StopWithinAsync(TestNode.StopTimeout);
            await second.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Should_be_scraped_by_a_real_prometheus_that_answers_a_promql_query_for_the_demo_target()
    {
        PrometheusTools.Require();
        var app = await TestNode.BuildAsync(TestNode.FastSettings(_data.Path));
        Process? prometheus = null;
        try
        {
            await app.StartAsync();
            using var client = app.ApiClient();
            await Eventually.AssertAsync(async () => (await client.GetStringAsync("/metrics")).Contains("configmonitor_config_access_seconds{", StringComparison.Ordinal),
                WaitTimeout, "the node should expose config_access_seconds");

            var api = app.ApiAddress();
            var work = Path.Combine(_data.Path, "prometheus");
            Directory.CreateDirectory(work);
            var config = Path.Combine(work, "prometheus.yml");
            await File.WriteAllTextAsync(config, $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: configmonitor
                    static_configs:
                      - targets: ['127.0.0.1:{api.Port}']
                """);
            var port = LoopbackPorts.Free();
            var info = new ProcessStartInfo(PrometheusTools.Find("prometheus")!)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = work,
            };
            foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(work, "tsdb")}",
                         $"--web.listen-address=127.0.0.1:{port}" })
                info.ArgumentList.Add(arg);
            prometheus = Process.Start(info)!;
            var log = new System.Text.StringBuilder();
            prometheus.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
            prometheus.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
            prometheus.BeginErrorReadLine();
            prometheus.BeginOutputReadLine();

            using var query = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            string answer = "";
            await Eventually.AssertAsync(async () =>
            {
                Assert.False(prometheus.HasExited, $"prometheus exited with {(prometheus.HasExited ? prometheus.ExitCode : 0)}: {log}");
                answer = await query.GetStringAsync("api/v1/query?query=configmonitor_config_access_seconds");
                var result = JsonDocument.Parse(answer).RootElement.GetProperty("data").GetProperty("result");
                return result.EnumerateArray().Any(r => r.GetProperty("metric").TryGetProperty("target", out var t) && t.GetString() == "demo");
            }, TimeSpan.FromSeconds(90), "Prometheus should scrape the node and answer configmonitor_config_access_seconds{target=\"demo\"}");
            output.WriteLine(answer);
        }
        finally
        {
            if (prometheus is not null)
            {
                if (!prometheus.HasExited) prometheus.Kill(entireProcessTree: true);
                await prometheus.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                prometheus.Dispose();
            }
            await app.StopWithinAsync(TestNode.StopTimeout);
            await app.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();
}
