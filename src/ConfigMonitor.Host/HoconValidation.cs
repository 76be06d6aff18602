using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Configuration;

namespace ConfigMonitor.Host;

/// <summary>
/// Reads the node's <c>akka.hocon</c> strictly before Akka sees it. Akka's own parser (1.5.x) keeps going after a line it
/// cannot read: a stray word becomes part of the next key and everything after an extra <c>}</c> is dropped, and an open
/// <c>[</c> makes it loop forever. So the file is first read by a strict reader of the HOCON we use (objects, fields with
/// <c>=</c>, <c>:</c> or <c>{</c>, quoted and unquoted values, arrays, substitutions, comments), which fails on the first
/// thing it cannot read and names the line; then the keys our file sets are type-checked.
/// </summary>
public static partial class HoconValidation
{
    /// <summary>The kinds of value our akka.hocon sets, each with the grammar Akka reads it with.</summary>
    public enum ValueKind
    {
        /// <summary>A duration with a unit: 500ms, 20s, 10m, 1h, 2d.</summary>
        Duration,
        /// <summary>A duration, or <c>off</c>.</summary>
        DurationOrOff,
        /// <summary>A byte size: 128000b, 512 KiB, 4 MiB (at least Akka's 32000 bytes for frames).</summary>
        FrameSize,
        /// <summary>on, off, true, false, yes, no.</summary>
        OnOff,
        /// <summary>on, off or a whole number ≥ 0 (log-dead-letters).</summary>
        OnOffOrCount,
        /// <summary>A whole number from 1.</summary>
        PositiveInteger,
        /// <summary>OFF, ERROR, WARNING, INFO, DEBUG.</summary>
        LogLevel,
        /// <summary>keep-majority, static-quorum, keep-oldest, down-all, lease-majority.</summary>
        DowningStrategy,
        /// <summary>ddata or persistence.</summary>
        StateStoreMode,
        /// <summary>A fraction above 0 and at most 1: 0.2.</summary>
        Fraction,
    }

    /// <summary>The keys our akka.hocon sets and how each is checked; a key not listed is checked for syntax only.</summary>
    public static readonly IReadOnlyDictionary<string, ValueKind> KnownKeys = new Dictionary<string, ValueKind>
    {
        ["akka.loglevel"] = ValueKind.LogLevel,
        ["akka.stdout-loglevel"] = ValueKind.LogLevel,
        ["akka.log-dead-letters"] = ValueKind.OnOffOrCount,
        ["akka.log-dead-letters-during-shutdown"] = ValueKind.OnOff,
        ["akka.actor.ask-timeout"] = ValueKind.Duration,
        ["akka.remote.dot-netty.tcp.maximum-frame-size"] = ValueKind.FrameSize,
        ["akka.cluster.failure-detector.heartbeat-interval"] = ValueKind.Duration,
        ["akka.cluster.failure-detector.acceptable-heartbeat-pause"] = ValueKind.Duration,
        ["akka.cluster.down-removal-margin"] = ValueKind.DurationOrOff,
        ["akka.cluster.gossip-interval"] = ValueKind.Duration,
        ["akka.cluster.seed-node-timeout"] = ValueKind.Duration,
        ["akka.cluster.leader-actions-interval"] = ValueKind.Duration,
        ["akka.cluster.split-brain-resolver.active-strategy"] = ValueKind.DowningStrategy,
        ["akka.cluster.split-brain-resolver.stable-after"] = ValueKind.Duration,
        ["akka.cluster.sharding.state-store-mode"] = ValueKind.StateStoreMode,
        ["akka.cluster.sharding.rebalance-interval"] = ValueKind.Duration,
        ["akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit"] = ValueKind.PositiveInteger,
        ["akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit"] = ValueKind.Fraction,
        ["akka.cluster.sharding.passivate-idle-entity-after"] = ValueKind.DurationOrOff,
        ["akka.cluster.sharding.retry-interval"] = ValueKind.Duration,
        ["akka.cluster.sharding.coordinator-failure-backoff"] = ValueKind.Duration,
        ["akka.cluster.sharding.entity-restart-backoff"] = ValueKind.Duration,
        ["akka.cluster.sharding.updating-state-timeout"] = ValueKind.Duration,
        ["akka.cluster.sharding.waiting-for-state-timeout"] = ValueKind.Duration,
        ["akka.cluster.singleton.hand-over-retry-interval"] = ValueKind.Duration,
        ["akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout"] = ValueKind.Duration,
        ["akka.coordinated-shutdown.exit-clr"] = ValueKind.OnOff,
        ["akka.persistence.max-concurrent-recoveries"] = ValueKind.PositiveInteger,
    };

    /// <summary>
    /// Reads <paramref name="path"/> strictly and type-checks the known keys; the Akka configuration on success.
    /// Throws <see cref="NodeConfigurationException"/> (exit 2) naming the file, the line and what is wrong.
    /// </summary>
    public static Config Load(string path)
    {
        if (!File.Exists(path))
            throw new NodeConfigurationException(
                $"{path}: the file is missing; it holds the node's Akka settings (split-brain resolver, frame size, sharding store) " +
                "and ships next to ConfigMonitor.Host.dll: put it back (the build copies it from akka.hocon at the top of the repository)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"{path}: cannot be read ({e.Message})");
        }
        return Parse(text, path);
    }

    /// <summary>The same checks as <see cref="Load"/> over text; <paramref name="fileName"/> names it in messages.</summary>
    public static Config Parse(string text, string fileName)
    {
        var lines = new Reader(text, fileName).ReadDocument();
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is ConfigurationException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new NodeConfigurationException($"{fileName}: Akka cannot read it: {e.Message}");
        }
        foreach (var (key, kind) in KnownKeys)
        {
            if (!config.HasPath(key)) continue;
            var value = config.GetString(key) ?? "";
            var problem = Check(kind, value);
            if (problem is null) continue;
            var where = lines.TryGetValue(key, out var line) ? $"{fileName}:{line}" : fileName;
            throw new NodeConfigurationException($"{where}: '{key}' is '{value}', {problem}");
        }
        return config;
    }

    /// <summary>Null when <paramref name="value"/> is a valid <paramref name="kind"/>, else the problem (following "'key' is 'value', ").</summary>
    public static string? Check(ValueKind kind, string value)
    {
        var v = value.Trim();
        switch (kind)
        {
            case ValueKind.Duration:
                return IsDuration(v) ? null : "which is not a duration (write it with a unit: 500ms, 20s, 10m, 1h, 2d)";
            case ValueKind.DurationOrOff:
                return IsDuration(v) || v.Equals("off", StringComparison.OrdinalIgnoreCase) ? null
                    : "which is neither a duration (500ms, 20s, 10m, 1h, 2d) nor off";
            case ValueKind.FrameSize:
                if (SizeValue(v) is not { } bytes) return "which is not a size (write 128000b, 512 KiB or 4 MiB)";
                return bytes is >= 32_000 and <= int.MaxValue ? null : "which is outside 32000b to 2 GiB (Akka's limits for a frame)";
            case ValueKind.OnOff:
                return IsOnOff(v) ? null : "which is not on or off";
            case ValueKind.OnOffOrCount:
                return IsOnOff(v) || (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _)) ? null
                    : "which is neither on, off nor a whole number";
            case ValueKind.PositiveInteger:
                return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? null
                    : "which is not a whole number from 1";
            case ValueKind.LogLevel:
                return v.ToUpperInvariant() is "OFF" or "ERROR" or "WARNING" or "INFO" or "DEBUG" ? null
                    : "which is not one of OFF, ERROR, WARNING, INFO, DEBUG";
            case ValueKind.DowningStrategy:
                return v is "keep-majority" or "static-quorum" or "keep-oldest" or "down-all" or "lease-majority" ? null
                    : "which is not one of keep-majority, static-quorum, keep-oldest, down-all, lease-majority";
            case ValueKind.StateStoreMode:
                return v is "ddata" or "persistence" ? null : "which is not ddata or persistence";
            case ValueKind.Fraction:
                return double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var f) && f is > 0 and <= 1 ? null
                    : "which is not a fraction above 0 and at most 1 (write 0.2)";
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static bool IsOnOff(string v) => v.ToLowerInvariant() is "on" or "off" or "true" or "false" or "yes" or "no";

    // Akka's units; a unit is required (Akka would read a bare number as milliseconds, our duration grammar refuses it).
    [GeneratedRegex(@"^[0-9]{1,9}(\.[0-9]{1,9})?\s*(ns|nanos?|nanoseconds?|us|micros?|microseconds?|ms|millis?|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?)$")]
    private static partial Regex DurationPattern();

    private static bool IsDuration(string v) => DurationPattern().IsMatch(v);

    [GeneratedRegex(@"^([0-9]{1,12})\s*(b|B|bytes?|kB|KB|k|K|KiB|Ki|kilobytes?|kibibytes?|MB|M|m|MiB|Mi|megabytes?|mebibytes?|GB|G|g|GiB|Gi|gigabytes?|gibibytes?)?$")]
    private static partial Regex SizePattern();

    private static long? SizeValue(string v)
    {
        var match = SizePattern().Match(v);
        if (!match.Success) return null;
        var number = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value;
        long factor = unit switch
        {
            "" or "b" or "B" or "byte" or "bytes" => 1,
            "kB" or "KB" or "kilobyte" or "kilobytes" => 1_000,
            "k" or "K" or "KiB" or "Ki" or "kibibyte" or "kibibytes" => 1_024,
            "MB" or "megabyte" or "megabytes" => 1_000_000,
            "M" or "m" or "MiB" or "Mi" or "mebibyte" or "mebibytes" => 1_048_576,
            "GB" or "gigabyte" or "gigabytes" => 1_000_000_000,
            _ => 1_073_741_824,
        };
        return number > long.MaxValue / factor ? long.MaxValue : number * factor;
    }

    /// <summary>The strict reader: one pass, fails on the first thing it cannot read, records the line of every value's key.</summary>
    private sealed class Reader(string text, string fileName)
    {
        private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";
        private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
        private int _pos;
        private int _line = 1;

        public Dictionary<string, int> ReadDocument()
        {
            if (text.Length > 0 && text[0] == '\uFEFF') _pos = 1;
            SkipBlank(newlines: true);
            if (Peek == '{')
            {
                var open = _line;
                _pos++;
                ReadFields("", closedBy: '}', openedAt: open);
                SkipBlank(newlines: true);
                if (!AtEnd) throw Error($"unexpected {Describe()} after the closing '}}' of the file's object");
            }
            else
            {
                ReadFields("", closedBy: null, openedAt: 0);
            }
            return _lines;
        }

        private bool AtEnd => _pos >= text.Length;
        private char Peek => AtEnd ? '\0' : text[_pos];
        private bool At(string s) => string.CompareOrdinal(text, _pos, s, 0, s.Length) == 0;

        private NodeConfigurationException Error(string what) => new($"{fileName}:{_line}: {what}");

        private string Describe()
        {
            if (AtEnd) return "the end of the file";
            if (Peek == '\n') return "the end of the line";
            var end = _pos;
            while (end < text.Length && end - _pos < 20 && text[end] is not ('\n' or '\r')) end++;
            return $"'{text[_pos..end].TrimEnd()}'";
        }

        private void SkipBlank(bool newlines)
        {
            while (!AtEnd)
            {
                var c = Peek;
                if (c == '\n')
                {
                    if (!newlines) return;
                    _line++;
                    _pos++;
                }
                else if (c is ' ' or '\t' or '\r' or '\uFEFF' || (char.IsWhiteSpace(c) && c != '\n')) _pos++;
                else if (c == '#' || At("//"))
                {
                    while (!AtEnd && Peek != '\n') _pos++;
                }
                else return;
            }
        }

        private void ReadFields(string prefix, char? closedBy, int openedAt)
        {
            while (true)
            {
                SkipBlank(newlines: true);
                if (AtEnd)
                {
                    if (closedBy is not null) throw Error($"the '{{' opened on line {openedAt} is never closed");
                    return;
                }
                if (Peek == '}')
                {
                    if (closedBy is null) throw Error("a '}' without a matching '{'");
                    _pos++;
                    return;
                }
                ReadField(prefix);
                SkipBlank(newlines: false);
                if (Peek == ',') _pos++;
                else if (!AtEnd && Peek != '\n' && Peek != '}')
                    throw Error($"unexpected {Describe()}; each setting goes on its own line (or after a comma)");
            }
        }

        private void ReadField(string prefix)
        {
            var keyLine = _line;
            var key = ReadKey();
            if (key == "include") throw Error("'include' is not supported in this file; put the settings here");
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            SkipBlank(newlines: false);
            if (Peek == '{')
            {
                _pos++;
                ReadFields(path, '}', keyLine);
                return;
            }
            if (Peek is '=' or ':') _pos++;
            else if (At("+=")) _pos += 2;
            else throw Error($"expected '=', ':' or '{{' after the key '{key}', found {Describe()}");
            SkipBlank(newlines: false);
            ReadValue(path, keyLine);
        }

        private string ReadKey()
        {
            var key = new StringBuilder();
            while (true)
            {
                if (Peek == '"')
                {
                    key.Append(ReadQuoted());
                }
                else
                {
                    var start = _pos;
                    while (!AtEnd && !char.IsWhiteSpace(Peek) && Peek != '.' && !Forbidden.Contains(Peek) && !At("//")) _pos++;
                    if (_pos == start) throw Error($"expected a key, found {Describe()}");
                    key.Append(text, start, _pos - start);
                }
                if (Peek != '.') return key.ToString();
                _pos++;
                key.Append('.');
            }
        }

        private void ReadValue(string path, int keyLine)
        {
            if (Peek == '{')
            {
                _pos++;
                ReadFields(path, '}', keyLine);
                return;
            }
            if (Peek == '[')
            {
                ReadArray(path, keyLine);
                _lines[path] = keyLine;
                return;
            }
            var parts = 0;
            while (true)
            {
                SkipSpacesOnly();
                if (AtEnd || Peek is '\n' or ',' or '}' or ']' or '#' || At("//")) break;
                if (At("\"\"\"")) ReadTripleQuoted();
                else if (Peek == '"') ReadQuoted();
                else if (At("${")) ReadSubstitution();
                else
                {
                    var start = _pos;
                    while (!AtEnd && !char.IsWhiteSpace(Peek) && !Forbidden.Contains(Peek) && !At("//")) _pos++;
                    if (_pos == start)
                        throw Error($"unexpected {Describe()} in the value of '{path}' (quote a value that holds {Peek})");
                }
                parts++;
            }
            if (parts == 0) throw Error($"'{path}' has no value");
            _lines[path] = keyLine;
        }

        private void SkipSpacesOnly()
        {
            while (!AtEnd && Peek != '\n' && char.IsWhiteSpace(Peek)) _pos++;
        }

        private void ReadArray(string path, int keyLine)
        {
            var open = _line;
            _pos++;
            while (true)
            {
                SkipBlank(newlines: true);
                if (AtEnd) throw Error($"the '[' of '{path}' opened on line {open} is never closed");
                if (Peek == ']')
                {
                    _pos++;
                    return;
                }
                ReadValue(path + "[]", keyLine);
                SkipBlank(newlines: true);
                if (Peek == ',') _pos++;
                else if (Peek != ']' && !AtEnd) throw Error($"expected ',' or ']' in the list '{path}', found {Describe()}");
            }
        }

        private string ReadQuoted()
        {
            var value = new StringBuilder();
            _pos++;
            while (true)
            {
                if (AtEnd || Peek == '\n') throw Error("a quoted string is not closed on its line");
                var c = text[_pos++];
                if (c == '"') return value.ToString();
                if (c == '\\')
                {
                    if (AtEnd) throw Error("a quoted string is not closed on its line");
                    var escaped = text[_pos++];
                    if (escaped == 'u')
                    {
                        if (_pos + 4 > text.Length || !int.TryParse(text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                            throw Error("a \\u escape needs four hex digits");
                        value.Append((char)code);
                        _pos += 4;
                    }
                    else if ("\"\\/bfnrt".Contains(escaped)) value.Append(escaped);
                    else throw Error($"'\\{escaped}' is not an escape HOCON knows");
                }
                else value.Append(c);
            }
        }

        private void ReadTripleQuoted()
        {
            var open = _line;
            _pos += 3;
            var end = text.IndexOf("\"\"\"", _pos, StringComparison.Ordinal);
            if (end < 0) throw Error($"the \"\"\" opened on line {open} is never closed");
            while (end + 3 < text.Length && text[end + 3] == '"') end++;
            _line += text.AsSpan(_pos, end - _pos).Count('\n');
            _pos = end + 3;
        }

        private void ReadSubstitution()
        {
            _pos += 2;
            if (Peek == '?') _pos++;
            var start = _pos;
            while (!AtEnd && Peek != '}' && Peek != '\n') _pos++;
            if (Peek != '}' || _pos == start) throw Error("a ${…} substitution is not closed on its line");
            _pos++;
        }
    }
}
