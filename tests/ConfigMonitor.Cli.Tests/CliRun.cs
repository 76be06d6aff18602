using System.Text.Json;
using ConfigMonitor.Cli;

namespace ConfigMonitor.Cli.Tests;

/// <summary>What one run of configmon printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>stdout as JSON (for --json runs).</summary>
    public JsonElement Json => JsonDocument.Parse(Out).RootElement.Clone();

    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Out}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>Runs configmon in process through its entry point, with captured output and a controlled environment.</summary>
public static class CliRun
{
    /// <summary>Runs <paramref name="args"/>; <paramref name="stdin"/> feeds the interactive prompt.</summary>
    public static async Task<CliResult> RunAsync(string[] args, string? stdin = null, IDictionary<string, string>? variables = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var env = new CliEnvironment(new StringReader(stdin ?? ""), stdout, stderr, http,
            name => variables is not null && variables.TryGetValue(name, out var value) ? value : name == "USER" ? "cli-tests" : null,
            IsTerminal: false);
        var exit = await CliApp.RunAsync(args, env);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }
}
