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
/// TIME_WAIT but refuses it beside any listener, whatever the listener's options. The API and the demo are asked at the same moment, so a
/// taken API port stops the node before Akka has formed a cluster, with one line instead of the host's stack trace.
/// Two nodes started within the same few milliseconds can both pass; the check is for the node started beside a running one.
/// </para>
/// </summary>
public static class PortsInUse
{
    /// <summary>
    /// Throws <see cref="NodeConfigurationException"/> when two of the node's own settings ask for the same port (restarting
    /// cannot help), and <see cref="TransientStartupException"/> naming the address and its setting when another process
    /// listens on one of them. <paramref name="demoUrl"/> is the demo's listener when the node starts one.
    /// </summary>
    public static void EnsureFree(NodeAddresses addresses, string? demoUrl = null)
    {
        var listeners = new List<Listener>();
        if (addresses.RemotingPort != 0)
            listeners.Add(new Listener($"{Bracketed(addresses.RemotingHostname)}:{addresses.RemotingPort}", "ConfigMonitor:Hostname, ConfigMonitor:Port",
                Resolve(addresses.RemotingHostname).Select(a => new IPEndPoint(a, addresses.RemotingPort)).ToList(), Remoting: true));
        foreach (var api in addresses.Effective)
            if (ApiEndpoints(api.Address) is { } endpoints) listeners.Add(new Listener(api.Address, api.Setting, endpoints, Remoting: false));
        if (demoUrl is not null && ApiEndpoints(demoUrl) is { } demo) listeners.Add(new Listener(demoUrl, DemoSetting, demo, Remoting: false));

        for (var i = 0; i < listeners.Count; i++)
        for (var j = i + 1; j < listeners.Count; j++)
            if (listeners[i].Setting != listeners[j].Setting && listeners[i].Endpoints.Any(a => listeners[j].Endpoints.Any(b => Overlap(a, b))))
                throw new NodeConfigurationException(
                    $"{listeners[i].Address} ({listeners[i].Setting}) and {listeners[j].Address} ({listeners[j].Setting}) ask for the same port " +
                    $"{listeners[i].Endpoints[0].Port}: the node cannot listen twice on one port; give each its own");

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // elsewhere Akka binds exclusively, and the bind itself fails
        foreach (var listener in listeners.Where(l => l.Endpoints.Any(e => Listened(e.Address, e.Port))))
        {
            var where = $"{listener.Address} ({listener.Setting})";
            throw new TransientStartupException(listener.Remoting ? AkkaPortTaken(where)
                : listener.Setting == DemoSetting ? DemoPortTaken(where) : ApiPortTaken(where));
        }
    }

    private const string DemoSetting = "ConfigMonitor:Demo:Url";

    /// <summary>The refusal when Akka remoting's port is taken; <paramref name="where"/> is the address and its settings.</summary>
    public static string AkkaPortTaken(string where) =>
        $"Akka remoting cannot listen on {where}: the port is already in use; stop what holds it or choose another ConfigMonitor:Port";

    /// <summary>The refusal when an API address's port is taken.</summary>
    public static string ApiPortTaken(string where) =>
        $"the management API cannot listen on {where}: the port is already in use; stop what holds it or choose another port";

    /// <summary>The refusal when the demo's port is taken.</summary>
    public static string DemoPortTaken(string where) =>
        $"the demo config service cannot listen on {where}: the port is already in use; stop what holds it or choose another port (0 picks a free one)";

    private sealed record Listener(string Address, string Setting, IReadOnlyList<IPEndPoint> Endpoints, bool Remoting);

    /// <summary>Two endpoints one process cannot both listen on: the same port on the same address, or on a wildcard of its family.</summary>
    private static bool Overlap(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && (a.Address.Equals(b.Address) || IsWildcard(a.Address) || IsWildcard(b.Address));

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static string Bracketed(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;

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
            return [new IPEndPoint(IPAddress.Loopback, binding.Port), new IPEndPoint(IPAddress.IPv6Loopback, binding.Port)]; // Kestrel binds both
        if (IPAddress.TryParse(binding.Host.Trim('[', ']'), out var address)) return [new IPEndPoint(address, binding.Port)];
        // '*', '+', '0.0.0.0'-like wildcards and host names: Kestrel listens on every interface.
        return [new IPEndPoint(IPAddress.Any, binding.Port)];
    }

    private static IEnumerable<IPAddress> Resolve(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) return [literal];
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
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = address.Equals(IPAddress.IPv6Any);
            // The raw option, not SocketOptionName.ReuseAddress: .NET would add SO_REUSEPORT, which lets the bind share a listener's port.
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
            else socket.SetRawSocketOption(0xffff /* SOL_SOCKET */, 0x4 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(address, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (SocketException)
        {
            return false; // not ours to judge (an address not on this machine, no IPv6, no permission): the real bind says what is wrong
        }
    }
}
