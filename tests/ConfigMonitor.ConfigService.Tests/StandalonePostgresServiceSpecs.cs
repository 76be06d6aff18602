using System.Net;
using System.Text.Json;
using Npgsql;

namespace ConfigMonitor.ConfigService.Tests;

/// <summary>The standalone process with <c>--ConfigService:Provider=postgresql</c>, against a private PostgreSQL (one per class).</summary>
public sealed class StandalonePostgresServiceSpecs(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("refsvc-postgres-").FullName;

    public void Dispose() => Directory.Delete(_workingDirectory, recursive: true);

    [SkippableFact]
    public async Task Should_serve_keys_from_PostgreSQL_over_HTTP_and_never_log_the_password()
    {
        RequiredServer.Require(PostgresServer.Available, PostgresFixture.Missing);
        var connectionString = await postgres.NewDatabaseAsync();
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", address.ToString(),
            "--ConfigService:Provider=postgresql", $"--ConfigService:ConnectionString={connectionString}");
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

        await service.WaitForAsync(client, "/health", HttpStatusCode.OK);
        using var read = await client.GetAsync("/config/app.name");
        await service.InterruptAsync();

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("ConfigMonitor Reference Service", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("value").GetString());
        Assert.Equal(0, service.Process.ExitCode);
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.Equal(11L, await postgres.Server.ScalarAsync(database, "SELECT COUNT(*) FROM system_configurations"));
        Assert.False(Directory.Exists(Path.Combine(_workingDirectory, "data")), "no SQLite folder is made when the database is PostgreSQL");
        var started = Assert.Single(service.Output, line => line.Contains("Reference config service listening on"));
        Assert.Contains($"database PostgreSQL Host=127.0.0.1;Port={postgres.Server.Port};Database={database};Username=postgres;Password=***", started);
        Assert.DoesNotContain(service.Output.Concat(service.Errors), line => line.Contains(postgres.Server.SuperuserPassword));
    }

    [Fact]
    public async Task Should_start_and_answer_503_with_the_database_error_while_PostgreSQL_cannot_be_reached()
    {
        // Nothing listens on this port: the service starts anyway and says why it cannot read.
        const string password = "never-logged-9f2c";
        var unreachablePort = LoopbackPorts.Free();
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", address.ToString(), "--ConfigService:Provider=postgresql",
            $"--ConfigService:ConnectionString=Host=127.0.0.1;Port={unreachablePort};Database=config;Username=config;Password={password}");
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

        await service.WaitForAsync(client, "/config/app.name", HttpStatusCode.ServiceUnavailable);
        using var read = await client.GetAsync("/config/app.name");
        using var health = await client.GetAsync("/health");
        await service.InterruptAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        // Npgsql's message names the endpoint, the root cause says why.
        Assert.Equal($"database error: Failed to connect to 127.0.0.1:{unreachablePort}: Connection refused",
            JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, service.Process.ExitCode);
        Assert.Contains(service.Output, line => line.Contains("could not prepare database PostgreSQL") && line.Contains("Password=***"));
        Assert.DoesNotContain(service.Output.Concat(service.Errors), line => line.Contains(password));
    }

    [Theory]
    [InlineData("--ConfigService:Provider=oracle", "ConfigService:Provider is 'oracle'; write sqlite (the default, a file at ConfigService:DatabasePath) or postgresql (with ConfigService:ConnectionString)")]
    [InlineData("--ConfigService:Provider=postgresql", "ConfigService:ConnectionString is missing; ConfigService:Provider=postgresql needs a PostgreSQL connection string like Host=127.0.0.1;Port=5432;Database=config;Username=config;Password=...")]
    public async Task Should_exit_2_with_one_line_naming_a_wrong_database_setting(string argument, string expected)
    {
        using var service = StandaloneProcess.Start(_workingDirectory, "--urls", $"http://127.0.0.1:{LoopbackPorts.Free()}", argument);

        await service.WaitForExitAsync();

        Assert.Equal(2, service.Process.ExitCode);
        Assert.Equal(expected, Assert.Single(service.Errors));
    }
}
