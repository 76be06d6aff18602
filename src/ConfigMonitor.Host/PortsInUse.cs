using System.Net;
using System.Net.Sockets;
using ConfigMonitor.Host.Api;
using Microsoft.AspNetCore.Http;

namespace ConfigMonitor.Host;

/// <summary>
/// Finds, before anything starts, a port of the node that another process listens on: Akka remoting's and the management API's.
/// <para>
/// Akka's transport binds with <c>tcp-reuse-addr</c> (its default everywhere but Windows), and .NET turns that into SO_REUSEADDR
/// plus SO_REUSEPORT on Linux and macOS: a second node on the same <c>ConfigMonitor:Port</c> therefore binds too, and the two
/// share the port, each a cluster of its own, with connections landing in either. Turning the option off is no cure: without
/// SO_REUSEADDR a node restarted at once after a crash finds its port held by the crashed connections in TIME_WAIT for a minute.
/// So the node asks first, with a socket that sets SO_REUSEADDR alone: the kernel lets that bind beside connections in
/// TIME_WAIT but refuses it beside any listener, whatever the listener's options. The API is asked at the same moment, so a
/// taken API port stops the node before Akka has formed a cluster, with one line instead of the host's stack trace.
/// Two nodes started within the same few milliseconds can both pass; the check is for the node started beside a running one.
/// </para>
/// </summary>
public static class PortsInUse
{
    /// <summary>Throws <see cref="TransientStartupException"/> naming the address and its setting when one of the node's ports has a listener.</summary>
    public static void EnsureFree(NodeAddresses addresses)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // elsewhere Akka binds exclusively, and the bind itself fails
        if (addresses.RemotingPort != 0 && Resolve(addresses.RemotingHostname).Any(a => Listened(a, addresses.RemotingPort)))
            throw new TransientStartupException(
                $"Akka remoting cannot listen on {addresses.RemotingHostname}:{addresses.RemotingPort} (ConfigMonitor:Hostname, ConfigMonitor:Port): " +
                "the port is already in use; stop what holds it or choose another ConfigMonitor:Port");
        foreach (var api in addresses.Effective)
        {
            if (ApiEndpoints(api.Address) is not { } endpoints) continue;
            if (endpoints.Any(e => Listened(e.Address, e.Port)))
                throw new TransientStartupException(
                    $"the management API cannot listen on {api.Address} ({api.Setting}): the port is already in use; stop what holds it or choose another port");
        }
    }

    /// <summary>The addresses Kestrel binds for one URL (as its address binder reads them), or null when the port is chosen at bind time.</summary>
    private static IReadOnlyList<IPEndPoint>? ApiEndpoints(string url)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return null; // refused with its reason by the address checks before this one
        }
        if (binding.Port == 0 || binding.IsUnixPipe || binding.IsNamedPipe) return null;
        if (string.Equals(binding.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return [new IPEndPoint(IPAddress.Loopback, binding.Port)]; // Kestrel needs IPv4's loopback; ::1 is optional to it
        if (IPAddress.TryParse(binding.Host.Trim('[', ']'), out var address)) return [new IPEndPoint(address, binding.Port)];
        // '*', '+', '0.0.0.0'-like wildcards and host names: Kestrel listens on every interface.
        return [new IPEndPoint(IPAddress.Any, binding.Port)];
    }

    private static IEnumerable<IPAddress> Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        try
        {
            return Dns.GetHostAddresses(host);
        }
        catch (SocketException)
        {
            return []; // Akka's own bind names the unknown host
        }
    }

    /// <summary>True when binding <paramref name="address"/>:<paramref name="port"/> with SO_REUSEADDR alone is refused as in use.</summary>
    private static bool Listened(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = address.Equals(IPAddress.IPv6Any);
        // The raw option, not SocketOptionName.ReuseAddress: .NET would add SO_REUSEPORT, which lets the bind share a listener's port.
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        else socket.SetRawSocketOption(0xffff /* SOL_SOCKET */, 0x4 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (SocketException)
        {
            return false; // not ours to judge (an address not on this machine, no permission): the real bind says what is wrong
        }
    }
}
