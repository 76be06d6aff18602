using System.Net;
using ConfigMonitor.Actors.Hosting;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Host.Api;

/// <summary>The management API's settings (section <c>ConfigMonitor:Api</c>): where it listens and the bearer token of mutations.</summary>
public sealed record ApiSettings(string Url, string? Token, TimeSpan AskTimeout)
{
    /// <summary>Loopback only, the port pbm users know.</summary>
    public const string DefaultUrl = "http://127.0.0.1:9110";

    /// <summary>Reads and checks the settings; a node reachable from other hosts without a token is refused.</summary>
    public static ApiSettings Read(IConfigurationSection configMonitor)
    {
        var section = configMonitor.GetSection("Api");
        var url = string.IsNullOrWhiteSpace(section["Url"]) ? DefaultUrl : section["Url"]!.Trim();
        var token = string.IsNullOrWhiteSpace(section["Token"]) ? null : section["Token"]!.Trim();
        var askTimeout = TimeSpan.FromSeconds(10);
        var problems = new List<string>();
        if (section["AskTimeout"] is { } text
            && Actors.Targets.Durations.Check(text, Actors.Targets.DurationLimits.CallTimeout, out askTimeout) is { } problem)
            problems.Add($"setting 'ConfigMonitor:Api:AskTimeout' {problem}");

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add($"field 'Api:Url' is '{url}', which is not an http:// or https:// address such as {DefaultUrl}");
        else if (AddressOnlyProblem(url, uri) is { } notAnAddress)
            problems.Add($"field 'Api:Url' is '{WithoutUserInfo(url, uri)}', which {notAnAddress}; the API is served at the root of its address, so write only " +
                         $"scheme, host and port, such as {DefaultUrl}");
        else if (!IsLoopback(uri.Host) && token is null)
            problems.Add($"field 'Api:Url' is '{url}', which other hosts can reach, and 'Api:Token' is not set: " +
                         "the management API can add and remove targets and acknowledge alerts, so it needs a token there " +
                         "(set ConfigMonitor:Api:Token) or a loopback address such as " + DefaultUrl);
        if (problems.Count > 0) throw new InvalidConfigMonitorOptionsException(problems);
        return new ApiSettings(url, token, askTimeout);
    }

    /// <summary>Kestrel listens on scheme://host:port only: anything more in the URL is refused, not silently dropped or failed at start.</summary>
    private static string? AddressOnlyProblem(string text, Uri uri)
    {
        if (uri.UserInfo.Length > 0 || text.Contains('@')) return "has user information (name@ or name:password@)";
        // http://unix:/path/to.sock is Kestrel's form of a Unix socket: its "path" is the socket's file.
        if (uri.AbsolutePath is not ("/" or "") && !string.Equals(uri.Host, "unix", StringComparison.OrdinalIgnoreCase)) return $"has the path '{uri.AbsolutePath}'";
        if (uri.Query.Length > 0 || text.Contains('?')) return "has a query ('?…')";
        if (uri.Fragment.Length > 0 || text.Contains('#')) return "has a fragment ('#…')";
        // Without a port Kestrel would take the scheme's (80, 443): say the port, as every example does.
        if (!string.Equals(uri.Host, "unix", StringComparison.OrdinalIgnoreCase)
            && !System.Text.RegularExpressions.Regex.IsMatch(text.Trim(), @"^[A-Za-z]+://(\[[^\]]*\]|[^/:\[\]]*):[0-9]+/?$"))
            return "names no port (write scheme://host:port, e.g. http://127.0.0.1:9110; port 0 takes any free port)";
        return null;
    }

    // A password in the URL is not repeated in the refusal.
    private static string WithoutUserInfo(string text, Uri uri) =>
        uri.UserInfo.Length > 0 ? text.Replace(uri.UserInfo + "@", "…@", StringComparison.Ordinal) : text;

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
