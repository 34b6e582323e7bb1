using System.Diagnostics;

namespace BitSieve.Cli.Bench;

/// <summary>
/// Starts another <c>bitsieve</c> process with the same .NET host and the same BitSieve.Cli.dll as this one, so a
/// benchmark can measure something (a re-open, a server) in a fresh process of its own.
/// </summary>
public static class CliProcess
{
    /// <summary>
    /// The start info for <c>bitsieve <paramref name="arguments"/></c>: the apphost itself when this process runs
    /// through it (<c>dotnet run</c>, an installed tool), else the <c>dotnet</c> host (this process's, or
    /// <c>DOTNET_HOST_PATH</c> under a test host) with BitSieve.Cli.dll as its first argument.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string dll = typeof(CliProcess).Assembly.Location;
        string? current = Environment.ProcessPath;
        // The apphost is named like the assembly: BitSieve.Cli (BitSieve.Cli.exe on Windows); GetFileNameWithoutExtension
        // would take ".Cli" for an extension.
        string currentFile = Path.GetFileName(current ?? string.Empty);
        string appHost = Path.GetFileNameWithoutExtension(dll);
        ProcessStartInfo start;
        if (current is not null && (currentFile.Equals(appHost, StringComparison.OrdinalIgnoreCase) || currentFile.Equals(appHost + ".exe", StringComparison.OrdinalIgnoreCase)))
        {
            start = new ProcessStartInfo(current);
        }
        else
        {
            string host = current is not null && (currentFile.Equals("dotnet", StringComparison.OrdinalIgnoreCase) || currentFile.Equals("dotnet.exe", StringComparison.OrdinalIgnoreCase))
                ? current
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            start = new ProcessStartInfo(host);
            start.ArgumentList.Add(dll);
        }

        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.UseShellExecute = false;
        return start;
    }
}
