using System.Text.Json;
using OpenQA.Selenium;

namespace ConfigMonitor.Host.Tests.Browser;

/// <summary>What every page must pass: axe with no serious or critical violation, no horizontal scroll at 390 px, and screenshots.</summary>
public static class PageChecks
{
    private static readonly Lazy<string> AxeScript = new(() =>
    {
        var assembly = typeof(Deque.AxeCore.Commons.AxeResult).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("axe.min.js", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    });

    /// <summary>TestResults/screenshots at the repository's top (the CI artifact), found from the test assembly's folder.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConfigMonitor.Actors.sln"))) dir = dir.Parent;
            var folder = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>Saves a screenshot of the viewport as TestResults/screenshots/{name}.png and returns its path.</summary>
    public static string Screenshot(BrowserNode node, string name)
    {
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        node.Driver.GetScreenshot().SaveAsFile(path);
        Assert.True(new FileInfo(path).Length > 1000, $"the screenshot {path} should hold a picture");
        return path;
    }

    /// <summary>Runs axe-core in the page and fails naming every serious or critical violation and its elements.</summary>
    public static void AssertAccessible(BrowserNode node, string page)
    {
        node.Script(AxeScript.Value);
        var json = (string?)node.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ')) })))))
              .catch(e => done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])));
            """);
        var violations = JsonSerializer.Deserialize<List<AxeViolation>>(json ?? "[]", JsonSerializerOptions.Web)!;
        var bad = violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0,
            $"axe found {bad.Count} serious or critical violation(s) on the {page} page:{Environment.NewLine}" +
            string.Join(Environment.NewLine, bad.Select(v => $"- {v.Id} ({v.Impact}): {v.Help}{Environment.NewLine}    {string.Join(Environment.NewLine + "    ", v.Nodes)}")));
    }

    /// <summary>The page fits the phone's width: document.documentElement.scrollWidth is at most 390.</summary>
    public static void AssertNoHorizontalScroll(BrowserNode node, string page)
    {
        var width = Convert.ToInt64(node.Script("return document.documentElement.scrollWidth"), System.Globalization.CultureInfo.InvariantCulture);
        var widest = node.Script("""
            const vw = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 0.5)
              .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right)).join('; ');
            """);
        Assert.True(width <= BrowserNode.Phone.Width, $"the {page} page is {width} px wide at {BrowserNode.Phone.Width} px (horizontal scroll); too wide: {widest}");
    }

    /// <summary>Desktop and phone: screenshot each, axe each, and no horizontal scroll at phone width. Leaves the viewport at desktop.</summary>
    public static void CheckPage(BrowserNode node, string page, Action waitUntilDrawn)
    {
        try
        {
            node.Viewport(BrowserNode.Desktop);
            waitUntilDrawn();
            Screenshot(node, $"{page}-desktop");
            AssertAccessible(node, page);
            node.Viewport(BrowserNode.Phone);
            waitUntilDrawn();
            Screenshot(node, $"{page}-phone");
            AssertNoHorizontalScroll(node, page);
            AssertAccessible(node, page + " (phone)");
        }
        finally
        {
            node.Viewport(BrowserNode.Desktop);
        }
    }

    private sealed record AxeViolation(string Id, string? Impact, string Help, List<string> Nodes);

    /// <summary>The text of the element, or "" when it is gone (a page redraws while it is read).</summary>
    public static string TextOf(this ISearchContext context, By by)
    {
        try
        {
            return context.FindElement(by).Text;
        }
        catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException)
        {
            return "";
        }
    }
}
