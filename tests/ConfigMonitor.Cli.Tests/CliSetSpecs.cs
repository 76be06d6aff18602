namespace ConfigMonitor.Cli.Tests;

/// <summary><c>targets add --set</c>: a field given twice (any case, ':' or '.'), or both as a value and a section, is refused before anything is sent.</summary>
public sealed class CliSetSpecs
{
    [Theory]
    [InlineData("Performance=30s", "Performance:Interval=20s", "is already given a value")]
    [InlineData("Performance:Interval=30s", "Performance=20s", "is already given")]
    [InlineData("Performance:Interval=30s", "performance.interval=20s", "is already given")]
    [InlineData("Endpoint=/user/y", null, "is already given")]
    [InlineData("ID=x", null, "is already given")]
    public async Task A_field_given_twice_is_refused_naming_it(string first, string? second, string expected)
    {
        string[] sets = second is null ? ["--set", first] : ["--set", first, "--set", second];
        // Nothing listens on port 1: the refusal must come before any request.
        var result = await CliRun.RunAsync(["--node", "127.0.0.1:1", "--token", "t", "targets", "add", "x", "--endpoint", "/user/x", .. sets]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("cannot reach", result.Error);
    }
}

/// <summary>Text from a node is shown, not executed by the terminal.</summary>
public sealed class CliPrintableSpecs
{
    [Theory]
    [InlineData("\u001b]0;pwned\u0007\u001b[31mRED\u001b[2J", "\\u001b]0;pwned\\u0007\\u001b[31mRED\\u001b[2J")]
    [InlineData("line\nbreak\ttab\u009b", "line\\u000abreak\\u0009tab\\u009b")]
    [InlineData("plain text, ünïcode ok", "plain text, ünïcode ok")]
    public void Control_characters_from_the_node_are_written_as_visible_escapes(string stored, string shown)
    {
        var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(new { probeKey = stored })).RootElement;
        Assert.Equal(shown, Output.Text(json, "probeKey"));
    }
}
