using System.Net;
using ConfigMonitor.Actors.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConfigMonitor.Host.Api;

/// <summary>An address the management API may listen on and the setting that asked for it.</summary>
public sealed record ListenAddress(string Setting, string Address);

/// <summary>
/// The token rule over every way ASP.NET can be told where to listen: no address other hosts can reach without
/// <c>ConfigMonitor:Api:Token</c>. Checked before Kestrel starts (every configured source), after it started (the bound
/// addresses) and on every request (its local address), so no request is answered beyond loopback without a token.
/// </summary>
public static class ListenAddresses
{
    /// <summary>The setting named in refusals: <c>ConfigMonitor:Api:Url</c>'s token.</summary>
    public const string TokenSetting = "ConfigMonitor:Api:Token";

    /// <summary>
    /// Every address source Kestrel reads, read from configuration before the node sets its own URL:
    /// <c>ConfigMonitor:Api:Url</c>, <c>Kestrel:Endpoints:*:Url</c>, <c>urls</c> (ASPNETCORE_URLS, DOTNET_URLS, --urls) and
    /// <c>http_ports</c>/<c>https_ports</c> (HTTP_PORTS, ASPNETCORE_HTTP_PORTS, DOTNET_HTTP_PORTS and the HTTPS twins), which bind all interfaces.
    /// </summary>
    public static IReadOnlyList<ListenAddress> Gather(IConfiguration configuration, string apiUrl)
    {
        var found = new List<ListenAddress> { new("ConfigMonitor:Api:Url", apiUrl) };
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
            found.Add(new ListenAddress($"Kestrel:Endpoints:{endpoint.Key}:Url", endpoint["Url"] ?? ""));
        foreach (var url in Split(configuration["urls"]))
            found.Add(new ListenAddress("urls (ASPNETCORE_URLS, DOTNET_URLS or --urls)", url));
        foreach (var (key, scheme, names) in new[]
                 {
                     ("http_ports", "http", "HTTP_PORTS, ASPNETCORE_HTTP_PORTS or DOTNET_HTTP_PORTS"),
                     ("https_ports", "https", "HTTPS_PORTS, ASPNETCORE_HTTPS_PORTS or DOTNET_HTTPS_PORTS"),
                 })
        {
            foreach (var port in Split(configuration[key]))
                found.Add(new ListenAddress($"{key} ({names})", $"{scheme}://*:{port}"));
        }
        return found;
    }

    /// <summary>One line per address that other hosts could reach while no token is set; empty when the rule holds.</summary>
    public static IReadOnlyList<string> Problems(IEnumerable<ListenAddress> addresses, bool hasToken) =>
        hasToken
            ? []
            : addresses.Where(a => !IsLoopbackAddress(a.Address))
                .Select(a => $"setting '{a.Setting}' is '{a.Address}', which other hosts can reach, and '{TokenSetting}' is not set: " +
                             "the management API can add and remove targets and acknowledge alerts, so set a token or listen on a loopback address " +
                             $"such as {ApiSettings.DefaultUrl} (set the address in ConfigMonitor:Api:Url)")
                .ToList();

    /// <summary>Throws (exit 2) when any configured source would listen beyond loopback without a token.</summary>
    public static void EnsureAllowed(IReadOnlyList<ListenAddress> addresses, ApiSettings api)
    {
        var problems = Problems(addresses, api.Token is not null);
        if (problems.Count > 0) throw new InvalidConfigMonitorOptionsException(problems);
    }

    /// <summary>
    /// True when the address (<c>scheme://host[:port][/path]</c>) names only this machine: <c>localhost</c>, 127.0.0.0/8 or ::1.
    /// Wildcards (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c>), host names, other addresses, Unix sockets and anything unreadable are not.
    /// </summary>
    public static bool IsLoopbackAddress(string address)
    {
        var text = address.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return false;
        var authority = text[(scheme + 3)..];
        var slash = authority.IndexOf('/');
        if (slash >= 0) authority = authority[..slash];
        string host;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return false;
            host = authority[1..close];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon >= 0 ? authority[..colon] : authority;
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IsLoopback(ip);
    }

    /// <summary>The decision of the first middleware: may a request that arrived on <paramref name="localAddress"/> be answered?</summary>
    public static bool MayAnswer(IPAddress? localAddress, bool hasToken) => hasToken || (localAddress is not null && IsLoopback(localAddress));

    /// <summary>
    /// The first middleware: without a token, a request that arrived on an address other than loopback gets 403 and a log
    /// line, whatever bound that address and however early it came (even while the node is still starting).
    /// </summary>
    public static WebApplication UseLoopbackOnlyWithoutToken(this WebApplication app, ApiSettings api)
    {
        if (api.Token is not null) return app;
        var logger = app.Logger;
        app.Use(async (context, next) =>
        {
            var local = context.Connection.LocalIpAddress;
            if (MayAnswer(local, hasToken: false))
            {
                // A page of another site can point its own name at 127.0.0.1 (DNS rebinding): its requests then reach this
                // node as same-origin ones, naming that site in Host. Without a token only loopback names are answered.
                var host = context.Request.Host.Host;
                if (host.Length == 0 || IsLoopbackHostName(host))
                {
                    await next(context);
                    return;
                }
                await TypedResults.Problem(
                    $"this node answers only to loopback host names (localhost, 127.0.0.1, [::1]) until {TokenSetting} is set, and the " +
                    $"request names '{ConfigMonitor.Actors.Protocol.TextLimits.Quote(host, 60)}' (a page of another site can point its own name " +
                    "at this address); use http://127.0.0.1 or http://localhost, or set a token",
                    statusCode: StatusCodes.Status403Forbidden, title: "Host name refused").ExecuteAsync(context);
                return;
            }
            logger.LogWarning("Refused {Method} {Path} from {Remote}: it arrived on {Local}, not loopback, and {Setting} is not set",
                context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress, local, TokenSetting);
            await TypedResults.Problem($"this node answers only on loopback addresses until {TokenSetting} is set",
                statusCode: StatusCodes.Status403Forbidden, title: "Not on loopback").ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>
    /// True for a Host header's name that only this machine can mean: localhost and names under .localhost (browsers resolve
    /// them to loopback themselves), and loopback IP literals (127.0.0.0/8, ::1, ::ffff:127.x).
    /// </summary>
    public static bool IsLoopbackHostName(string host)
    {
        var name = host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var literal = name.StartsWith('[') && name.EndsWith(']') ? name[1..^1] : name;
        return IPAddress.TryParse(literal, out var address) && IsLoopback(address);
    }

    private static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>After Kestrel bound: every address it listens on must obey the token rule, or the node stops with exit 2.</summary>
internal sealed class BoundAddressCheck(IServer server, ApiSettings api) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var open = bound.Where(a => !ListenAddresses.IsLoopbackAddress(a)).ToList();
        if (api.Token is null && open.Count > 0)
            throw new NodeConfigurationException(
                $"the management API is listening on {string.Join(", ", open)}, which other hosts can reach, and '{ListenAddresses.TokenSetting}' " +
                "is not set: set a token or listen on a loopback address (ConfigMonitor:Api:Url, Kestrel:Endpoints)");
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
