using System.Net.Sockets;
using System.Text.Json;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Connections;

namespace ConfigMonitor.Host;

/// <summary>The node's appsettings files, checked before the host loads them so a syntax error names the file and line.</summary>
public static class AppSettingsFiles
{
    /// <summary>Throws <see cref="NodeConfigurationException"/> when appsettings.json or appsettings.{environment}.json in <paramref name="folder"/> is not a JSON object.</summary>
    public static void EnsureReadable(string folder)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
                          ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
                          ?? "Production";
        foreach (var name in new[] { "appsettings.json", $"appsettings.{environment}.json" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) Check(path);
        }
    }

    /// <summary>Reads one file with the options of the JSON configuration provider (comments and trailing commas allowed).</summary>
    public static void Check(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new NodeConfigurationException($"{path}: the top level must be a JSON object {{ … }}, not {document.RootElement.ValueKind}");
        }
        catch (JsonException e)
        {
            // The reader's message ends with its own 0-based position; the line is given 1-based in front instead.
            var message = e.Message;
            var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (position > 0) message = message[..position];
            var line = e.LineNumber is { } n ? $":{n + 1}" : "";
            throw new NodeConfigurationException($"{path}{line}: not valid JSON: {message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"{path}: cannot be read ({e.Message})");
        }
    }
}

/// <summary>Where the node listens, and which setting chose each address: the words of a failed bind.</summary>
public sealed record NodeAddresses(string RemotingHostname, int RemotingPort, IReadOnlyList<ListenAddress> Api)
{
    /// <summary>The addresses Kestrel uses: its own endpoints when any are configured (they replace the others), else <c>ConfigMonitor:Api:Url</c>.</summary>
    public IEnumerable<ListenAddress> Effective =>
        Api.Any(a => a.Setting.StartsWith("Kestrel:", StringComparison.Ordinal))
            ? Api.Where(a => a.Setting.StartsWith("Kestrel:", StringComparison.Ordinal))
            : Api.Where(a => a.Setting == "ConfigMonitor:Api:Url");
}

/// <summary>Turns a failed bind at start (Kestrel or Akka remoting) into one line naming the address and its setting.</summary>
public static class BindFailure
{
    /// <summary>The exception to throw instead of <paramref name="error"/>, or null when it is not a bind failure.</summary>
    public static Exception? Describe(Exception error, NodeAddresses addresses)
    {
        var all = Unfold(error).ToList();
        if (all.OfType<Akka.Remote.RemoteTransportException>().Any())
        {
            var socket = all.OfType<SocketException>().FirstOrDefault();
            var where = $"{addresses.RemotingHostname}:{addresses.RemotingPort} (ConfigMonitor:Hostname, ConfigMonitor:Port)";
            return socket?.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new TransientStartupException(PortsInUse.AkkaPortTaken(where), error),
                null => null,
                _ => new NodeConfigurationException($"Akka remoting cannot listen on {where}: {socket.Message}"),
            };
        }
        if (HttpsFailure(all, addresses) is { } https) return https;
        if (all.OfType<IOException>().Any() && all.OfType<SocketException>().FirstOrDefault() is { } kestrelSocket)
        {
            var where = string.Join(" or ", addresses.Effective.Select(a => $"{a.Address} ({a.Setting})"));
            return all.OfType<AddressInUseException>().Any()
                ? new TransientStartupException(PortsInUse.ApiPortTaken(where), error)
                : new NodeConfigurationException($"the management API cannot listen on {where}: {kestrelSocket.Message}");
        }
        return null;
    }

    /// <summary>
    /// Kestrel could not set up an https:// address (no certificate configured, or one it cannot load): a configuration mistake,
    /// named with the address, its setting and how to give Kestrel a certificate.
    /// </summary>
    private static NodeConfigurationException? HttpsFailure(IReadOnlyList<Exception> all, NodeAddresses addresses)
    {
        var https = addresses.Effective.Where(a => a.Address.StartsWith("https:", StringComparison.OrdinalIgnoreCase)).ToList();
        if (https.Count == 0 || all.OfType<SocketException>().Any()) return null;
        // Thrown by Kestrel itself (its type is not public): the missing certificate is an InvalidOperationException, a bad file
        // a FileNotFoundException or CryptographicException raised while Kestrel loads it.
        var fromKestrel = all.FirstOrDefault(e => e is InvalidOperationException or IOException or UnauthorizedAccessException
                                                      or System.Security.Cryptography.CryptographicException
                                                  && (e.StackTrace ?? "").Contains("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));
        if (fromKestrel is null) return null;
        // Kestrel's own first sentence ("Unable to configure HTTPS endpoint.", or the file it could not read); its advice to run
        // 'dotnet dev-certs' is for development machines only.
        var reason = fromKestrel.Message.Split(". ", 2)[0].TrimEnd('.');
        var where = string.Join(" or ", https.Select(a => $"{a.Address} ({a.Setting})"));
        return new NodeConfigurationException(
            $"the management API cannot serve {where}: {reason}; give Kestrel a certificate with Kestrel:Certificates:Default:Path " +
            "(a .pfx with Kestrel:Certificates:Default:Password, or a .pem with Kestrel:Certificates:Default:KeyPath), " +
            $"or use an http:// address such as {ApiSettings.DefaultUrl}");
    }

    private static IEnumerable<Exception> Unfold(Exception error)
    {
        yield return error;
        var inner = error is AggregateException aggregate ? aggregate.InnerExceptions : (error.InnerException is { } one ? [one] : []);
        foreach (var child in inner)
        foreach (var e in Unfold(child))
            yield return e;
    }
}
