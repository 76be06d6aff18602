using System.Text.RegularExpressions;

namespace ConfigMonitor.Actors.Targets;

/// <summary>
/// A secret named by reference: <c>env:NAME</c> (an environment variable of the node) or <c>file:/absolute/path</c> (a file's
/// content, trailing newline dropped, as Kubernetes and systemd credentials mount them). A definition is a journal event, so it
/// holds the reference only; the value is read when a probe runs, and never logged.
/// </summary>
public static partial class SecretReference
{
    /// <summary>What is wrong with <paramref name="reference"/>, never quoting it (it may be a pasted password); null when well formed.</summary>
    public static string? Problem(string reference)
    {
        if (reference.StartsWith("env:", StringComparison.Ordinal))
            return EnvName().IsMatch(reference[4..]) ? null
                : "is 'env:' followed by something that is not an environment variable name (letters, digits and '_', not starting with a digit)";
        if (reference.StartsWith("file:", StringComparison.Ordinal))
            return Path.IsPathFullyQualified(reference[5..]) && !reference.Any(char.IsControl) ? null
                : "is 'file:' followed by something that is not an absolute path";
        return "must name the secret by reference, 'env:NAME' or 'file:/path', never hold its value (a definition is stored in the journal and shown by the API)";
    }

    /// <summary>The secret's value now; throws <see cref="SecretUnavailableException"/> naming the reference (not the value) when it cannot be read.</summary>
    public static string Resolve(string reference)
    {
        if (Problem(reference) is { } problem) throw new SecretUnavailableException($"the secret reference {problem}");
        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            var name = reference[4..];
            return Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
                : throw new SecretUnavailableException($"the secret 'env:{name}' is not set in the node's environment");
        }
        var path = reference[5..];
        try
        {
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretUnavailableException($"the secret 'file:{path}' cannot be read: {e.GetType().Name}");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvName();
}

/// <summary>A secret reference that cannot be read now (a probe failure naming the reference, never the value).</summary>
public sealed class SecretUnavailableException(string message) : Exception(message);

/// <summary>
/// Removes credentials from text that may carry them (URLs, connection strings, client error messages) before it is logged,
/// put in an alert, a notification or an API answer.
/// </summary>
public static partial class Redaction
{
    /// <summary><paramref name="text"/> with URL user info, and password / token values of connection strings, replaced by <c>***</c>.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var redacted = UserInfo().Replace(text, "${scheme}***@");
        return SecretPair().Replace(redacted, "${name}=***");
    }

    // scheme://user:password@host → scheme://***@host (also user-only info, which can be a token).
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    // Password=...; Pwd=...; password=... (StackExchange.Redis) ; token=...; up to the next ';' or ',' or whitespace.
    [GeneratedRegex(@"(?<name>\b(?:password|pwd|passwd|token|secret|access[_-]?key|api[_-]?key))\s*=\s*(?:""[^""]*""|'[^']*'|[^;,\s]*)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SecretPair();
}
