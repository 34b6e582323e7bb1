using System.Diagnostics;
using System.Text.Json;

namespace BitSieve.Server.Tests;

/// <summary>
/// The official Qdrant JavaScript client (<c>@qdrant/js-client-rest</c>, pinned by <c>tests/qdrant-js/package-lock.json</c>)
/// runs a complete RAG flow against a real server: <c>tests/qdrant-js/rag-flow.mjs</c> checks every answer against
/// brute force computed in JavaScript. Needs Node.js: the test runs <c>npm ci</c> in <c>tests/qdrant-js</c> itself when
/// the client is not installed there; without Node.js it fails, it does not skip.
/// </summary>
public sealed class QdrantJsClientTests
{
    [Fact]
    public async Task Official_Qdrant_js_client_runs_a_complete_RAG_flow()
    {
        string folder = Path.Combine(RepositoryRoot(), "tests", "qdrant-js");
        await NodePackages.EnsureInstalledAsync(folder, "@qdrant/js-client-rest");

        await using var host = await ServerHost.StartAsync(new ServerOptions { ApiKey = "js-flow-key" });
        var start = new ProcessStartInfo("node", ["rag-flow.mjs"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["BITSIEVE_URL"] = host.BaseAddress.ToString().TrimEnd('/');
        start.Environment["BITSIEVE_API_KEY"] = "js-flow-key";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"Node.js is needed for this test and could not be started ({e.Message}).");
            return;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"rag-flow.mjs did not finish in 3 minutes. stderr:\n{await stderr}");
            }
            string output = await stdout;
            Assert.True(process.ExitCode == 0, $"rag-flow.mjs failed (exit {process.ExitCode}).\nstdout:\n{output}\nstderr:\n{await stderr}");
            using var summary = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            Assert.True(summary.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(2000, summary.RootElement.GetProperty("points").GetInt32());
            Assert.True(summary.RootElement.GetProperty("checks").GetInt32() > 1000);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "BitSieve.sln"))) return directory.FullName;
        throw new InvalidOperationException($"BitSieve.sln not found above {AppContext.BaseDirectory}.");
    }
}
