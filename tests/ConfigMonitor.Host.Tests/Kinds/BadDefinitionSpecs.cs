using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigMonitor.Actors.Targets;
using Xunit.Abstractions;

namespace ConfigMonitor.Host.Tests.Kinds;

/// <summary>One node (no demo) for the API's refusals.</summary>
public sealed class BadDefinitionFixture : IAsyncLifetime
{
    public KindNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await KindNode.StartAsync();

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
    }
}

/// <summary>
/// Bad definitions of the new kinds, each by class of mistake, refused with one line naming the target and the field: 400
/// from POST /api/targets, and a node that will not start (InvalidTargetDefinitionException in process; exit 2 as a process).
/// A secret written into a connection string is refused without being echoed anywhere.
/// </summary>
public sealed class BadDefinitionSpecs(BadDefinitionFixture fixture, ITestOutputHelper output) : IClassFixture<BadDefinitionFixture>
{
    private const string Password = "hunter2-e2e-a91f";

    /// <summary>Each case: the target's settings as configuration keys under the target, and the field its one problem must name.</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        { "unknown-kind", "Adapter=http|Endpoint=http://127.0.0.1:9|Cache:Kind=memcached|Cache:Endpoint=127.0.0.1:11211", "Cache:Kind" },
        { "facet-without-endpoint", "Adapter=http|Endpoint=http://127.0.0.1:9|Cache:Kind=redis", "Cache:Endpoint" },
        { "bad-url", "Adapter=etcd|Endpoint=etcd//127.0.0.1:2379", "Endpoint" },
        { "sql-without-key", "Adapter=sql|Provider=sqlite|Endpoint=/tmp/none.db|Config:Query=SELECT value FROM system_configurations", "Config:Query" },
        { "unknown-field", "Adapter=http|Endpoint=http://127.0.0.1:9|Cache:Kind=redis|Cache:Endpoint=127.0.0.1:6379|Cache:Colour=red", "Cache:Colour" },
        { "password-in-endpoint", $"Adapter=sql|Provider=postgresql|Endpoint=Host=127.0.0.1;Database=config;Username=monitor;Password={Password}", "Endpoint" },
    };

    private static IEnumerable<(string Key, string Value)> Fields(string fields) =>
        fields.Split('|').Select(f => (f[..f.IndexOf('=')], f[(f.IndexOf('=') + 1)..]));

    // The same settings as a JSON body, sections nested: {"id":…, "cache":{"kind":…}}.
    private static string Json(string id, string fields)
    {
        var body = new JsonObject { ["id"] = id };
        foreach (var (key, value) in Fields(fields))
        {
            var parts = key.Split(':');
            var section = body;
            foreach (var part in parts[..^1])
                section = (JsonObject)(section[part.ToLowerInvariant()] ??= new JsonObject());
            section[char.ToLowerInvariant(parts[^1][0]) + parts[^1][1..]] = value;
        }
        return body.ToJsonString();
    }

    private static void OneClearLine(string id, string field, IReadOnlyList<string> problems, string where)
    {
        var problem = Assert.Single(problems);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains($"target '{id}'", problem);
        Assert.Contains($"'{field}'", problem, StringComparison.OrdinalIgnoreCase);
        Assert.False(problem.Contains(Password, StringComparison.Ordinal), $"{where} echoed the password: {problem}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Should_refuse_a_bad_definition_through_the_api_with_400_and_one_line_naming_target_and_field(string id, string fields, string field)
    {
        var (status, body) = await fixture.Node.PostTargetAsync(Json(id, fields));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var problems = body.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        output.WriteLine($"API {id}: {string.Join(" / ", problems)}");
        OneClearLine(id, field, problems, "the API");
        Assert.False(body.GetRawText().Contains(Password, StringComparison.Ordinal), "the 400 body echoed the password");
        Assert.False(fixture.Node.Log.Text.Contains(Password, StringComparison.Ordinal), "the node's log shows the password");
        using var listed = await fixture.Node.Anonymous.GetAsync("/api/targets");
        Assert.DoesNotContain(id, await listed.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Should_refuse_to_build_a_node_whose_configuration_holds_a_bad_definition_with_one_line(string id, string fields, string field)
    {
        using var data = TempDirectory.ForNode();
        var settings = TestNode.FastSettings(data.Path);
        settings["ConfigMonitor:Demo:Enabled"] = "false";
        foreach (var (key, value) in Fields(fields)) settings[$"ConfigMonitor:Targets:{id}:{key}"] = value;

        var refused = await Assert.ThrowsAsync<InvalidTargetDefinitionException>(() => TestNode.BuildAsync(settings));

        output.WriteLine($"configuration {id}: {string.Join(" / ", refused.Problems)}");
        OneClearLine(id, field, refused.Problems, "the start-up refusal");
        Assert.False(refused.Message.Contains(Password, StringComparison.Ordinal), "the exception's message echoed the password");
    }

    [Fact]
    public async Task Should_exit_2_with_one_line_and_no_password_when_a_configured_connection_string_holds_one()
    {
        using var work = TempDirectory.ForNode();
        using var node = NodeProcess.Start(work.Path, "--ConfigMonitor:Port=0", "--ConfigMonitor:Api:Url=http://127.0.0.1:0", "--ConfigMonitor:Demo:Enabled=false",
            $"--ConfigMonitor:DataDirectory={Path.Combine(work.Path, "data")}",
            "--ConfigMonitor:Targets:orders:Adapter=sql", "--ConfigMonitor:Targets:orders:Provider=postgresql",
            $"--ConfigMonitor:Targets:orders:Endpoint=Host=127.0.0.1;Database=config;Username=monitor;Password={Password}");

        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the node should refuse to start and exit");

        Assert.Equal(ExitCodes.ConfigurationWrong, node.ExitCode);
        // The refusal's heading, then one line per problem: here exactly one.
        Assert.StartsWith("Invalid target definition(s)", node.StandardErrorLines[0]);
        var line = Assert.Single(node.StandardErrorLines.Skip(1));
        output.WriteLine($"exit {node.ExitCode}: {node.StandardError}");
        Assert.Contains("target 'orders'", line);
        Assert.Contains("'Endpoint'", line);
        Assert.DoesNotContain(Password, node.StandardError + node.StandardOutput);
    }
}
