using System.Diagnostics;
using System.Text.Json;
using BitSieve.Cli.Data;
using BitSieve.LoadBench.Cluster;
using Xunit.Abstractions;

namespace BitSieve.Cli.Tests;

/// <summary>
/// <c>BitSieve.LoadBench cluster</c>: a tiny run (a single node, then a cluster of one silo with its own redis-server)
/// reports every process's memory and the checked searches of both, and leaves no process behind. Structure only:
/// the numbers themselves are the benchmark's, never asserted here.
/// </summary>
public sealed class LoadBenchClusterTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 32;
    private const int Points = 600;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_tiny_run_measures_a_single_node_and_a_one_silo_cluster_holding_the_same_points()
    {
        // 400 base rows grown to 600 points: the ScaledBase path is taken too.
        string basePath = _dir.File("base.fvecs"), queriesPath = _dir.File("query.fvecs");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(400, Dimension, seed: 7), Dimension);
        VecsFile.WriteFvecs(queriesPath, RandomVectors.Uniform(20, Dimension, seed: 8), Dimension);
        var settings = new ClusterLoadSettings
        {
            BasePath = basePath,
            QueriesPath = queriesPath,
            Points = Points,
            Silos = [1],
            Shards = 3,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromSeconds(0.3),
        };
        using var log = new StringWriter();
        var report = await ClusterLoadRunner.RunAsync(settings, log);
        report.WriteTable(log);
        output.WriteLine(log.ToString());

        Assert.True(report.Passed);
        Assert.Equal(new[] { (0, 1), (1, 1) }, report.Deployments.Select(d => (d.Silos, d.Processes.Count)));
        foreach (var deployment in report.Deployments)
        {
            Assert.True(deployment.Alive);
            Assert.Equal(Points, deployment.Processes.Sum(p => p.Points)); // every point is held once: the exact count matched too
            Assert.True(deployment.Search.Requests > 0, $"{deployment.Name}: no search completed");
            Assert.Equal(0, deployment.Search.Errors);
            Assert.Equal(deployment.Search.Requests, deployment.Search.Validated); // every answer was parsed and checked
            Assert.Empty(deployment.FirstErrors);
            if (OperatingSystem.IsLinux())
                Assert.All(deployment.Processes, p => Assert.True(p.Idle.Rss > 0 && p.Loaded.Rss > 0 && p.Searched.Rss > 0 && p.Searched.RssAnon > 0));
            // Every process (the server, the silo; the redis-server with them) was killed.
            Assert.All(deployment.Processes, p => Assert.Throws<ArgumentException>(() => Process.GetProcessById(p.ProcessId).Dispose()));
        }
        Assert.Contains("| cluster, 1 silo | silo 1 | 600 |", log.ToString(), StringComparison.Ordinal);

        using var json = JsonDocument.Parse(report.ToJson());
        var deployments = json.RootElement.GetProperty("deployments");
        Assert.Equal(2, deployments.GetArrayLength());
        Assert.Equal(3, json.RootElement.GetProperty("shards").GetInt32());
        Assert.Equal(1, deployments[1].GetProperty("silos").GetInt32());
        Assert.Equal(Points, deployments[1].GetProperty("processes")[0].GetProperty("points").GetInt64());
        Assert.Equal(1.0, deployments[0].GetProperty("qps_ratio").GetDouble()); // the single node is the baseline of the ratios
        Assert.True(json.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Bad_options_are_usage_errors_that_start_nothing()
    {
        string basePath = _dir.File("base.fvecs");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(10, Dimension, seed: 1), Dimension);
        foreach (var (args, message) in new[]
        {
            (new[] { "--queries", basePath, "--silos", "1,0" }, "--silos takes counts in 1..16"),
            (["--queries", basePath, "--silos", "1,2,3", "--shards", "2"], "--shards must lie in 3..1024"),
            (["--queries", _dir.File("missing.fvecs")], "not found"),
        })
        {
            using var error = new StringWriter();
            Assert.Equal(ExitCodes.Usage, await LoadBench.Program.RunAsync(["cluster", "--base", basePath, .. args], new StringWriter(), error));
            Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        }
    }
}
