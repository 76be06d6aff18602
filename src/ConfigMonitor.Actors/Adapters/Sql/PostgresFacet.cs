using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using ConfigMonitor.Actors.Targets;
using Npgsql;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Sql;

/// <summary>
/// A PostgreSQL facet through Npgsql. One <see cref="NpgsqlDataSource"/> (Npgsql's pool) per endpoint and secret per node, its
/// password read from the Secret each time a physical connection is opened (a rotated secret is picked up). Config and database
/// probes run in a READ ONLY transaction; events are LISTEN on a dedicated connection and NOTIFY through the pool.
/// </summary>
public sealed class PostgresFacet : IConfigFacet, IDatabaseFacet, IEventsFacet
{
    private readonly FacetContext _context;
    private readonly FacetSettings _settings;
    private readonly string _channel;
    private readonly ConcurrentDictionary<string, Listener> _listeners = new(StringComparer.Ordinal);

    /// <summary>A client for <paramref name="context"/>'s facet; no I/O until the first call.</summary>
    public PostgresFacet(FacetContext context)
    {
        _context = context;
        _settings = context.Facet.Settings;
        _channel = string.IsNullOrWhiteSpace(_settings.Channel) ? SqlQueries.DefaultChannel : _settings.Channel;
    }

    /// <summary>The node's data source for this endpoint and secret (made on first use).</summary>
    public NpgsqlDataSource DataSource => _context.Connections.Shared(PoolKey(_context.Facet.Endpoint, _settings.Secret), CreateDataSource);

    /// <summary>The key of the node's data source for <paramref name="endpoint"/> and the secret reference (not its value).</summary>
    public static string PoolKey(string endpoint, string? secret) => "sql|postgresql|" + endpoint + "|" + secret;

    private NpgsqlDataSource CreateDataSource()
    {
        var target = _context.Target;
        // The driver's own timeouts are a backstop (whole seconds); each call's real deadline is the probe timeout's token.
        var backstop = SqlQueries.Seconds(target.ProbeTimeout > target.EventProbe.Timeout ? target.ProbeTimeout : target.EventProbe.Timeout);
        var connection = new NpgsqlConnectionStringBuilder(_context.Facet.Endpoint)
        {
            Timeout = backstop,
            CommandTimeout = backstop,
            // After a cancel request, how long to wait for the server's answer before dropping the connection.
            CancellationTimeout = 1000,
        };
        if (string.IsNullOrEmpty(connection.ApplicationName)) connection.ApplicationName = "ConfigMonitor";
        var builder = new NpgsqlDataSourceBuilder(connection.ConnectionString);
        if (_settings.Secret is { } secret)
            builder.UsePasswordProvider(_ => SecretReference.Resolve(secret), (_, _) => ValueTask.FromResult(SecretReference.Resolve(secret)));
        return builder.Build();
    }

    /// <inheritdoc />
    public async Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout)
    {
        var row = await ReadOnly("get_config", timeout, SqlQueries.ConfigQuery(_settings), key, 1).ConfigureAwait(false);
        return row is null ? new ConfigValue(key, defaultValue, false) : new ConfigValue(key, SqlQueries.AsText(row[0]) ?? defaultValue, true);
    }

    /// <inheritdoc />
    public async Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout)
    {
        var withMetadata = SqlQueries.IsDefaultConfig(_settings);
        var row = await ReadOnly("get_config_with_metadata", timeout, SqlQueries.MetadataQuery(_settings), key, withMetadata ? 4 : 1).ConfigureAwait(false);
        return SqlQueries.Entry(key, row, withMetadata);
    }

    /// <inheritdoc />
    public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) =>
        Run("database_probe", timeout, async token =>
        {
            await using var connection = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await BeginReadOnlyAsync(connection, token).ConfigureAwait(false);
            await using var selectOne = new NpgsqlCommand("SELECT 1", connection, transaction);
            var one = Convert.ToInt64(await selectOne.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            await using var count = new NpgsqlCommand(SqlQueries.RowCountQuery(_settings), connection, transaction);
            var rows = await count.ExecuteScalarAsync(token).ConfigureAwait(false);
            await transaction.RollbackAsync(token).ConfigureAwait(false);
            return new DatabaseProbeResult(one, SqlQueries.AsVersion(rows));
        });

    /// <inheritdoc />
    public Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout) =>
        Run("subscribe_to_changes", timeout, async token =>
        {
            var id = "pg-" + Guid.NewGuid().ToString("N");
            // A connection of its own for as long as the subscription lives: LISTEN belongs to a session.
            var connection = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            try
            {
                var listener = new Listener(id, key, subscriber, connection);
                connection.Notification += listener.OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", connection))
                    await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                listener.Start();
                _listeners[id] = listener;
                return new Subscribed(id, key);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        });

    /// <inheritdoc />
    public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) =>
        Run("notify_change", timeout, async token =>
        {
            var payload = JsonSerializer.Serialize(new ChangePayload(key, oldValue, newValue, DateTimeOffset.UtcNow), PayloadJson);
            await using var connection = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
            notify.Parameters.AddWithValue("channel", _channel);
            notify.Parameters.AddWithValue("payload", payload);
            await notify.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            // PostgreSQL does not say how many sessions listen; these are the subscriptions of this client on the key.
            return new ChangeNotified(key, _listeners.Values.Count(l => l.Key == key));
        });

    /// <inheritdoc />
    public Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout)
    {
        if (!_listeners.TryRemove(subscriptionId, out var listener)) return Task.FromResult(new Unsubscribed(subscriptionId, false));
        return Run("unsubscribe", timeout, async token =>
        {
            try
            {
                await listener.StopAsync().ConfigureAwait(false);
                if (listener.Connection.State == System.Data.ConnectionState.Open)
                {
                    await using var unlisten = new NpgsqlCommand($"UNLISTEN \"{_channel}\"", listener.Connection);
                    await unlisten.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
            }
            finally
            {
                await listener.Connection.DisposeAsync().ConfigureAwait(false);
            }
            return new Unsubscribed(subscriptionId, true);
        });
    }

    private Task<object?[]?> ReadOnly(string operation, TimeSpan timeout, string query, string key, int columns) =>
        Run(operation, timeout, async token =>
        {
            await using var connection = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await BeginReadOnlyAsync(connection, token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(query, connection, transaction);
            command.Parameters.AddWithValue("key", key);
            object?[]? row = null;
            await using (var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    row = new object?[Math.Min(columns, reader.FieldCount)];
                    for (var i = 0; i < row.Length; i++) row[i] = await reader.IsDBNullAsync(i, token).ConfigureAwait(false) ? null : reader.GetValue(i);
                }
            }
            await transaction.RollbackAsync(token).ConfigureAwait(false);
            return row;
        });

    // The probe must not change the monitored data: every statement after this one is refused a write by PostgreSQL itself.
    private static async Task<NpgsqlTransaction> BeginReadOnlyAsync(NpgsqlConnection connection, CancellationToken token)
    {
        var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
        await using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction);
        await readOnly.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        return transaction;
    }

    private Task<T> Run<T>(string operation, TimeSpan timeout, Func<CancellationToken, Task<T>> work) =>
        SqlDeadline.Run(operation, timeout, work, Failure);

    private Exception Failure(string operation, Exception e)
    {
        if (e is PostgresException pg)
        {
            var what = pg.SqlState is "28P01" or "28000"
                ? $"authentication failed ({pg.SqlState}: {pg.MessageText}); check the password in {_settings.Secret ?? "the Secret (none is set)"}"
                : $"PostgreSQL error {pg.SqlState}: {pg.MessageText}";
            return new ConfigServiceException(operation, Redaction.Redact(what));
        }
        if (e is NpgsqlException npgsql)
        {
            // A connection-level failure (refused, reset, server gone): drop the idle connections so the next probe opens new ones.
            DataSource.Clear();
            var socket = SqlDeadline.Find<SocketException>(npgsql);
            var reason = socket is not null ? $"{npgsql.Message} ({socket.SocketErrorCode}: {socket.Message})"
                : npgsql.InnerException is { } inner && inner.Message != npgsql.Message ? $"{npgsql.Message} ({inner.Message})" : npgsql.Message;
            return new ConfigServiceException(operation, Redaction.Redact($"PostgreSQL at {_context.Facet.RedactedEndpoint} cannot be reached: {reason}"));
        }
        return new ConfigServiceException(operation, Redaction.Redact($"{e.GetType().Name}: {e.Message}"));
    }

    private sealed record ChangePayload(string Key, string? OldValue, string? NewValue, DateTimeOffset ChangedAt);

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    /// <summary>One subscription: its own connection, waiting for notifications until it is stopped.</summary>
    private sealed class Listener(string id, string key, IActorRef subscriber, NpgsqlConnection connection)
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public string Key => key;

        public NpgsqlConnection Connection => connection;

        public void Start() => _loop = Task.Run(WaitLoop);

        private async Task WaitLoop()
        {
            try
            {
                while (!_stop.IsCancellationRequested) await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Unsubscribed.
            }
            catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection broke (server stopped): no more events arrive, which the event probe reports as a lost event.
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            _stop.Dispose();
        }

        public void OnNotification(object sender, NpgsqlNotificationEventArgs notification)
        {
            ChangePayload? change;
            try
            {
                change = JsonSerializer.Deserialize<ChangePayload>(notification.Payload, PayloadJson);
            }
            catch (JsonException)
            {
                // Another producer's message on the channel, not a change event: not ours to deliver.
                return;
            }
            if (change is null || change.Key != key) return;
            var changedAt = change.ChangedAt == default ? DateTimeOffset.UtcNow : change.ChangedAt;
            subscriber.Tell(new ConfigChanged(id, key, change.OldValue, change.NewValue, changedAt));
        }
    }
}
