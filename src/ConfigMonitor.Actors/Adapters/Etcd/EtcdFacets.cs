using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Etcd;

/// <summary>
/// The clients of the 'etcd' kind, through etcd's v3 JSON gateway: config reads (a range of <c>KeyPrefix + key</c>), the
/// database facet (<c>/v3/maintenance/status</c>: leader, db size, quota, plus a count of the keys under the prefix) and the
/// events facet (a watch on the probe's own key, a put to notify, a delete when done). etcd has no cache facet.
/// </summary>
public static class EtcdFacets
{
    /// <summary>Where the event probe writes (and then deletes) its key when EventProbe:KeyPrefix is not set.</summary>
    public const string DefaultProbeKeyPrefix = "/configmonitor/probe/";

    /// <summary>The client of <paramref name="context"/>'s facet (cheap, no I/O: the gateway connects on the first call).</summary>
    public static object Create(FacetContext context)
    {
        var settings = context.Facet.Settings;
        // One gateway per endpoint and credentials: its token is shared by every target that uses the same user.
        var gateway = context.Connections.Shared($"etcd|{context.Facet.Endpoint}|{settings.Secret}",
            () => new EtcdGateway(context.Connections.Http, context.Facet.Endpoint, settings.Secret, context.Connections.StreamHttp));
        return context.Facet.Facet switch
        {
            FacetNames.Config => new EtcdConfigFacet(gateway, settings.KeyPrefix ?? ""),
            FacetNames.Database => new EtcdDatabaseFacet(gateway, settings.KeyPrefix ?? ""),
            FacetNames.Events => new EtcdEventsFacet(gateway, (settings.KeyPrefix ?? DefaultProbeKeyPrefix) + context.Target.Id + "/",
                Logging.GetLogger(context.System, typeof(EtcdEventsFacet))),
            _ => new UnbuiltFacet(context.Facet.Kind, context.Facet.Facet),
        };
    }
}

/// <summary>Reads <c>prefix + key</c>: the value, and etcd's version of the key as the entry's version.</summary>
public sealed class EtcdConfigFacet(EtcdGateway gateway, string keyPrefix) : IConfigFacet
{
    /// <inheritdoc />
    public async Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout)
    {
        var kv = await ReadAsync("get_config", key, timeout).ConfigureAwait(false);
        return kv is null ? new ConfigValue(key, defaultValue, false) : new ConfigValue(key, kv.Text, true);
    }

    /// <inheritdoc />
    public async Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout)
    {
        var kv = await ReadAsync("get_config_with_metadata", key, timeout).ConfigureAwait(false);
        // etcd keeps no update time; its revisions say when, in the cluster's own order.
        return kv is null
            ? new ConfigEntry(key, null, false, null, null, 0, false)
            : new ConfigEntry(key, kv.Text, true, $"etcd mod_revision {kv.ModRevision}, create_revision {kv.CreateRevision}", null, kv.Version, false);
    }

    private Task<EtcdKeyValue?> ReadAsync(string operation, string key, TimeSpan timeout) =>
        gateway.RunAsync(operation, timeout, async cancellationToken =>
        {
            var reply = await gateway.PostAsync<EtcdRangeReply>(operation, "/v3/kv/range",
                new { key = Encoding.UTF8.GetBytes(keyPrefix + key) }, cancellationToken).ConfigureAwait(false);
            return reply.Kvs is { Count: > 0 } kvs ? kvs[0] : null;
        });
}

/// <summary>
/// The cluster's status (<c>/v3/maintenance/status</c>): SelectOne 1 when a member answered with a leader, the number of keys
/// under the prefix as the row count, and the figures leader, db_size_bytes, db_quota_bytes and raft_term.
/// </summary>
public sealed class EtcdDatabaseFacet(EtcdGateway gateway, string keyPrefix) : IDatabaseFacet
{
    /// <inheritdoc />
    public Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout) =>
        gateway.RunAsync("database_probe", timeout, async cancellationToken =>
        {
            var status = await gateway.PostAsync<EtcdStatusReply>("database_probe", "/v3/maintenance/status", new { }, cancellationToken)
                .ConfigureAwait(false);
            if (status.Errors is { Count: > 0 } errors)
                throw new ConfigServiceException("database_probe", $"etcd reports: {string.Join("; ", errors)}");
            if (status.Leader == 0) throw new ConfigServiceException("database_probe", "etcd has no leader");
            var (key, rangeEnd) = EtcdGateway.PrefixRange(keyPrefix);
            var count = await gateway.PostAsync<EtcdRangeReply>("database_probe", "/v3/kv/range",
                new { key, range_end = rangeEnd, count_only = true }, cancellationToken).ConfigureAwait(false);
            var quota = await gateway.QuotaBytesAsync(cancellationToken).ConfigureAwait(false);
            return new DatabaseProbeResult(1, count.Count)
            {
                Figures = new Dictionary<string, double>
                {
                    ["leader"] = 1,
                    ["db_size_bytes"] = status.DbSize,
                    ["db_quota_bytes"] = quota,
                    ["raft_term"] = status.RaftTerm,
                },
            };
        });
}

/// <summary>
/// The event round trip through etcd: a watch on the probe's own key (<c>{KeyPrefix}{targetId}/{key}</c>) that is live once
/// the gateway confirms <c>created</c>; each put arrives as <see cref="ConfigChanged"/> (the old value from prev_kv); notify
/// puts the new value; unsubscribe ends the watch and deletes the key, so the probe leaves nothing behind.
/// </summary>
public sealed class EtcdEventsFacet(EtcdGateway gateway, string probePrefix, ILoggingAdapter log) : IEventsFacet
{
    private sealed record Watch(string Key, string ProbeKey, CancellationTokenSource Stop);

    private readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    /// <summary>The etcd key the probe of <paramref name="key"/> watches and writes.</summary>
    public string ProbeKey(string key) => probePrefix + key;

    /// <inheritdoc />
    public async Task<Subscribed> SubscribeAsync(string key, IActorRef subscriber, TimeSpan timeout)
    {
        const string operation = "subscribe_to_changes";
        var id = "etcd-" + Guid.NewGuid().ToString("N");
        var probeKey = ProbeKey(key);
        var stop = new CancellationTokenSource();
        HttpResponseMessage? response = null;
        StreamReader? reader = null;
        try
        {
            await gateway.RunAsync(operation, timeout, async deadline =>
            {
                using var setUp = CancellationTokenSource.CreateLinkedTokenSource(deadline, stop.Token);
                response = await gateway.SendAsync(operation, "/v3/watch",
                    new { create_request = new { key = Encoding.UTF8.GetBytes(probeKey), prev_kv = true } },
                    HttpCompletionOption.ResponseHeadersRead, setUp.Token).ConfigureAwait(false);
                reader = new StreamReader(await response.Content.ReadAsStreamAsync(setUp.Token).ConfigureAwait(false));
                var first = await reader.ReadLineAsync(setUp.Token).ConfigureAwait(false)
                            ?? throw new ConfigServiceException(operation, $"etcd at {gateway.RedactedEndpoint} closed the watch before confirming it");
                var line = JsonSerializer.Deserialize<EtcdWatchLine>(first, EtcdGateway.Json);
                if (line?.Result is not { Created: true })
                    throw new ConfigServiceException(operation, $"etcd at {gateway.RedactedEndpoint} did not confirm the watch: " +
                                                                (line?.Error?.Message ?? line?.Result?.CancelReason ?? "no 'created' in its first reply"));
                return true;
            }).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            reader?.Dispose();
            response?.Dispose();
            stop.Dispose();
            throw;
        }
        _watches[id] = new Watch(key, probeKey, stop);
        _ = DeliverAsync(id, key, response!, reader!, subscriber, stop.Token);
        return new Subscribed(id, key);
    }

    /// <inheritdoc />
    public Task<ChangeNotified> NotifyChangeAsync(string key, string? oldValue, string? newValue, TimeSpan timeout) =>
        gateway.RunAsync("notify_change", timeout, async cancellationToken =>
        {
            await gateway.PostAsync<EtcdPutReply>("notify_change", "/v3/kv/put",
                new { key = Encoding.UTF8.GetBytes(ProbeKey(key)), value = Encoding.UTF8.GetBytes(newValue ?? "") }, cancellationToken)
                .ConfigureAwait(false);
            // etcd does not say how many watchers it told; the ones this node holds on the key are the ones we know of.
            return new ChangeNotified(key, _watches.Values.Count(w => w.Key == key));
        });

    /// <inheritdoc />
    public async Task<Unsubscribed> UnsubscribeAsync(string subscriptionId, TimeSpan timeout)
    {
        if (!_watches.TryRemove(subscriptionId, out var watch)) return new Unsubscribed(subscriptionId, false);
        await watch.Stop.CancelAsync().ConfigureAwait(false);
        watch.Stop.Dispose();
        await gateway.RunAsync("unsubscribe", timeout, cancellationToken =>
            gateway.PostAsync<EtcdDeleteReply>("unsubscribe", "/v3/kv/deleterange", new { key = Encoding.UTF8.GetBytes(watch.ProbeKey) }, cancellationToken))
            .ConfigureAwait(false);
        return new Unsubscribed(subscriptionId, true);
    }

    /// <summary>How many watches this client holds open (for tests: none after every unsubscribe).</summary>
    public int OpenWatches => _watches.Count;

    // Reads the watch stream until it is stopped or breaks; a broken watch is not retried: the round trip then reports the lost event.
    private async Task DeliverAsync(string id, string key, HttpResponseMessage response, StreamReader reader, IActorRef subscriber,
        CancellationToken stop)
    {
        try
        {
            while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is { } text)
            {
                var line = JsonSerializer.Deserialize<EtcdWatchLine>(text, EtcdGateway.Json);
                if (line?.Error is { } error || line?.Result is { Canceled: true })
                {
                    log.Warning("etcd watch of '{0}' at {1} ended: {2}", key, gateway.RedactedEndpoint,
                        line.Error?.Message ?? line.Result?.CancelReason ?? "canceled");
                    return;
                }
                foreach (var change in line?.Result?.Events ?? [])
                {
                    if (change.Type is not (null or "PUT")) continue; // a delete (our own clean-up) is not a change event
                    subscriber.Tell(new ConfigChanged(id, key, change.PrevKv?.Text, change.Kv?.Text, DateTimeOffset.UtcNow));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or HttpRequestException or JsonException or ObjectDisposedException)
        {
            log.Debug("etcd watch of '{0}' at {1} broke: {2}", key, gateway.RedactedEndpoint, gateway.Describe(e) ?? e.Message);
        }
        finally
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
