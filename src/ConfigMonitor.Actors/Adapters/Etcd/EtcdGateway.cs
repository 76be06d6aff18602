using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;

namespace ConfigMonitor.Actors.Adapters.Etcd;

/// <summary>
/// One etcd endpoint reached through its v3 JSON gateway (<c>/v3/kv/range</c>, <c>/v3/watch</c>, …) over the node's shared
/// <see cref="HttpClient"/>: no gRPC channel to set up, keep-alive connections shared with every other HTTP probe of the node.
/// Shared by every target of the node that names the same endpoint and secret. With a secret (<c>user:password</c>), it
/// authenticates once, sends the token as the <c>Authorization</c> header, and authenticates again when etcd answers 401.
/// </summary>
public sealed class EtcdGateway(HttpClient http, string endpoint, string? secret, HttpClient? streams = null)
{
    /// <summary>etcd's backend quota when it is not configured (<c>--quota-backend-bytes</c> unset): 2 GiB.</summary>
    public const long DefaultQuotaBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>How long a quota read from <c>/metrics</c> is trusted (it changes only when etcd restarts with another flag).</summary>
    public static readonly TimeSpan QuotaLifetime = TimeSpan.FromMinutes(1);

    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Uri _base = new(endpoint.TrimEnd('/') + "/");
    private volatile string? _token;
    private (long Bytes, DateTimeOffset ReadAt)? _quota;

    /// <summary>The endpoint as it may be shown.</summary>
    public string RedactedEndpoint { get; } = Redaction.Redact(endpoint);

    /// <summary>
    /// Runs <paramref name="work"/> with a deadline of <paramref name="timeout"/>, turning what can go wrong into a probe failure:
    /// <see cref="ProbeTimeoutException"/> at the deadline, <see cref="ConfigServiceException"/> for a refused connection or a
    /// malformed reply (the etcd error answers are turned into it by <see cref="PostAsync{T}"/>).
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, TimeSpan timeout, Func<CancellationToken, Task<T>> work)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await work(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ProbeTimeoutException(operation, timeout);
        }
        catch (Exception e) when (Describe(e) is { } reason)
        {
            throw new ConfigServiceException(operation, reason);
        }
    }

    /// <summary>The one-line reason of a transport or format failure; null for an exception that already is a probe failure.</summary>
    internal string? Describe(Exception e) => e switch
    {
        HttpRequestException http => $"cannot reach etcd at {RedactedEndpoint}: {Redaction.Redact(http.Message)}",
        IOException io => $"the connection to etcd at {RedactedEndpoint} broke: {Redaction.Redact(io.Message)}",
        JsonException json => $"etcd at {RedactedEndpoint} answered something that is not the v3 JSON gateway's shape: {json.Message}",
        _ => null,
    };

    /// <summary>POSTs <paramref name="body"/> to <paramref name="path"/> and reads the reply as <typeparamref name="T"/>.</summary>
    public async Task<T> PostAsync<T>(string operation, string path, object body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(operation, path, body, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("the reply is empty");
    }

    /// <summary>
    /// Sends one request (authenticating first when a secret is set, and once more on a 401), and returns a successful
    /// response; an etcd error answer becomes a <see cref="ConfigServiceException"/> with etcd's own message.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string operation, string path, object body, HttpCompletionOption completion,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = secret is null ? null : _token ?? await AuthenticateAsync(operation, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path.TrimStart('/')))
            {
                Content = new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json"),
            };
            if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
            // A watch holds its connection open: it goes through the node's stream pool, never ahead of the probes' requests.
            var client = path.EndsWith("/watch", StringComparison.Ordinal) ? streams ?? http : http;
            var response = await client.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return response;
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized && secret is not null && attempt == 0)
                {
                    _token = null; // expired or revoked (etcd restarted): authenticate again, once
                    continue;
                }
                throw await ErrorAsync(operation, response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The backend quota in bytes: <c>etcd_server_quota_backend_bytes</c> from <c>/metrics</c>, read at most every <see cref="QuotaLifetime"/>; etcd's default when the metric is not there.</summary>
    public async Task<long> QuotaBytesAsync(CancellationToken cancellationToken)
    {
        if (_quota is { } known && DateTimeOffset.UtcNow - known.ReadAt < QuotaLifetime) return known.Bytes;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "metrics"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var bytes = DefaultQuotaBytes;
        if (response.IsSuccessStatusCode)
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                const string metric = "etcd_server_quota_backend_bytes ";
                if (!line.StartsWith(metric, StringComparison.Ordinal)) continue;
                if (double.TryParse(line.AsSpan(metric.Length), System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0)
                    bytes = (long)value;
                break;
            }
        }
        _quota = (bytes, DateTimeOffset.UtcNow);
        return bytes;
    }

    private async Task<string> AuthenticateAsync(string operation, CancellationToken cancellationToken)
    {
        var value = SecretReference.Resolve(secret!);
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new ConfigServiceException(operation, $"the secret '{secret}' for etcd must hold 'user:password' (it has no ':' after a user name)");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "v3/auth/authenticate"))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { name = value[..colon], password = value[(colon + 1)..] }, Json),
                Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            throw new ConfigServiceException(operation, $"etcd at {RedactedEndpoint} refused to authenticate the user of secret '{secret}': {error}");
        }
        var reply = JsonSerializer.Deserialize<EtcdAuthenticateReply>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), Json);
        return _token = reply?.Token is { Length: > 0 } token ? token : throw new JsonException("the authenticate reply has no token");
    }

    private async Task<ConfigServiceException> ErrorAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
        var hint = secret is null && error.Contains("user name is empty", StringComparison.Ordinal)
            ? " (this etcd has authentication enabled: set Secret to 'env:NAME' or 'file:/path' holding 'user:password')"
            : "";
        return new ConfigServiceException(operation, $"etcd at {RedactedEndpoint} answered {(int)response.StatusCode}: {error}{hint}");
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (JsonSerializer.Deserialize<EtcdError>(text, Json) is { Message: { Length: > 0 } message }) return Redaction.Redact(message);
        }
        catch (JsonException)
        {
        }
        return Redaction.Redact(TextLimits.Quote(text.ReplaceLineEndings(" "), 200));
    }

    /// <summary>The key range holding every key that starts with <paramref name="prefix"/> (etcd's range_end rule); all keys for "".</summary>
    public static (byte[] Key, byte[] RangeEnd) PrefixRange(string prefix)
    {
        var key = Encoding.UTF8.GetBytes(prefix);
        for (var i = key.Length - 1; i >= 0; i--)
        {
            if (key[i] == 0xff) continue;
            var end = key[..(i + 1)];
            end[i]++;
            return (key, end);
        }
        return (key.Length == 0 ? [0] : key, [0]); // "\0" as range_end: every key from key on
    }
}

/// <summary>An error answer of the gateway: <c>{"error","message","code"}</c>.</summary>
internal sealed record EtcdError([property: JsonPropertyName("message")] string? Message, [property: JsonPropertyName("code")] int Code);

/// <summary>The reply of <c>/v3/auth/authenticate</c>.</summary>
internal sealed record EtcdAuthenticateReply([property: JsonPropertyName("token")] string? Token);

/// <summary>The header of every reply.</summary>
internal sealed record EtcdHeader([property: JsonPropertyName("revision")] long Revision, [property: JsonPropertyName("raft_term")] long RaftTerm);

/// <summary>A key and its value with etcd's metadata (key and value base64 on the wire).</summary>
internal sealed record EtcdKeyValue(
    [property: JsonPropertyName("key")] byte[]? Key,
    [property: JsonPropertyName("value")] byte[]? Value,
    [property: JsonPropertyName("create_revision")] long CreateRevision,
    [property: JsonPropertyName("mod_revision")] long ModRevision,
    [property: JsonPropertyName("version")] long Version)
{
    /// <summary>The value as text.</summary>
    public string Text => Value is null ? "" : Encoding.UTF8.GetString(Value);
}

/// <summary>The reply of <c>/v3/kv/range</c> (zero counts and empty lists are left out by the gateway).</summary>
internal sealed record EtcdRangeReply(
    [property: JsonPropertyName("header")] EtcdHeader? Header,
    [property: JsonPropertyName("kvs")] IReadOnlyList<EtcdKeyValue>? Kvs,
    [property: JsonPropertyName("count")] long Count);

/// <summary>The reply of <c>/v3/kv/deleterange</c>.</summary>
internal sealed record EtcdDeleteReply([property: JsonPropertyName("header")] EtcdHeader? Header, [property: JsonPropertyName("deleted")] long Deleted);

/// <summary>The reply of <c>/v3/kv/put</c>.</summary>
internal sealed record EtcdPutReply([property: JsonPropertyName("header")] EtcdHeader? Header);

/// <summary>The reply of <c>/v3/maintenance/status</c> (this one in camelCase on the wire).</summary>
internal sealed record EtcdStatusReply(
    [property: JsonPropertyName("header")] EtcdHeader? Header,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("dbSize")] long DbSize,
    [property: JsonPropertyName("dbSizeInUse")] long DbSizeInUse,
    [property: JsonPropertyName("leader")] ulong Leader,
    [property: JsonPropertyName("raftTerm")] long RaftTerm,
    [property: JsonPropertyName("errors")] IReadOnlyList<string>? Errors);

/// <summary>One line of the <c>/v3/watch</c> stream: a result, or an error.</summary>
internal sealed record EtcdWatchLine([property: JsonPropertyName("result")] EtcdWatchResult? Result, [property: JsonPropertyName("error")] EtcdError? Error);

/// <summary>A watch response: the confirmation (<c>created</c>), a batch of events, or a cancellation.</summary>
internal sealed record EtcdWatchResult(
    [property: JsonPropertyName("created")] bool Created,
    [property: JsonPropertyName("canceled")] bool Canceled,
    [property: JsonPropertyName("cancel_reason")] string? CancelReason,
    [property: JsonPropertyName("events")] IReadOnlyList<EtcdWatchEvent>? Events);

/// <summary>One change: <c>type</c> is left out for a PUT (the enum's zero) and is "DELETE" for a delete.</summary>
internal sealed record EtcdWatchEvent(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("kv")] EtcdKeyValue? Kv,
    [property: JsonPropertyName("prev_kv")] EtcdKeyValue? PrevKv);
