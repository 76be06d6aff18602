using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace ConfigMonitor.Testing;

/// <summary>A real HTTP receiver on loopback that records what it is sent, and can be told to fail with a status.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WebhookReceiver(int? port = null)
    {
        Port = port ?? LoopbackPorts.Free();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    /// <summary>The status to answer with (200 when healthy).</summary>
    public volatile int Status = 200;

    public ConcurrentQueue<JsonNode> Received { get; } = new();

    public int Attempts;

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            Interlocked.Increment(ref Attempts);
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var status = Status;
            if (status == 200) Received.Enqueue(JsonNode.Parse(body)!);
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
