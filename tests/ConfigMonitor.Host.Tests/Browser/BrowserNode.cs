using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ConfigMonitor.Host.Tests.Browser;

/// <summary>
/// One real node process (the built ConfigMonitor.Host.dll, fast probe intervals, a token when asked) and one headless Debian
/// Chromium driven through Debian's chromedriver, shared by the specs of a class. Started by the first spec that passed the
/// gate (<see cref="Require"/>), so a machine without Chromium skips (or fails under CI) instead of erroring in a constructor.
/// </summary>
public abstract class BrowserNode : IAsyncLifetime
{
    /// <summary>Desktop width of the screenshots and checks.</summary>
    public static readonly (int Width, int Height) Desktop = (1366, 900);

    /// <summary>Phone width: no horizontal scroll at 390 px.</summary>
    public static readonly (int Width, int Height) Phone = (390, 844);

    /// <summary>How long a page may take to show what the node knows (probes every second, alerts after a few).</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _work = TempDirectory.ForNode();
    private readonly SemaphoreSlim _start = new(1, 1);
    private NodeProcess? _node;
    private ChromeDriver? _driver;

    /// <summary>The token the node requires for changes, or null for an open node.</summary>
    public abstract string? Token { get; }

    /// <summary>The node's API and UI address (http://127.0.0.1:port).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The browser (one per class).</summary>
    public ChromeDriver Driver => _driver ?? throw new InvalidOperationException("call StartAsync first");

    /// <summary>An HttpClient on the node's API, with the token when the node has one.</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The browser specs' gate: Debian's chromium and chromedriver must be installed (.ci/run installs them).</summary>
    public static void Require() =>
        RequiredServer.Require(Chromium.Installed, $"the web UI's browser specs: {Chromium.Missing}");

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Starts the node and the browser once; later calls return at once.</summary>
    public async Task StartAsync()
    {
        await _start.WaitAsync();
        try
        {
            if (_driver is not null) return;
            BaseAddress = await StartNodeAsync(_work.Path);
            Api = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            if (Token is not null) Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

            _driver = Chromium.Start(Desktop.Width, Desktop.Height);
        }
        finally
        {
            _start.Release();
        }
    }

    /// <summary>
    /// Starts the node the browser opens and returns its API and UI address: by default a real node process (the built
    /// ConfigMonitor.Host.dll) with its data in <paramref name="workFolder"/>; a class that needs the node's actors (to seed
    /// history, say) starts an in-process node instead.
    /// </summary>
    protected virtual async Task<Uri> StartNodeAsync(string workFolder)
    {
        var args = TestNode.FastSettings(Path.Combine(workFolder, "data")).Select(kv => $"--{kv.Key}={kv.Value}").ToList();
        if (Token is not null) args.Add($"--ConfigMonitor:Api:Token={Token}");
        _node = NodeProcess.Start(workFolder, [.. args]);
        await _node.WaitForOutputAsync("Monitoring 1 target on this node", WaitTimeout);
        var listening = Regex.Match(_node.StandardOutput, @"Now listening on: (http://127\.0\.0\.1:[0-9]+)");
        Assert.True(listening.Success, $"the node should print the address it listens on; stdout:{Environment.NewLine}{_node.StandardOutput}");
        return new Uri(listening.Groups[1].Value);
    }

    /// <summary>Stops what <see cref="StartNodeAsync"/> started that is not a node process (the process is killed on dispose).</summary>
    protected virtual Task StopNodeAsync() => Task.CompletedTask;

    /// <summary>Opens a page of the UI (a path and fragment such as <c>/#/alerts</c>) in a fresh load.</summary>
    public void Open(string pathAndFragment)
    {
        Driver.Navigate().GoToUrl(new Uri(BaseAddress, pathAndFragment));
        Wait().Until(d => ((IJavaScriptExecutor)d).ExecuteScript("return document.readyState") as string == "complete");
    }

    /// <summary>A WebDriverWait of <paramref name="timeout"/> (<see cref="WaitTimeout"/> by default) that ignores elements replaced while read.</summary>
    public WebDriverWait Wait(TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(Driver, timeout ?? WaitTimeout) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        return wait;
    }

    /// <summary>Resizes the viewport (not the window) to the width and height given, as a phone or a desktop shows the page.</summary>
    public void Viewport((int Width, int Height) size) =>
        Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = size.Width, ["height"] = size.Height, ["deviceScaleFactor"] = 1, ["mobile"] = size.Width < 600,
        });

    /// <summary>Runs a script in the page and returns its result.</summary>
    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    /// <summary>The demo service's address (the reference service's HTTP API with its fault injection).</summary>
    public async Task<Uri> DemoUrlAsync() =>
        new((await Api.GetFromJsonAsync<JsonElement>("/api/targets/demo")).GetProperty("definition").GetProperty("endpoint").GetString()!);

    /// <summary>The node's stdout and stderr so far, for a failure message.</summary>
    public string NodeOutput => _node is null ? "(no node)" : $"stdout:{Environment.NewLine}{_node.StandardOutput}{Environment.NewLine}stderr:{Environment.NewLine}{_node.StandardError}";

    public async Task DisposeAsync()
    {
        try
        {
            _driver?.Quit();
        }
        finally
        {
            _driver?.Dispose();
            Api?.Dispose();
            _node?.Dispose();
            try
            {
                await StopNodeAsync();
            }
            finally
            {
                _work.Dispose();
                _start.Dispose();
            }
        }
    }
}

/// <summary>A node without a token (changes open on loopback) and its browser.</summary>
public sealed class OpenBrowserNode : BrowserNode
{
    /// <inheritdoc />
    public override string? Token => null;
}

/// <summary>A node that requires a token for changes, and its browser.</summary>
public sealed class TokenBrowserNode : BrowserNode
{
    /// <summary>The node's token.</summary>
    public const string NodeToken = "browser-spec-token-7f3a";

    /// <inheritdoc />
    public override string? Token => NodeToken;
}
