using System.Net;
using System.Net.Sockets;

namespace Warmup.Testing;

/// <summary>Loopback helpers for tests and benchmarks that start real hosts.</summary>
public static class Loopback
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
