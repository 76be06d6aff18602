
namespace ConfigMonitor.ConfigService.Tests;

/// <summary>One private PostgreSQL per test class (none when PostgreSQL is not installed: the tests' gate then skips or fails them).</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The class's server; only touch it after <c>RequiredServer.Require(PostgresServer.Available, …)</c>.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL is not installed, so no server was started");

    /// <summary>The gate's reason when PostgreSQL is missing.</summary>
    public const string Missing = "PostgreSQL 15 (Debian package postgresql) is not installed";

    /// <summary>A new empty database on the class's server, and its superuser connection string (pooled, as the service uses it).</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "config_" + Guid.NewGuid().ToString("N")[..12];
        await Server.CreateDatabaseAsync(name);
        return ConnectionString(name);
    }

    /// <summary>The superuser connection string of <paramref name="database"/>, with the password, pooling on.</summary>
    public string ConnectionString(string database) =>
        $"{Server.Endpoint(database, PostgresServer.Superuser)};Password={Server.SuperuserPassword}";

    public async Task InitializeAsync()
    {
        if (PostgresServer.Available)
            _server = await PostgresServer.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
