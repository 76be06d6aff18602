using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ConfigMonitor.Host.Tests;

/// <summary>One real node over real HTTP: removing a failing runtime target resolves its alerts instead of leaving them firing for ever.</summary>
public sealed class TargetRemovalAlertSpecs(ApiNode node) : IClassFixture<ApiNode>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_resolve_the_alerts_of_a_failing_runtime_target_when_it_is_deleted()
    {
        const string id = "removal-failing";
        // No service answers at this endpoint: its loops fail at once, and a critical rule fires.
        var body = new { id, endpoint = "/user/no-such-config-service", probeKey = "app.name", performance = new { interval = "1s" } };
        Assert.Equal(HttpStatusCode.Created, (await node.Operator.PostAsJsonAsync("/api/targets", body)).StatusCode);
        await Eventually.AssertAsync(async () => (await AlertsOf(id)).Any(a => a.GetProperty("state").GetString() == "firing"),
            WaitTimeout, $"the unreachable target {id} should fire an alert");

        Assert.Equal(HttpStatusCode.NoContent, (await node.Operator.DeleteAsync($"/api/targets/{id}")).StatusCode);

        List<JsonElement> after = [];
        await Eventually.AssertAsync(async () =>
        {
            after = await AlertsOf(id);
            return after.Count > 0 && after.All(a => a.GetProperty("state").GetString() == "resolved");
        }, WaitTimeout, $"every alert of the deleted target {id} should be resolved");
        Assert.All(after, a => Assert.Contains($"target '{id}' was removed from the registry", a.GetProperty("message").GetString()));
        Assert.All(after, a => Assert.Equal(JsonValueKind.String, a.GetProperty("resolvedAt").ValueKind));
    }

    private async Task<List<JsonElement>> AlertsOf(string target)
    {
        var alerts = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await node.Anonymous.GetFromJsonAsync<JsonElement>(cursor is null ? "/api/alerts?state=all" : $"/api/alerts?state=all&cursor={cursor}");
            alerts.AddRange(page.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("targetId").GetString() == target));
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        } while (cursor is not null);
        return alerts;
    }
}
