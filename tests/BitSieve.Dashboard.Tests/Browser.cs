using Microsoft.Playwright;

namespace BitSieve.Dashboard.Tests;

/// <summary>
/// Headless chromium from the system (Debian's <c>chromium</c> package), driven by Playwright. Playwright's own
/// browser download is never used: <c>BITSIEVE_CHROMIUM</c> names the executable, else <c>/usr/bin/chromium</c>
/// (or <c>chromium-browser</c>), and a missing one fails the test with the command that installs it.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Instance = browser;
    }

    public IBrowser Instance { get; }

    public static string Executable()
    {
        string[] candidates = Environment.GetEnvironmentVariable("BITSIEVE_CHROMIUM") is { Length: > 0 } named
            ? [named]
            : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"No chromium at {string.Join(" or ", candidates)}: install it (Debian: apt-get install chromium) or set BITSIEVE_CHROMIUM to the executable.");
    }

    public static async Task<Browser> LaunchAsync()
    {
        string executable = Executable();
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        _playwright.Dispose();
    }
}
