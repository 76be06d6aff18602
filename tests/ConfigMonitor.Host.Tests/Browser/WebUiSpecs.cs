using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConfigMonitor.Host.Api;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;

namespace ConfigMonitor.Host.Tests.Browser;

/// <summary>
/// The web UI in a real headless Chromium against a real node process without a token: how it is served, the alerts page
/// (live, and acknowledging by keyboard alone), the cluster page, and every page's accessibility and phone width.
/// </summary>
[Trait("Category", "Browser")]
public sealed class WebUiSpecs(OpenBrowserNode node) : IClassFixture<OpenBrowserNode>
{
    private static readonly TimeSpan Timeout = BrowserNode.WaitTimeout;

    private async Task StartAsync()
    {
        BrowserNode.Require();
        await node.StartAsync();
    }

    [SkippableFact]
    public async Task The_page_and_its_files_should_be_served_with_a_strict_content_security_policy_and_revalidated_by_etag()
    {
        await StartAsync();

        using var page = await node.Api.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        // No inline script and nothing from another origin: every script and style sheet is one of ours under /ui/.
        Assert.DoesNotMatch(@"<script(?![^>]*\ssrc=""/ui/)", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal));
        Assert.DoesNotContain("https://", html);

        using var script = await node.Api.GetAsync("/ui/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        var etag = script.Headers.ETag;
        Assert.NotNull(etag);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var unchanged = await node.Api.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);

        using var missing = await node.Api.GetAsync("/ui/jquery.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("the web UI has no file 'jquery.js'", await missing.Content.ReadAsStringAsync());
        Assert.Equal(["app.css", "app.js", "icon.svg", "index.html"], WebUi.Files.Order().ToArray());
    }

    [SkippableFact]
    public async Task The_alerts_page_should_show_the_demo_alert_firing_without_a_reload_and_acknowledge_it_by_keyboard_alone()
    {
        await StartAsync();
        using var demo = new HttpClient { BaseAddress = await node.DemoUrlAsync() };
        node.Open("/#/alerts");
        node.Wait().Until(d => d.FindElement(By.Id("h-alerts")).Displayed);
        node.Script("window.__notReloaded = true");

        Assert.Equal(HttpStatusCode.OK, (await demo.PostAsJsonAsync("/faults/database", new { available = false })).StatusCode);
        try
        {
            var alert = await Eventually.MatchAsync(async () => (await DemoAlertsAsync("unreachable")).FirstOrDefault(a => a.GetProperty("state").GetString() == "firing"),
                a => a.ValueKind == JsonValueKind.Object, Timeout, "database/unreachable of the demo should fire once its database is down");
            var id = alert.GetProperty("id").GetString()!;

            // The page shows it by polling, without a reload.
            node.Wait().Until(d => d.FindElements(By.CssSelector("table.rows tbody tr"))
                .Any(r => r.Text.Contains(id, StringComparison.Ordinal) && r.Text.Contains("Firing", StringComparison.Ordinal) && r.Text.Contains("database / unreachable", StringComparison.Ordinal)));
            Assert.Equal(true, node.Script("return window.__notReloaded === true"));

            // Keyboard alone: Tab from the top of the page to the alert's Acknowledge button, Enter, type a comment, Enter.
            node.Script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)");
            var reached = false;
            for (var i = 0; i < 120 && !reached; i++)
            {
                new Actions(node.Driver).SendKeys(Keys.Tab).Perform();
                reached = node.Script("return document.activeElement && document.activeElement.getAttribute('data-key')") as string == $"ack-{id}";
            }
            Assert.True(reached, $"Tab should reach the Acknowledge button of {id}");
            new Actions(node.Driver).SendKeys(Keys.Enter).Perform();
            node.Wait().Until(_ => node.Script("return document.activeElement.getAttribute('data-key')") as string == $"comment-{id}");
            const string comment = "looked at it in the browser";
            new Actions(node.Driver).SendKeys(comment).SendKeys(Keys.Enter).Perform();

            // The change is the node's, not the page's: read it back through the API.
            await Eventually.AssertAsync(async () =>
            {
                var shown = await node.Api.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");
                return shown.GetProperty("acknowledged").GetBoolean() && shown.GetProperty("acknowledgeComment").GetString() == comment;
            }, Timeout, $"{id} should be acknowledged with the comment typed in the page");
            node.Wait().Until(d => d.FindElement(By.CssSelector("main > .message")).Text.Contains($"{id} acknowledged.", StringComparison.Ordinal));
            node.Wait().Until(_ => node.Script("return document.activeElement.getAttribute('data-key')") as string == $"ack-{id}"
                && node.Driver.SwitchTo().ActiveElement().Text == "Unacknowledge");
            Assert.Equal(true, node.Script("return window.__notReloaded === true"));
        }
        finally
        {
            await demo.PostAsync("/faults/reset", null);
        }
    }

    [SkippableFact]
    public async Task The_cluster_page_should_show_the_one_node_up_reachable_and_leader_with_its_singletons_and_the_demo()
    {
        await StartAsync();
        var cluster = await node.Api.GetFromJsonAsync<JsonElement>("/api/cluster");
        var self = cluster.GetProperty("self").GetString()!;

        node.Open("/#/cluster");
        node.Wait().Until(d => d.FindElements(By.CssSelector("table.rows")).Count >= 2);
        var members = node.Driver.FindElements(By.CssSelector("table.rows"))[0];
        var row = members.FindElements(By.CssSelector("tbody tr")).Single();
        Assert.Contains(self, row.Text);
        Assert.Contains("(this node)", row.Text);
        Assert.Contains("Up", row.Text);
        Assert.Contains("Reachable", row.Text);
        Assert.Contains("Leader", row.FindElements(By.TagName("td"))[5].Text);
        var singletons = node.Driver.FindElements(By.CssSelector("table.rows"))[1].FindElements(By.CssSelector("tbody tr"));
        Assert.NotEmpty(singletons);
        Assert.All(singletons, s => Assert.Contains(self, s.Text));
        node.Wait().Until(d => d.FindElements(By.CssSelector("table.rows")).Count == 3
            && d.FindElements(By.CssSelector("table.rows"))[2].Text.Contains("demo", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Every_page_should_pass_axe_without_serious_violations_and_fit_a_390_px_phone_without_horizontal_scroll()
    {
        await StartAsync();

        node.Open("/#/alerts");
        PageChecks.CheckPage(node, "alerts", () => node.Wait().Until(d => d.FindElement(By.Id("h-windows")).Displayed
            && d.FindElements(By.CssSelector("main .muted, main table")).Count > 0));

        node.Open("/#/cluster");
        PageChecks.CheckPage(node, "cluster", () => node.Wait().Until(d => d.FindElements(By.CssSelector("table.rows")).Count >= 2));

        // The overview and target pages as this node serves them (their own routes may not have landed: then they say so).
        node.Open("/#/");
        PageChecks.CheckPage(node, "overview", () => node.Wait().Until(d => d.FindElements(By.CssSelector("main table, main .unavailable")).Count > 0));

        node.Open("/#/targets/demo");
        PageChecks.CheckPage(node, "target", () => node.Wait().Until(d => d.FindElements(By.CssSelector("#h-checks ~ div > *")).Count > 0
            && d.FindElements(By.CssSelector("#h-charts ~ div:not(.windows) > *")).Count > 0));
    }

    private async Task<List<JsonElement>> DemoAlertsAsync(string rule) =>
        (await node.Api.GetFromJsonAsync<JsonElement>("/api/alerts?state=all")).GetProperty("items").EnumerateArray()
            .Where(a => a.GetProperty("targetId").GetString() == "demo" && a.GetProperty("rule").GetString() == rule).ToList();
}
