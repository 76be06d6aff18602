using System.Text.Json;
using ConfigMonitor.Actors.Protocol;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The cache facet over HTTP: one GET of a statistics document read at four JSON pointers (the reference's /cache/stats), or
/// Spring Boot Actuator's metrics: cache.gets tagged result:hit and result:miss, and cache.size (Actuator reports no max size).
/// </summary>
public sealed class HttpCacheFacet(HttpFacetClient client, HttpShape shape) : ICacheFacet
{
    private const string Operation = "get_cache_stats";

    /// <inheritdoc />
    public async Task<CacheStats> GetCacheStatsAsync(TimeSpan timeout)
    {
        if (shape.Actuator)
        {
            // The three reads run at once, each within the timeout, so the probe takes one timeout at most.
            var hits = FigureAsync(shape.Path + "/cache.gets?tag=result:hit", shape.HitsPointer, "HitsPointer", timeout);
            var misses = FigureAsync(shape.Path + "/cache.gets?tag=result:miss", shape.MissesPointer, "MissesPointer", timeout);
            var size = FigureAsync(shape.Path + "/cache.size", shape.SizePointer, "SizePointer", timeout);
            await Task.WhenAll(hits, misses, size).ConfigureAwait(false);
            return new CacheStats(ToLong(await hits), ToLong(await misses), ToInt(await size), 0);
        }
        var url = client.Url(shape.Path);
        var reply = await client.SendAsync(Operation, HttpMethod.Get, url, null, timeout).ConfigureAwait(false);
        if (!reply.IsSuccess) throw client.Failure(Operation, reply);
        var json = client.Json(Operation, reply);
        return new CacheStats(
            ToLong(Number(json, reply, shape.HitsPointer, "HitsPointer")),
            ToLong(Number(json, reply, shape.MissesPointer, "MissesPointer")),
            ToInt(Number(json, reply, shape.SizePointer, "SizePointer")),
            shape.MaxSizePointer is null ? 0 : ToInt(Number(json, reply, shape.MaxSizePointer, "MaxSizePointer")));
    }

    private async Task<double> FigureAsync(string path, string pointer, string field, TimeSpan timeout)
    {
        var reply = await client.SendAsync(Operation, HttpMethod.Get, client.Url(path), null, timeout).ConfigureAwait(false);
        if (!reply.IsSuccess) throw client.Failure(Operation, reply);
        return Number(client.Json(Operation, reply), reply, pointer, field);
    }

    private double Number(JsonElement json, HttpReply reply, string pointer, string field)
    {
        if (!JsonPointer.TryResolve(json, pointer, out var value))
            throw new ConfigServiceException(Operation, client.ScrubSecret(
                $"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText}, but has nothing at {field} '{pointer}': {HttpFacetClient.Excerpt(reply.Body)}"));
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < 0)
            throw new ConfigServiceException(Operation, client.ScrubSecret(
                $"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText}, but {field} '{pointer}' names {Describe(value)}, not a count (a number of 0 or more)"));
        return number;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{TextLimits.Quote(value.GetString(), 40)}'",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => $"a JSON {value.ValueKind.ToString().ToLowerInvariant()}",
    };

    private static long ToLong(double figure) => figure >= long.MaxValue ? long.MaxValue : (long)Math.Round(figure);

    private static int ToInt(double figure) => figure >= int.MaxValue ? int.MaxValue : (int)Math.Round(figure);
}
