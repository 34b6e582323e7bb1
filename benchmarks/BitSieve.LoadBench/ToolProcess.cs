using System.Diagnostics;
using System.Reflection;

namespace BitSieve.LoadBench;

/// <summary>
/// Starts a fresh process of a BitSieve program, so that a benchmark measures something (a server, a re-open) apart
/// from its own memory and JIT: <c>bitsieve</c> from the BitSieve.Cli.dll copied beside this tool (the project
/// reference puts it there, with its runtimeconfig and deps files), or this tool itself.
/// </summary>
internal static class ToolProcess
{
    /// <summary>The start info for <c>bitsieve <paramref name="arguments"/></c>.</summary>
    public static ProcessStartInfo Cli(IEnumerable<string> arguments) => StartInfo(typeof(Cli.Program).Assembly, arguments);

    /// <summary>The start info for <c>BitSieve.LoadBench <paramref name="arguments"/></c>.</summary>
    public static ProcessStartInfo Self(IEnumerable<string> arguments) => StartInfo(typeof(ToolProcess).Assembly, arguments);

    /// <summary>
    /// The program's apphost when it lies beside its assembly (BitSieve.Cli, BitSieve.Cli.exe on Windows), else the
    /// <c>dotnet</c> host (this process's, or <c>DOTNET_HOST_PATH</c> under a test host, or the one on the PATH) with
    /// the assembly as its first argument.
    /// </summary>
    private static ProcessStartInfo StartInfo(Assembly program, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string dll = program.Location;
        // Path.ChangeExtension, not GetFileNameWithoutExtension + a suffix: the names hold dots (BitSieve.Cli.dll).
        string appHost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        ProcessStartInfo start;
        if (File.Exists(appHost))
        {
            start = new ProcessStartInfo(appHost);
        }
        else
        {
            string? current = Environment.ProcessPath;
            string currentFile = Path.GetFileName(current ?? string.Empty);
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
