using System.Net.Http.Json;
using System.Text.Json;
using OpenQA.Selenium;

namespace ConfigMonitor.Host.Tests.Browser;

/// <summary>The web UI on a node that requires a token: reads work without it, a change is refused and the page says why, and the token typed once (kept in this tab, sent as a header, never a cookie) makes it work.</summary>
[Trait("Category", "Browser")]
public sealed class WebUiTokenSpecs(TokenBrowserNode node) : IClassFixture<TokenBrowserNode>
{
    [SkippableFact]
    public async Task A_silence_created_without_the_token_should_be_refused_with_the_reason_shown_and_created_once_the_token_is_entered()
    {
        BrowserNode.Require();
        await node.StartAsync();
        node.Open("/#/alerts");
        node.Script("sessionStorage.clear()");
        node.Open("/#/alerts");
        // Reads need no token: the lists are drawn.
        node.Wait().Until(d => d.FindElement(By.CssSelector("#h-silences ~ div")).Text.Length > 0);

        var comment = "browser silence " + Guid.NewGuid().ToString("N")[..8];
        var form = node.Driver.FindElement(By.CssSelector("form[aria-label='Create a silence']"));
        form.FindElement(By.Id("sil-matchers")).SendKeys("target=demo");
        var duration = form.FindElement(By.Id("sil-duration"));
        duration.Clear();
        duration.SendKeys("1h");
        form.FindElement(By.Id("sil-comment")).SendKeys(comment);
        form.FindElement(By.CssSelector("button[type=submit]")).Click();

        node.Wait().Until(d => d.FindElement(By.CssSelector("main > .message")).Text.Contains("Refused (401)", StringComparison.Ordinal));
        var refusal = node.Driver.FindElement(By.CssSelector("main > .message"));
        Assert.Contains("API token", refusal.Text);
        Assert.Equal("alert", refusal.GetAttribute("role"));
        Assert.DoesNotContain(await SilenceCommentsAsync(), c => c == comment);

        // A wrong token: refused, and the page says the token was refused, not that it is in use.
        var tokenInput = node.Driver.FindElement(By.Id("token-input"));
        tokenInput.SendKeys("not-the-token");
        tokenInput.SendKeys(Keys.Enter);
        node.Wait().Until(d => d.FindElement(By.Id("token-state")).Text.Contains("Token in use", StringComparison.Ordinal));
        form.FindElement(By.CssSelector("button[type=submit]")).Click();
        node.Wait().Until(d => d.FindElement(By.CssSelector("main > .message")).Text.Contains("refused the API token this tab sends", StringComparison.Ordinal));
        Assert.Equal("Token refused by the node", node.Driver.FindElement(By.Id("token-state")).Text);
        Assert.DoesNotContain(await SilenceCommentsAsync(), c => c == comment);

        tokenInput = node.Driver.FindElement(By.Id("token-input"));
        tokenInput.SendKeys(TokenBrowserNode.NodeToken);
        tokenInput.SendKeys(Keys.Enter);
        node.Wait().Until(d => d.FindElement(By.Id("token-state")).Text.Contains("Token in use", StringComparison.Ordinal));
        Assert.Equal("", tokenInput.GetAttribute("value"));
        Assert.Empty(node.Driver.Manage().Cookies.AllCookies);
        Assert.Equal(TokenBrowserNode.NodeToken, node.Script("return sessionStorage.getItem('configmonitor.api-token')"));

        form.FindElement(By.CssSelector("button[type=submit]")).Click();
        node.Wait().Until(d => d.FindElement(By.CssSelector("main > .message")).Text.Contains("created.", StringComparison.Ordinal));
        Assert.Contains(await SilenceCommentsAsync(), c => c == comment);
        node.Wait().Until(d => d.FindElement(By.CssSelector("#h-silences ~ div")).Text.Contains(comment, StringComparison.Ordinal));

        // A bad silence is refused with the API's own words.
        var matchers = node.Driver.FindElement(By.Id("sil-matchers"));
        matchers.SendKeys("colour=blue");
        form.FindElement(By.CssSelector("button[type=submit]")).Click();
        node.Wait().Until(d => d.FindElement(By.CssSelector("main > .message")).Text.Contains("Refused (400)", StringComparison.Ordinal));
        Assert.Contains("field 'colour' is not one of target, category, severity, rule, group", node.Driver.FindElement(By.CssSelector("main > .message")).Text);
    }

    private async Task<List<string>> SilenceCommentsAsync()
    {
        using var reader = new HttpClient { BaseAddress = node.BaseAddress };
        return (await reader.GetFromJsonAsync<JsonElement>("/api/silences")).GetProperty("items").EnumerateArray()
            .Select(s => s.GetProperty("comment").GetString()!).ToList();
    }
}
