using System.Text;

namespace ConfigMonitor.Actors.Adapters.Http;

/// <summary>One item of a server-sent event stream: a dispatched event or a comment line.</summary>
public abstract record ServerSentItem;

/// <summary>A dispatched event: its type ("message" unless an <c>event:</c> line named one), data lines joined by LF, and the last event id.</summary>
public sealed record ServerSentEvent(string Type, string Data, string? LastEventId) : ServerSentItem;

/// <summary>A comment line (<c>: text</c>), without the colon and one leading space; servers use them for keep-alives and handshakes.</summary>
public sealed record ServerSentComment(string Text) : ServerSentItem;

/// <summary>
/// An incremental parser of <c>text/event-stream</c> as the WHATWG HTML standard defines it (§9.2.6): lines end in CRLF, LF or
/// CR (also split across chunks); a leading BOM is dropped; <c>field: value</c> loses one space after the colon; <c>data</c>
/// lines accumulate, joined by LF; a blank line dispatches the event (none when no data); unknown fields and <c>retry</c> are
/// ignored; an <c>id</c> holding NUL is ignored. A line longer than the bound ends the stream (a server cannot make us buffer
/// without limit).
/// </summary>
public sealed class ServerSentEventParser(int maxLineChars)
{
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _data = new();
    private string _eventType = "";
    private string? _lastEventId;
    private bool _afterCarriageReturn;
    private bool _started;

    /// <summary>Parses <paramref name="chunk"/>, adding the events and comments it completes to <paramref name="items"/>.</summary>
    /// <exception cref="InvalidDataException">A line is longer than the bound.</exception>
    public void Feed(ReadOnlySpan<char> chunk, List<ServerSentItem> items)
    {
        foreach (var c in chunk)
        {
            if (!_started)
            {
                _started = true;
                if (c == '\uFEFF') continue;
            }
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (c == '\n') continue; // the LF of a CRLF
            }
            if (c is '\r' or '\n')
            {
                _afterCarriageReturn = c == '\r';
                ProcessLine(items);
                _line.Clear();
                continue;
            }
            if (_line.Length >= maxLineChars)
                throw new InvalidDataException($"an event-stream line is longer than {maxLineChars} characters");
            _line.Append(c);
        }
    }

    private void ProcessLine(List<ServerSentItem> items)
    {
        if (_line.Length == 0)
        {
            Dispatch(items);
            return;
        }
        var line = _line.ToString();
        if (line[0] == ':')
        {
            items.Add(new ServerSentComment(WithoutLeadingSpace(line[1..])));
            return;
        }
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : WithoutLeadingSpace(line[(colon + 1)..]);
        switch (field)
        {
            case "event":
                _eventType = value;
                break;
            case "data":
                if (_data.Length + value.Length + 1 > maxLineChars)
                    throw new InvalidDataException($"an event's data is longer than {maxLineChars} characters");
                _data.Append(value).Append('\n');
                break;
            case "id":
                if (!value.Contains('\0', StringComparison.Ordinal)) _lastEventId = value;
                break;
        }
    }

    private void Dispatch(List<ServerSentItem> items)
    {
        if (_data.Length == 0)
        {
            _eventType = "";
            return;
        }
        var data = _data.ToString(0, _data.Length - 1); // the last LF goes
        items.Add(new ServerSentEvent(_eventType.Length == 0 ? "message" : _eventType, data, _lastEventId));
        _data.Clear();
        _eventType = "";
    }

    private static string WithoutLeadingSpace(string value) => value.StartsWith(' ') ? value[1..] : value;
}
