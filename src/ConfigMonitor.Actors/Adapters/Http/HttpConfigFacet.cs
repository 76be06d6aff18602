using System.Globalization;
using System.Net;
using System.Text.Json;
using ConfigMonitor.Actors.Targets;
using static ConfigMonitor.Actors.Protocol.ConfigServiceProtocol;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>
/// The config facet over HTTP: GET the key's URL; 2xx = found (the value at the JSON pointer), 404 = a successful read of an
/// absent key; Spring Cloud Config: GET /{application}/{profile} and the first property source holding the key.
/// </summary>
public sealed class HttpConfigFacet(HttpFacetClient client, HttpShape shape) : IConfigFacet
{
    private const string GetConfig = "get_config", GetWithMetadata = "get_config_with_metadata";

    /// <inheritdoc />
    public async Task<ConfigValue> GetConfigAsync(string key, string? defaultValue, TimeSpan timeout)
    {
        var read = await ReadAsync(GetConfig, key, timeout).ConfigureAwait(false);
        return new ConfigValue(key, read.Found ? read.Value : defaultValue, read.Found);
    }

    /// <inheritdoc />
    public async Task<ConfigEntry> GetConfigWithMetadataAsync(string key, TimeSpan timeout)
    {
        if (!shape.ReferenceRoute)
        {
            var read = await ReadAsync(GetWithMetadata, key, timeout).ConfigureAwait(false);
            return new ConfigEntry(key, read.Value, read.Found, read.Source, read.Reply?.LastModified, VersionOf(read.Reply?.ETag), false);
        }
        var url = client.Url(shape.Path + "/metadata", key);
        var reply = await client.SendAsync(GetWithMetadata, HttpMethod.Get, url, null, timeout).ConfigureAwait(false);
        if (reply.Status == HttpStatusCode.NotFound) return new ConfigEntry(key, null, false, null, null, 0, false);
        if (!reply.IsSuccess) throw client.Failure(GetWithMetadata, reply);
        var json = client.Json(GetWithMetadata, reply);
        if (json.ValueKind != JsonValueKind.Object) throw Malformed(GetWithMetadata, reply, "is not a JSON object");
        var value = JsonPointer.TryResolve(json, "/value", out var v) ? JsonPointer.AsText(v) : null;
        var found = !JsonPointer.TryResolve(json, "/found", out var f) || f.ValueKind != JsonValueKind.False;
        var description = JsonPointer.TryResolve(json, "/description", out var d) ? JsonPointer.AsText(d) : null;
        DateTimeOffset? updatedAt = JsonPointer.TryResolve(json, "/updatedAt", out var u) && u.ValueKind == JsonValueKind.String
                                    && DateTimeOffset.TryParse(u.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        var version = JsonPointer.TryResolve(json, "/version", out var ver) && ver.TryGetInt64(out var n) ? n : 0;
        var fromCache = JsonPointer.TryResolve(json, "/fromCache", out var c) && c.ValueKind == JsonValueKind.True;
        return new ConfigEntry(key, value, found, description, updatedAt, version, fromCache);
    }

    private sealed record Read(bool Found, string? Value, string? Source, HttpReply? Reply);

    private async Task<Read> ReadAsync(string operation, string key, TimeSpan timeout)
    {
        if (shape.Preset == HttpPresetNames.SpringCloudConfig) return await ReadPropertySourcesAsync(operation, key, timeout).ConfigureAwait(false);
        var reply = await client.SendAsync(operation, HttpMethod.Get, client.Url(shape.Path, key), null, timeout).ConfigureAwait(false);
        if (reply.Status == HttpStatusCode.NotFound) return new Read(false, null, null, reply);
        if (!reply.IsSuccess) throw client.Failure(operation, reply);
        var json = client.Json(operation, reply);
        var pointer = shape.Pointer ?? "";
        if (!JsonPointer.TryResolve(json, pointer, out var value))
            throw Malformed(operation, reply, $"has nothing at the value pointer '{pointer}' (field Pointer)");
        return new Read(true, JsonPointer.AsText(value), null, reply);
    }

    // Spring Cloud Config Server's Environment: { name, profiles, label, version, state, propertySources: [{ name, source: { key: value } }] },
    // highest precedence first, so the first source holding the key wins.
    private async Task<Read> ReadPropertySourcesAsync(string operation, string key, TimeSpan timeout)
    {
        var reply = await client.SendAsync(operation, HttpMethod.Get, client.Url(shape.Path), null, timeout).ConfigureAwait(false);
        if (!reply.IsSuccess)
            throw client.Failure(operation, reply, reply.Status == HttpStatusCode.NotFound
                ? $"{HttpFacetClient.ErrorText(reply.Body)} (Path '{shape.Path}' should be /{{application}}/{{profile}}[/{{label}}] of an application the server knows)"
                : null);
        var json = client.Json(operation, reply);
        if (!JsonPointer.TryResolve(json, "/propertySources", out var sources) || sources.ValueKind != JsonValueKind.Array)
            throw Malformed(operation, reply, "has no propertySources array (is this a Spring Cloud Config Server's /{application}/{profile}?)");
        foreach (var source in sources.EnumerateArray())
        {
            if (!source.TryGetProperty("source", out var properties) || properties.ValueKind != JsonValueKind.Object) continue;
            if (properties.TryGetProperty(key, out var value))
                return new Read(true, JsonPointer.AsText(value), source.TryGetProperty("name", out var name) ? JsonPointer.AsText(name) : null, reply);
        }
        return new Read(false, null, null, reply);
    }

    private ConfigServiceException Malformed(string operation, HttpReply reply, string what) =>
        new(operation, client.ScrubSecret($"{Redaction.Redact(reply.Url.ToString())} answered {reply.StatusText}, but the reply {what}: {HttpFacetClient.Excerpt(reply.Body)}"));

    // An ETag is a version when it is a number ("42" or W/"42"); other tags are opaque and give no version.
    private static long VersionOf(string? etag)
    {
        var tag = etag?.Trim('"');
        return long.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;
    }
}
