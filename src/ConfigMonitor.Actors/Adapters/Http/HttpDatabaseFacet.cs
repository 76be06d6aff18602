using System.Text.Json;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The database facet over HTTP: a health endpoint. 2xx = the store answered (SelectOne 1), with the row count at the pointer
/// when there is one; anything else is a failure with the service's error text. Spring Boot Actuator: /actuator/health with the
/// db component's status ("UP" = up; no row count).
/// </summary>
public sealed class HttpDatabaseFacet(HttpFacetClient client, HttpShape shape) : IDatabaseFacet
{
    private const string Operation = "database_probe";

    /// <inheritdoc />
    public async Task<DatabaseProbeResult> ProbeDatabaseAsync(TimeSpan timeout)
    {
        var reply = await client.SendAsync(Operation, HttpMethod.Get, client.Url(shape.Path), null, timeout).ConfigureAwait(false);
        return shape.Actuator ? Actuator(reply) : Health(reply);
    }

    private DatabaseProbeResult Health(HttpReply reply)
    {
        if (!reply.IsSuccess) throw client.Failure(Operation, reply);
        if (shape.Pointer is null) return new DatabaseProbeResult(1, 0) { HasRowCount = false };
        var json = client.Json(Operation, reply);
        if (!JsonPointer.TryResolve(json, shape.Pointer, out var rows))
            throw Unreadable(reply, $"has nothing at the row-count Pointer '{shape.Pointer}'");
        if (rows.ValueKind != JsonValueKind.Number || !rows.TryGetInt64(out var count) || count < 0)
            throw Unreadable(reply, $"holds {rows.ValueKind.ToString().ToLowerInvariant()} {TextLimits.Quote(rows.GetRawText(), 40)} at the row-count Pointer '{shape.Pointer}', not a count");
        return new DatabaseProbeResult(1, count);
    }

    // Actuator answers 200 {"status":"UP","components":{"db":{"status":"UP","details":{...}}}} or 503 with "DOWN" and the
    // component's details.error; the component is shown only with management.endpoint.health.show-components (or show-details).
    private DatabaseProbeResult Actuator(HttpReply reply)
    {
        var pointer = shape.Pointer ?? "/components/db/status";
        if (client.TryJson(Operation, reply, out var json) is { } malformed) throw reply.IsSuccess ? malformed : client.Failure(Operation, reply);
        if (!JsonPointer.TryResolve(json, pointer, out var status) || status.ValueKind != JsonValueKind.String)
        {
            if (!reply.IsSuccess) throw client.Failure(Operation, reply);
            throw Unreadable(reply, $"has no status string at Pointer '{pointer}' (the db component is shown only with " +
                                    "management.endpoint.health.show-components=always; or set Path to /actuator/health/db and Pointer to /status)");
        }
        var state = status.GetString()!;
        if (reply.IsSuccess && state == "UP") return new DatabaseProbeResult(1, 0) { HasRowCount = false };
        var parent = pointer.EndsWith("/status", StringComparison.Ordinal) ? pointer[..^"/status".Length] : pointer;
        var error = JsonPointer.TryResolve(json, parent + "/details/error", out var e) && e.ValueKind == JsonValueKind.String ? $": {e.GetString()}" : "";
        throw client.Failure(Operation, reply, $"the database is {TextLimits.Quote(state, 40)} (at '{pointer}'){Shorten(error)}");
    }

    private static string Shorten(string text) => Redaction.Redact(TextLimits.Quote(text.ReplaceLineEndings(" "), HttpFacetClient.ExcerptChars));

    private ConfigServiceException Unreadable(HttpReply reply, string what) =>
        new(Operation, client.ScrubSecret($"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText}, but the reply {what}: {HttpFacetClient.Excerpt(reply.Body)}"));
}
