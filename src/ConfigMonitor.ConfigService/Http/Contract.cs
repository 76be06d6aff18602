using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConfigMonitor.ConfigService.Http;

// The JSON bodies of the reference service's HTTP API (camelCase). Monitors are written against these shapes: change a
// name here and their clients break.

/// <summary><c>GET /config/{key}</c>: 200 when found, 404 with <c>found: false</c>.</summary>
public sealed record ConfigValueBody(string Key, string? Value, bool Found);

/// <summary><c>GET /config/{key}/metadata</c>.</summary>
public sealed record ConfigMetadataBody(
    string Key, string? Value, bool Found, string? Description, DateTimeOffset? UpdatedAt, long Version, bool FromCache);

/// <summary>503 (or 504) when the service could not answer: the operation and why.</summary>
public sealed record ServiceErrorBody(string Operation, string Error);

/// <summary><c>PUT /config/{key}</c>: the key's version after the write.</summary>
public sealed record ConfigWrittenBody(string Key, long Version);

/// <summary><c>GET /cache/stats</c>.</summary>
public sealed record CacheStatsBody(long Hits, long Misses, long Size, long MaxSize);

/// <summary><c>GET /health</c>: <c>status</c> is <c>up</c> or <c>down</c>.</summary>
public sealed record HealthBody(string Status, DatabaseHealthBody Database);

/// <summary>The database part of <see cref="HealthBody"/>: figures when up, the error when down.</summary>
public sealed record DatabaseHealthBody(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? SelectOne = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Rows = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ResponseMs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

/// <summary>The <c>data</c> of an <c>event: change</c> on <c>GET /events</c>.</summary>
public sealed record ChangeEventBody(string Key, string? OldValue, string? NewValue, DateTimeOffset ChangedAt);

/// <summary><c>POST /events/notify</c>: how many subscribers of the key the change was sent to.</summary>
public sealed record ChangeNotifiedBody(string Key, int Subscribers);

/// <summary><c>GET /faults</c>: the faults in force; <c>readDelay</c> in the duration grammar (<c>0s</c>, <c>2s</c>, <c>250ms</c>).</summary>
public sealed record FaultStateBody(string ReadDelay, bool DatabaseAvailable, bool DropEvents, bool Hang);

/// <summary>Answer of every <c>POST /faults/*</c>: what the service now does.</summary>
public sealed record FaultAppliedBody(string Applied);

/// <summary>A refused request (400, 403, 404 for an unknown route, 413): what is wrong and what would be right.</summary>
public sealed record ErrorBody(string Error);

/// <summary>The JSON settings of the contract, independent of the host's own JSON options.</summary>
public static class ContractJson
{
    /// <summary>
    /// camelCase, nulls written (a value of null is an answer), ISO 8601 times; quotes and non-ASCII text written as they are
    /// (these bodies are JSON for programs and people reading curl output, never embedded in HTML).
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
