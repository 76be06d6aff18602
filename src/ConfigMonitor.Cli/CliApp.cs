using System.CommandLine;
using System.Text;

namespace ConfigMonitor.Cli;

/// <summary>What a run of configmon reads and writes: tests pass their own, Program passes the console.</summary>
public sealed record CliEnvironment(TextReader In, TextWriter Out, TextWriter Error, HttpClient Http, Func<string, string?> Variable, bool IsTerminal)
{
    /// <summary>The name recorded as "by" on acknowledgements and silences.</summary>
    public string User => Variable("CONFIGMON_USER") ?? Variable("USER") ?? Environment.UserName;

    /// <summary>The process console, a 15 s HTTP timeout and the process environment.</summary>
    public static CliEnvironment FromConsole() => new(Console.In, Console.Out, Console.Error,
        new HttpClient { Timeout = TimeSpan.FromSeconds(15) }, Environment.GetEnvironmentVariable,
        !Console.IsInputRedirected && !Console.IsOutputRedirected);
}

/// <summary>configmon's entry point: one command from the arguments, or an interactive prompt when there is none.</summary>
public static class CliApp
{
    /// <summary>Runs <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken ct = default)
    {
        var commands = new Commands(env);
        var root = commands.Build((parse, token) => InteractiveAsync(args, commands, env, token));
        return await InvokeAsync(root, args, env, ct);
    }

    private static Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, CliEnvironment env, CancellationToken ct) =>
        root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error }, ct);

    /// <summary>
    /// The prompt, like pbm's: <c>[127.0.0.1:9110] configmon&gt; cluster show</c>. Each line runs as a command with the
    /// start-up options (--node, --token, --json); <c>history</c> lists earlier lines, <c>!n</c> runs line n again, up/down
    /// arrows recall them on a terminal; <c>exit</c>, <c>quit</c> or end of input leave.
    /// </summary>
    private static async Task<int> InteractiveAsync(string[] startArgs, Commands commands, CliEnvironment env, CancellationToken ct)
    {
        var node = "127.0.0.1:9110";
        for (var i = 0; i < startArgs.Length - 1; i++)
            if (startArgs[i] is "--node" or "-n") node = startArgs[i + 1];
        var history = new List<string>();
        var prompt = $"[{node}] configmon> ";
        await env.Out.WriteLineAsync($"configmon: connected to {node} (type 'help' for commands, 'exit' to leave)");
        while (!ct.IsCancellationRequested)
        {
            await env.Out.WriteAsync(prompt);
            var line = env.IsTerminal ? LineEditor.ReadLine(history) : await env.In.ReadLineAsync(ct);
            if (line is null)
            {
                await env.Out.WriteLineAsync();
                break;
            }
            line = line.Trim();
            if (line.Length == 0) continue;
            if (!env.IsTerminal) await env.Out.WriteLineAsync(line); // echo piped input so a transcript reads like a session
            if (line is "exit" or "quit") break;
            if (line == "history")
            {
                for (var i = 0; i < history.Count; i++) await env.Out.WriteLineAsync($"{i + 1,4}  {history[i]}");
                continue;
            }
            if (line.StartsWith('!') && int.TryParse(line[1..], out var number))
            {
                if (number < 1 || number > history.Count)
                {
                    await env.Error.WriteLineAsync($"configmon: no history entry {number}");
                    continue;
                }
                line = history[number - 1];
                await env.Out.WriteLineAsync(line);
            }
            history.Add(line);
            var tokens = Tokenize(line);
            if (tokens[0] == "help") tokens = ["--help"];
            var root = commands.Build((_, _) =>
            {
                env.Out.WriteLine("type a command, e.g. 'cluster show'; 'help' lists them");
                return Task.FromResult(ExitCodes.Ok);
            });
            await InvokeAsync(root, [.. startArgs, .. tokens], env, ct);
        }
        return ExitCodes.Ok;
    }

    /// <summary>Splits a line into arguments; double or single quotes group words.</summary>
    public static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inToken = false;
        foreach (var c in line)
        {
            if (quote is not null)
            {
                if (c == quote) quote = null;
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}

/// <summary>A small line editor for a real terminal: editing keys and up/down through the session's history.</summary>
internal static class LineEditor
{
    public static string? ReadLine(IReadOnlyList<string> history)
    {
        var buffer = new StringBuilder();
        var position = 0;
        var index = history.Count;
        var left = Console.CursorLeft;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    return null;
                case ConsoleKey.Backspace when position > 0:
                    buffer.Remove(--position, 1);
                    break;
                case ConsoleKey.Delete when position < buffer.Length:
                    buffer.Remove(position, 1);
                    break;
                case ConsoleKey.LeftArrow when position > 0:
                    position--;
                    break;
                case ConsoleKey.RightArrow when position < buffer.Length:
                    position++;
                    break;
                case ConsoleKey.Home:
                    position = 0;
                    break;
                case ConsoleKey.End:
                    position = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when index > 0:
                    Replace(history[--index]);
                    break;
                case ConsoleKey.DownArrow when index < history.Count:
                    index++;
                    Replace(index == history.Count ? "" : history[index]);
                    break;
                default:
                    if (!char.IsControl(key.KeyChar)) buffer.Insert(position++, key.KeyChar);
                    break;
            }
            var previous = Console.CursorLeft;
            Console.CursorLeft = left;
            Console.Write(buffer.ToString().PadRight(Math.Max(buffer.Length, previous - left + 1)));
            Console.CursorLeft = left + position;
        }

        void Replace(string text)
        {
            buffer.Clear().Append(text);
            position = buffer.Length;
        }
    }
}
