using System.ComponentModel;
using System.Diagnostics;

namespace BitSieve.Server.Tests;

/// <summary>
/// Installs a Node.js test folder's packages from its committed lockfile (<c>npm ci</c>) the first time a test needs
/// them, so that a fresh clone's test run needs only Node.js. A lock file beside the lockfile keeps parallel test runs
/// from installing at the same time.
/// </summary>
internal static class NodePackages
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Returns once <paramref name="package"/> (e.g. <c>@qdrant/js-client-rest</c>) and the rest of
    /// <paramref name="folder"/>'s lockfile are installed, running <c>npm ci</c> there if they are not.
    /// </summary>
    /// <exception cref="InvalidOperationException">npm is not on the PATH, or <c>npm ci</c> failed.</exception>
    public static async Task EnsureInstalledAsync(string folder, string package)
    {
        if (IsInstalled(folder, package)) return;
        using var installLock = await AcquireAsync(Path.Combine(folder, ".npm-ci.lock"));
        if (IsInstalled(folder, package)) return; // another test run installed them while this one waited
        await RunNpmCiAsync(folder);
        if (!IsInstalled(folder, package))
            throw new InvalidOperationException($"`npm ci` in {folder} succeeded but {package} is not in its node_modules.");
    }

    /// <summary>npm writes <c>node_modules/.package-lock.json</c> when an install completes, so a broken install is not taken for one.</summary>
    private static bool IsInstalled(string folder, string package) =>
        File.Exists(Path.Combine(folder, "node_modules", ".package-lock.json"))
        && File.Exists(Path.Combine(folder, "node_modules", package, "package.json"));

    /// <summary>An exclusive lock across processes: the file opened with no sharing, retried while another run holds it.</summary>
    private static async Task<FileStream> AcquireAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private static async Task RunNpmCiAsync(string folder)
    {
        var start = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Node.js 20 or later with npm is needed to install the packages of {folder} (`npm ci`), and npm could not be started ({e.Message}).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(InstallTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"`npm ci` in {folder} did not finish in {InstallTimeout.TotalMinutes} minutes.\nstderr:\n{await stderr}");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"`npm ci` in {folder} failed (exit {process.ExitCode}).\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }
    }
}
