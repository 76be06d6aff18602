using System.Net;
using System.Net.Sockets;

namespace ConfigMonitor.Testing;

/// <summary>Ports for the servers and nodes a test starts on loopback.</summary>
public static class LoopbackPorts
{
    /// <summary>A TCP port on 127.0.0.1 free right now (the caller binds it soon after; the kernel hands out ports in turn).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
