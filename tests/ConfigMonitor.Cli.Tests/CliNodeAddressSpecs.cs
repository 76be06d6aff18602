using System.Net;
using System.Net.Sockets;

namespace ConfigMonitor.Cli.Tests;

/// <summary>Where configmon connects: --node must be host:port, and a server that is not a ConfigMonitor node is called unreachable, not "refused".</summary>
public sealed class CliNodeAddressSpecs
{
    [Theory]
    [InlineData("nonsense")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:port")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("[::1]")]
    public async Task A_node_address_without_a_port_is_refused_before_anything_is_sent(string node)
    {
        var result = await CliRun.RunAsync(["--node", node, "targets", "list"]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"--node '{node}' is not host:port", result.Error);
    }

    [Fact]
    public async Task A_server_that_answers_with_bare_error_pages_is_not_a_node_exit_2()
    {
        // A real HTTP server on loopback that is not ConfigMonitor: every path is a plain 404.
        var port = LoopbackPorts.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                context.Response.StatusCode = 404;
                await using (var writer = new StreamWriter(context.Response.OutputStream)) await writer.WriteAsync("<html>Not Found</html>");
                context.Response.Close();
            }
        });

        var result = await CliRun.RunAsync(["--node", $"127.0.0.1:{port}", "targets", "list"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("without a problem body", result.Error);
        Assert.Contains("is it a ConfigMonitor node", result.Error);
    }

}
