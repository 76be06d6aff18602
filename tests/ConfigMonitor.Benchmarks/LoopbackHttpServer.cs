using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ConfigMonitor.Benchmarks;

/// <summary>
/// The config services of the http-probe scenario: one process listening on N loopback ports (P … P+N-1), each a service that
/// answers at once, with HTTP/1.1 keep-alive (or <c>Connection: close</c> on every reply when the policy says so).
/// <c>GET /config/{key}</c> answers <c>{"key","value":"shop","found":true}</c>; <c>GET /</c> answers 200. It notes when each
/// request arrived (per port) and how many it served. Run as <c>serve --targets N --port P</c>; it is driven over stdin, one
/// command a line, each answered with one line on stdout: <c>policy close|keep-alive</c>, <c>count</c>,
/// <c>arrivals PATH</c> (writes the arrival times), <c>reset</c>; end of stdin stops it.
/// </summary>
public static class LoopbackHttpServer
{
    private static readonly ConcurrentDictionary<(string Path, bool Close), byte[]> Replies = new();
    private static List<long>[] _arrivals = [];
    private static long _served;
    private static volatile bool _close;

    /// <summary>Serves until stdin ends; returns the exit code (3 when a port cannot be bound or the open-files limit is too low).</summary>
    public static async Task<int> RunAsync(int targets, int port)
    {
        // Each port holds a listening socket and (with keep-alive) one connection: 2 descriptors a target, and some to spare.
        var limit = ProcStats.RaiseOpenFilesLimit();
        var needed = 2L * targets + 256;
        if (limit >= 0 && limit < needed)
        {
            await Console.Error.WriteLineAsync($"serve: {targets} targets need about {needed} open files; the limit is {limit} (raise it with ulimit -n)");
            return 3;
        }
        _arrivals = Enumerable.Range(0, targets).Select(_ => new List<long>(64)).ToArray();
        var listeners = new List<Socket>(targets);
        for (var i = 0; i < targets; i++)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, port + i));
                listener.Listen(512);
            }
            catch (SocketException e)
            {
                listener.Dispose();
                listeners.ForEach(l => l.Dispose());
                await Console.Error.WriteLineAsync($"serve: cannot listen on 127.0.0.1:{port + i} ({e.SocketErrorCode}); choose another --port");
                return 3;
            }
            listeners.Add(listener);
            var index = i;
            _ = Task.Run(() => AcceptAsync(listener, index));
        }
        await Console.Error.WriteLineAsync($"serve: {targets} services on 127.0.0.1:{port}-{port + targets - 1} (open-files limit {limit})");
        Console.Out.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is { } command)
            Console.Out.WriteLine(Control(command.Trim()));
        listeners.ForEach(l => l.Dispose());
        return 0;
    }

    private static string Control(string command)
    {
        var parts = command.Split(' ', 2);
        switch (parts[0])
        {
            case "policy":
                _close = parts.Length > 1 && parts[1] == "close";
                return "ok";
            case "count":
                return Interlocked.Read(ref _served).ToString(CultureInfo.InvariantCulture);
            case "reset":
                foreach (var list in _arrivals) lock (list) list.Clear();
                return "ok";
            case "arrivals" when parts.Length > 1:
                using (var writer = new BinaryWriter(File.Create(parts[1])))
                {
                    writer.Write(_arrivals.Length);
                    foreach (var list in _arrivals)
                    {
                        lock (list)
                        {
                            writer.Write(list.Count);
                            foreach (var t in list) writer.Write(t);
                        }
                    }
                }
                return "ok";
            default:
                return $"error: unknown command '{command}'";
        }
    }

    /// <summary>The arrival times (per service) written by the <c>arrivals</c> command.</summary>
    public static long[][] ReadArrivals(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var result = new long[reader.ReadInt32()][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new long[reader.ReadInt32()];
            for (var j = 0; j < result[i].Length; j++) result[i][j] = reader.ReadInt64();
        }
        return result;
    }

    private static async Task AcceptAsync(Socket listener, int index)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            connection.NoDelay = true;
            _ = ServeAsync(connection, index);
        }
    }

    // One connection: requests one after the other (pipelined ones too), each answered at once.
    private static async Task ServeAsync(Socket connection, int index)
    {
        var buffer = new byte[8192];
        var filled = 0;
        try
        {
            while (true)
            {
                int headEnd;
                while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    if (filled == buffer.Length)
                    {
                        await connection.SendAsync(Reply(431, "{\"error\":\"request head too large\"}", close: true), SocketFlags.None);
                        return;
                    }
                    var read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                    if (read == 0) return;
                    filled += read;
                }
                var arrived = Stopwatch.GetTimestamp();
                var (path, close, bodyLength) = Parse(Encoding.ASCII.GetString(buffer, 0, headEnd));
                close |= _close;
                var list = _arrivals[index];
                lock (list) list.Add(arrived);
                Interlocked.Increment(ref _served);
                // Replies are made once per route (a bounded cache: only a stray client sends many routes).
                var reply = Replies.TryGetValue((path, close), out var known) ? known
                    : Replies.Count < 1024 ? Replies.GetOrAdd((path, close), key => Answer(key.Path, key.Close)) : Answer(path, close);
                await connection.SendAsync(reply, SocketFlags.None);
                if (close)
                {
                    connection.Shutdown(SocketShutdown.Send);
                    return;
                }
                // Drop the request (and any body) from the buffer; a body larger than what was read is read and dropped.
                var consumed = headEnd + 4 + bodyLength;
                while (consumed > filled)
                {
                    consumed -= filled;
                    filled = await connection.ReceiveAsync(buffer, SocketFlags.None);
                    if (filled == 0) return;
                }
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            connection.Dispose();
        }
    }

    private static (string Path, bool Close, int BodyLength) Parse(string head)
    {
        var lines = head.Split("\r\n");
        var request = lines[0].Split(' ');
        var path = request.Length >= 2 ? request[1] : "";
        // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
        var close = request.Length >= 3 && request[2] == "HTTP/1.0";
        var bodyLength = 0;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                close = value.Contains("close", StringComparison.OrdinalIgnoreCase) || (close && !value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase));
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                bodyLength = int.Parse(value, CultureInfo.InvariantCulture);
        }
        return (request.Length >= 1 && request[0] == "GET" ? path : "!" + path, close, bodyLength);
    }

    private static byte[] Answer(string path, bool close)
    {
        const string prefix = "/config/";
        if (path == "/") return Reply(200, "{\"status\":\"ok\"}", close);
        if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
        {
            var key = Uri.UnescapeDataString(path[prefix.Length..].Split('?')[0]);
            return Reply(200, $"{{\"key\":{JsonSerializer.Serialize(key)},\"value\":\"shop\",\"found\":true}}", close);
        }
        return path.StartsWith('!')
            ? Reply(405, "{\"error\":\"only GET is served\"}", close)
            : Reply(404, "{\"error\":\"no such route; GET /config/{key} or GET /\"}", close);
    }

    private static byte[] Reply(int status, string body, bool close)
    {
        var reason = status switch { 200 => "OK", 404 => "Not Found", 405 => "Method Not Allowed", _ => "Request Header Fields Too Large" };
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n" +
                   $"Connection: {(close ? "close" : "keep-alive")}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. bytes];
    }
}
