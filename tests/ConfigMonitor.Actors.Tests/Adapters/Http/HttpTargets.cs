using Akka.Actor;
using ConfigMonitor.Actors.Adapters;
using ConfigMonitor.Actors.Targets;
using Microsoft.Extensions.Configuration;

namespace ConfigMonitor.Actors.Tests.Adapters.Http;

/// <summary>http targets read (and so validated) by the real reader, and their adapters built by the real factory.</summary>
public static class HttpTargets
{
    public static TargetDefinition Read(string endpoint, params (string Field, string Value)[] fields)
    {
        var values = new List<KeyValuePair<string, string?>>
        {
            new("Targets:t1:Adapter", "http"),
            new("Targets:t1:Endpoint", endpoint),
        };
        values.AddRange(fields.Select(f => new KeyValuePair<string, string?>("Targets:t1:" + f.Field, f.Value)));
        var section = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Targets");
        return Assert.Single(TargetDefinitionReader.Read(section));
    }

    public static IConfigServiceAdapter Adapter(ActorSystem system, string endpoint, params (string Field, string Value)[] fields) =>
        FacetAdapters.Create(system, FacetConnections.For(system), Read(endpoint, fields));

    /// <summary>A loopback port nothing listens on (bound, read, released).</summary>
    public static int RefusedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
