namespace BitSieve.Dashboard.Tests;

/// <summary>
/// A browser test: it runs only when <c>BITSIEVE_BROWSER_TESTS=1</c> (<c>.ci/run</c> sets it and installs chromium),
/// so the README's <c>dotnet test BitSieve.sln</c> stays fast and needs no browser; without it the test is skipped
/// and says how to run it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns the browser tests on.</summary>
    public const string Variable = "BITSIEVE_BROWSER_TESTS";

    /// <summary>Skips the test unless <see cref="Variable"/> is 1.</summary>
    public BrowserFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"Browser test: run with {Variable}=1 and chromium installed (.ci/run does both): {Variable}=1 dotnet test tests/BitSieve.Dashboard.Tests -c Release";
        Timeout = 180_000;
    }
}
