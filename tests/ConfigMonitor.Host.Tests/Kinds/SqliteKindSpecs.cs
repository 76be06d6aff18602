using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node and a SQLite file with the reference table, created by the test.</summary>
public sealed class SqliteKindFixture : IAsyncLifetime
{
    private readonly TempDirectory _folder = TempDirectory.ForNode();

    public KindNode Node { get; private set; } = null!;

    public string File => Path.Combine(_folder.Path, "config.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder.Path);
        await using (var connection = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE system_configurations(key TEXT PRIMARY KEY, value TEXT, description TEXT, updated_at TEXT, version INTEGER);
                INSERT INTO system_configurations VALUES ('monitor.probe', 'ok', 'the probe key', '2026-11-30T12:00:00Z', 3);
                INSERT INTO system_configurations VALUES ('limits.max', '42', NULL, NULL, 1);
                INSERT INTO system_configurations VALUES ('app.name', 'orders', NULL, NULL, 1);
                """;
            await command.ExecuteNonQueryAsync();
        }
        Node = await KindNode.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

/// <summary>
/// The sql kind on SQLite end to end: config reads and the row count from a file opened read-only; SQLite has no change events
/// and no cache, so those facets are not applicable. Its outage is the file going away (it is never created by the probe).
/// </summary>
public sealed class SqliteKindSpecs(SqliteKindFixture fixture, ITestOutputHelper output) : IClassFixture<SqliteKindFixture>
{
    private KindNode Node => fixture.Node;

    private Dictionary<string, object?> Body(string id) => KindNode.TargetBody(id, new Dictionary<string, object?>
    {
        ["adapter"] = "sql",
        ["provider"] = "sqlite",
        ["endpoint"] = fixture.File,
        ["database"] = new { interval = "1s", responseTimeThresholdMs = 500 },
    });

    [Fact]
    public async Task Should_report_real_figures_with_the_cache_and_events_not_applicable()
    {
        await Node.AddTargetAsync(Body("sqlite-healthy"));
        try
        {
            await Node.WaitForMetricsAsync("sqlite-healthy", TimeSpan.FromSeconds(30), "config_access_ms", "health_ok", "db_response_ms", "db_config_rows");
            var metrics = await Node.MetricsAsync("sqlite-healthy");
            Assert.Equal(3, metrics["db_config_rows"]);
            Assert.DoesNotContain("event_delivered", metrics.Keys);
            await KindChecks.FacetsHealthyAsync(Node, "sqlite-healthy",
                new Dictionary<string, string> { ["config"] = "sql", ["cache"] = "none", ["database"] = "sql", ["events"] = "none" },
                new Dictionary<string, string> { ["config"] = fixture.File, ["database"] = fixture.File });
            var checks = await KindChecks.ChecksHealthyAsync(Node, "sqlite-healthy", "cache", "events");
            Assert.Equal(1, checks["configuration_service"].GetProperty("figures").GetProperty("key_found").GetDouble());
        }
        finally
        {
            await Node.RemoveTargetAsync("sqlite-healthy");
        }
    }

    [Fact]
    public async Task Should_alert_within_three_intervals_when_the_file_goes_away_and_resolve_when_it_is_back()
    {
        await Node.AddTargetAsync(Body("sqlite-down"));
        var away = fixture.File + ".away";
        try
        {
            await Node.WaitForMetricsAsync("sqlite-down", TimeSpan.FromSeconds(30), "config_access_ms", "db_response_ms");
            await KindChecks.OutageAsync(Node, output, "sqlite", "sqlite-down", "database/unreachable",
                () =>
                {
                    // No pool is cleared here: the node must notice the move by itself (a pooled connection kept reading the moved file).
                    File.Move(fixture.File, away);
                    return Task.CompletedTask;
                },
                () =>
                {
                    File.Move(away, fixture.File);
                    return Task.CompletedTask;
                });
            Assert.False(File.Exists(away));
        }
        finally
        {
            if (File.Exists(away)) File.Move(away, fixture.File);
            await Node.RemoveTargetAsync("sqlite-down");
        }
    }
}
