using OpenQA.Selenium.Chrome;

namespace ConfigMonitor.Testing.Servers;

/// <summary>
/// Debian's headless Chromium driven through Debian's matching chromedriver (the driver is named, or Selenium Manager would
/// try to download one). The browser specs and the status-page benchmark start it the same way.
/// </summary>
public static class Chromium
{
    public const string BrowserPath = "/usr/bin/chromium";

    public const string DriverPath = "/usr/bin/chromedriver";

    /// <summary>Whether both are installed (.ci/run installs Debian's chromium and chromium-driver).</summary>
    public static bool Installed => File.Exists(BrowserPath) && File.Exists(DriverPath);

    /// <summary>What to install when they are not.</summary>
    public const string Missing =
        $"Debian's chromium ({BrowserPath}) and chromium-driver ({DriverPath}) are needed: apt-get install chromium chromium-driver";

    /// <summary>A headless browser with a window of the given size; its commands time out after a minute.</summary>
    public static ChromeDriver Start(int width, int height)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            $"--window-size={width},{height}");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        return driver;
    }
}
