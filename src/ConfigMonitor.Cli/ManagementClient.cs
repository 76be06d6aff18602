using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ConfigMonitor.Cli;

/// <summary>A command failed; <see cref="Exception.Message"/> is the one line printed, <see cref="ExitCode"/> the process exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    /// <summary>Non-zero: see <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>The exit codes of configmon.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>The node refused the request (unknown id, conflict, invalid input) or reported itself unhealthy; also usage errors.</summary>
    public const int Refused = 1;
    /// <summary>The node could not be reached or did not answer in time.</summary>
    public const int Unreachable = 2;
    /// <summary>The node wants a token, or refused the one given.</summary>
    public const int Unauthorized = 3;
}

/// <summary>An answer of the management API: status and parsed JSON body (null when empty).</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement? Body, string Text);

/// <summary>HttpClient over a node's management API; turns every failure into a <see cref="CliException"/> with a one-line reason.</summary>
public sealed partial class ManagementClient(HttpClient http, string node, string? token)
{
    /// <summary>host:port as given.</summary>
    public string Node => node;

    /// <summary>GET <paramref name="path"/>; <paramref name="accept"/> lists statuses that are answers, not errors (e.g. 503 of /health).</summary>
    public Task<ApiAnswer> GetAsync(string path, CancellationToken ct, params HttpStatusCode[] accept) => SendAsync(HttpMethod.Get, path, null, ct, accept);

    /// <summary>
    /// Every item of a paged list (<c>{"items": [...], "total": n, "next": cursor}</c>), following <c>next</c> until the last
    /// page; a node that answers a plain array is read as one page.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> GetAllPagesAsync(string path, CancellationToken ct)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            var page = cursor is null ? path : $"{path}{(path.Contains('?') ? '&' : '?')}cursor={Uri.EscapeDataString(cursor)}";
            var body = (await GetAsync(page, ct)).Body;
            if (body is { ValueKind: JsonValueKind.Array } array) return array.EnumerateArray().ToList();
            if (body is not { ValueKind: JsonValueKind.Object } pageBody || !pageBody.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new CliException(ExitCodes.Refused, $"the node answered {path} with something that is not a page of items");
            items.AddRange(list.EnumerateArray());
            cursor = pageBody.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            // A node that hands out the same cursor twice would loop for ever.
            if (cursor is not null && !seen.Add(cursor)) throw new CliException(ExitCodes.Refused, $"the node repeated the page cursor '{cursor}' of {path}");
        } while (cursor is not null);
        return items;
    }

    /// <summary>POST a JSON body.</summary>
    public Task<ApiAnswer> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    /// <summary>DELETE.</summary>
    public Task<ApiAnswer> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct, params HttpStatusCode[] accept)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress(node), path));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"cannot reach the node at {node}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"the node at {node} did not answer within {http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement? json = null;
            if (!string.IsNullOrWhiteSpace(text))
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    json = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not JSON (e.g. /metrics); the text is kept.
                }
            }
            if (response.IsSuccessStatusCode || accept.Contains(response.StatusCode)) return new ApiAnswer(response.StatusCode, json, text);
            var problem = Problem(json);
            // Every refusal of a ConfigMonitor node is a problem body; a bare error page is some other server at that address.
            if (problem is null && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadGateway)
                throw new CliException(ExitCodes.Unreachable,
                    $"{node} answered {(int)response.StatusCode} {response.ReasonPhrase} without a problem body: is it a ConfigMonitor node's management API (ConfigMonitor:Api:Url)?");
            var detail = problem ?? $"{(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliException(ExitCodes.Unauthorized,
                    token is null ? $"the node wants a token: {detail} (use --token or CONFIGMON_TOKEN)" : $"token refused: {detail}"),
                HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => new CliException(ExitCodes.Unreachable, detail),
                _ => new CliException(ExitCodes.Refused, detail),
            };
        }
    }

    /// <summary>"title: detail" of an RFC 7807 problem.</summary>
    private static string? Problem(JsonElement? json)
    {
        if (json is not { ValueKind: JsonValueKind.Object } body) return null;
        var detail = body.TryGetProperty("detail", out var d) ? d.GetString() : null;
        var title = body.TryGetProperty("title", out var t) ? t.GetString() : null;
        return detail is null ? title : title is null ? detail : $"{title.ToLowerInvariant()}: {detail}";
    }

    /// <summary>http://host:port/ from host:port (the port is required; a full http:// or https:// URL is taken as is).</summary>
    public static Uri BaseAddress(string node)
    {
        var hasScheme = node.Contains("://", StringComparison.Ordinal);
        var text = hasScheme ? node : "http://" + node;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || (!hasScheme && !HostAndPort().IsMatch(node)))
            throw new CliException(ExitCodes.Refused, $"--node '{node}' is not host:port (for example 127.0.0.1:9110)");
        return uri;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[^:/\[\]\s]+):[0-9]{1,5}$")]
    private static partial System.Text.RegularExpressions.Regex HostAndPort();
}
