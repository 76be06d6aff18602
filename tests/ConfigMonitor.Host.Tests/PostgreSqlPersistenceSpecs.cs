using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ConfigMonitor.Host.Tests;

/// <summary>
/// A node with <c>Persistence = PostgreSql</c> against a real, private PostgreSQL: it becomes ready, makes its data folder
/// (the demo's file lives there), and what it persisted (a runtime target) is back after a restart. The first step of issue 11.
/// </summary>
public sealed class PostgreSqlPersistenceSpecs : IAsyncLifetime
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = TempDirectory.ForNode();
    private PostgresServer? _server;

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        _server = await PostgresServer.CreateAsync();
        await _server.CreateDatabaseAsync("configmonitor");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _data.Dispose();
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = TestNode.FastSettings(Path.Combine(_data.Path, "data"));
        settings["ConfigMonitor:Persistence"] = "PostgreSql";
        settings["ConfigMonitor:ConnectionString"] = _server!.SuperuserConnectionString("configmonitor");
        settings["ConfigMonitor:Api:Token"] = "pg-token";
        return settings;
    }

    [SkippableFact]
    public async Task A_node_on_postgresql_should_be_ready_and_keep_a_runtime_target_across_a_restart()
    {
        RequiredServer.Require(PostgresServer.Available, "PostgreSQL 15 (Debian package postgresql) is not installed");
        var first = await TestNode.BuildAsync(Settings());
        await first.StartNodeAsync();
        using (var api = first.ApiClient("pg-token"))
        {
            await Eventually.AssertAsync(async () => (await api.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, WaitTimeout,
                "a node on PostgreSQL should become ready");
            Assert.True(Directory.Exists(Path.Combine(_data.Path, "data")), "the data folder is made in PostgreSQL mode too");
            var added = await api.PostAsJsonAsync("/api/targets", new { id = "kept", endpoint = "/user/config-service-demo", probeKey = "app.name" });
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            // The demo's own file works in this mode: its config reads answer.
            await Eventually.AssertAsync(async () =>
            {
                var metrics = await api.GetFromJsonAsync<JsonElement>("/api/targets/demo/metrics");
                return metrics.EnumerateArray().Any(m => m.GetProperty("metric").GetString() == "config_access_ok" && m.GetProperty("value").GetDouble() == 1);
            }, WaitTimeout, "the demo target should read its keys in PostgreSQL mode");
        }
        await first.StopWithinAsync(TestNode.StopTimeout);
        await first.DisposeAsync();

        // The journal is in PostgreSQL, not in a file: the event is there.
        Assert.True(Convert.ToInt64(await _server!.ScalarAsync("configmonitor", "SELECT COUNT(*) FROM journal WHERE persistence_id = 'target-registry'")) > 0);

        var second = await TestNode.BuildAsync(Settings());
        await second.StartNodeAsync();
        try
        {
            using var api = second.ApiClient("pg-token");
            await Eventually.AssertAsync(async () => (await api.GetAsync("/api/targets/kept")).StatusCode == HttpStatusCode.OK, WaitTimeout,
                "the runtime target should be back from the PostgreSQL journal after a restart");
        }
        finally
        {
            await second.StopWithinAsync(TestNode.StopTimeout);
            await second.DisposeAsync();
        }
    }
}
