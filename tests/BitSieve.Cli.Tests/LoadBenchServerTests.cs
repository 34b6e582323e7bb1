using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BitSieve.Cli;
using BitSieve.LoadBench.Server;
using BitSieve.Cli.Data;
using Xunit.Abstractions;

namespace BitSieve.Cli.Tests;

/// <summary><c>BitSieve.LoadBench server</c>: a tiny run against a real server process, the answer check, the memory verdict.</summary>
public sealed class LoadBenchServerTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 32;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_tiny_run_answers_every_request_correctly_and_kills_the_server()
    {
        // 1,500 base rows grown to 2,000 points: the ScaledBase path is taken too.
        string basePath = _dir.File("base.fvecs"), queriesPath = _dir.File("query.fvecs"), db = _dir.File("db");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(1500, Dimension, seed: 1), Dimension);
        VecsFile.WriteFvecs(queriesPath, RandomVectors.Uniform(50, Dimension, seed: 2), Dimension);
        var settings = new ServerLoadSettings
        {
            BasePath = basePath,
            QueriesPath = queriesPath,
            Points = 2000,
            Concurrency = [1, 4],
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromSeconds(0.5),
            Soak = TimeSpan.FromSeconds(3),
            SoakConcurrency = 2,
            SampleInterval = TimeSpan.FromSeconds(0.5),
            Db = db,
        };
        using var log = new StringWriter();
        var report = await ServerLoadRunner.RunAsync(settings, log);
        report.WriteTable(log);
        output.WriteLine(log.ToString());

        Assert.Equal(0, report.Errors);
        Assert.Empty(report.FirstErrors);
        Assert.True(report.ServerAlive);
        Assert.Equal(new[] { 1, 4 }, report.Levels.Select(l => l.Concurrency));
        Assert.NotNull(report.Soak);
        foreach (var run in report.Levels.Append(report.Soak))
        {
            Assert.True(run.Requests > 0, $"concurrency {run.Concurrency}: no request completed");
            Assert.Equal(0, run.Errors);
            Assert.Equal(run.Requests, run.Validated); // every answer was parsed and checked
            Assert.True(run.Qps > 0);
            Assert.True(run.P50Ms > 0 && run.P50Ms <= run.P99Ms && run.P99Ms <= run.MaxMs, $"p50 {run.P50Ms}, p99 {run.P99Ms}, max {run.MaxMs}");
        }

        // Samples at 0, 0.5, …, 3 s, with the request count rising and the server's memory read from /proc.
        Assert.InRange(report.Samples.Count, 6, 7);
        Assert.Equal(0, report.Samples[0].Requests);
        for (int i = 1; i < report.Samples.Count; i++) Assert.True(report.Samples[i].Requests >= report.Samples[i - 1].Requests);
        Assert.True(report.Samples[^1].Requests > 0);
        if (OperatingSystem.IsLinux()) Assert.All(report.Samples, s => Assert.True(s.Memory.Rss > 0 && s.Memory.RssAnon > 0));
        Assert.NotNull(report.Growth);
        Assert.False(report.Growth.Judged); // 3 s is too short to call memory stable
        Assert.True(report.Passed);

        // The server process is gone, and the database it served holds the points.
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(report.ServerProcessId).Dispose());
        using (var database = Database.Open(db))
            Assert.Equal(2000, database.GetCollection(ServerLoadRunner.CollectionName).Info().Count);

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(0, json.RootElement.GetProperty("errors").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("levels").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task A_tiny_run_of_both_protocols_measures_rest_and_grpc_side_by_side()
    {
        string basePath = _dir.File("base.fvecs"), queriesPath = _dir.File("query.fvecs");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(1000, Dimension, seed: 4), Dimension);
        VecsFile.WriteFvecs(queriesPath, RandomVectors.Uniform(30, Dimension, seed: 5), Dimension);
        var settings = new ServerLoadSettings
        {
            BasePath = basePath,
            QueriesPath = queriesPath,
            Points = 1000,
            Concurrency = [1, 4],
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromSeconds(0.3),
            Soak = TimeSpan.Zero,
            Protocol = ServerProtocol.Both,
        };
        using var log = new StringWriter();
        var report = await ServerLoadRunner.RunAsync(settings, log);
        report.WriteTable(log);
        output.WriteLine(log.ToString());

        Assert.Equal(0, report.Errors);
        Assert.Equal(new[] { "1 rest", "1 grpc", "4 rest", "4 grpc" }, report.Levels.Select(l => $"{l.Concurrency} {l.Protocol}"));
        foreach (var run in report.Levels)
        {
            Assert.True(run.Requests > 0, $"{run.Protocol} at {run.Concurrency}: no request completed");
            Assert.Equal(run.Requests, run.Validated); // every gRPC answer was checked as REST's are
        }
        Assert.Contains("| 4 grpc |", log.ToString(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("grpc", json.RootElement.GetProperty("levels")[1].GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task A_tiny_update_run_replaces_and_deletes_points_and_the_server_compacts_them_away()
    {
        string basePath = _dir.File("base.fvecs"), queriesPath = _dir.File("query.fvecs"), db = _dir.File("db");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(1500, Dimension, seed: 1), Dimension);
        VecsFile.WriteFvecs(queriesPath, RandomVectors.Uniform(50, Dimension, seed: 2), Dimension);
        var settings = new ServerLoadSettings
        {
            BasePath = basePath,
            QueriesPath = queriesPath,
            Points = 2000,
            Warmup = TimeSpan.FromSeconds(0.5),
            Soak = TimeSpan.FromSeconds(4),
            SoakConcurrency = 2,
            SampleInterval = TimeSpan.FromSeconds(1),
            Workload = ServerWorkload.Updates,
            UpdateRate = 2000,
            Db = db,
        };
        using var log = new StringWriter();
        var report = await UpdateLoadRunner.RunAsync(settings, log);
        report.WriteTable(log);
        output.WriteLine(log.ToString());

        Assert.Equal(0, report.Errors);
        Assert.Equal(0, report.UpdateErrors);
        Assert.True(report.ServerAlive);
        Assert.True(report.PointsWritten >= 100 && report.PointsDeleted >= 10, $"{report.PointsWritten} written, {report.PointsDeleted} deleted");
        Assert.Equal(report.Searches.Requests, report.SearchesDuring + report.SearchesOutside);
        Assert.InRange(report.Samples.Count, 3, 5);
        if (OperatingSystem.IsLinux()) Assert.All(report.Samples, s => Assert.True(s.Memory.Rss > 0 && s.Files.Originals > 0 && s.Files.PointsDb > 0));

        // The server was killed: its log replays. Every id is live but those deleted last. Without background compaction
        // there would be a tombstone per point written or deleted; with it, once 1,000 are reached they are reclaimed
        // (on a machine so loaded that fewer than ~1,400 points were written, this holds without a compaction).
        using var database = Database.Open(db);
        var info = database.GetCollection(ServerLoadRunner.CollectionName).Info();
        Assert.InRange(info.Count, 2000 - settings.UpdateBatch / 10, 2000);
        Assert.True(info.Tombstones < Math.Max(1500, report.PointsWritten / 2), $"{info.Tombstones} tombstones after {report.PointsWritten} points written");
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("updates", json.RootElement.GetProperty("workload").GetString());
    }

    [Fact]
    public void Update_samples_are_compared_with_the_first_one_after_a_minute()
    {
        static UpdateSample Sample(double t, long rss, long files) => new(t, 0, 0, 0, new ProcessMemory(rss, rss, 0, 0), new CollectionFiles(files, 0, 0, 0));
        UpdateLoadReport Report(double seconds, params UpdateSample[] samples) => new()
        {
            Points = 1, Dimension = 1, Seconds = seconds, Searches = new LoadResult(1, 0, 0, 0, 1, 0, 0, 0), SearchP99DuringMs = 0, SearchesDuring = 0,
            SearchP99OutsideMs = 0, SearchesOutside = 0, Compactions = 0, CompactingSeconds = 0, PointsWritten = 0, PointsDeleted = 0, UpdateErrors = 0,
            Samples = samples, Errors = 0, FirstErrors = [], ServerAlive = true, LoadAverageBefore = "", LoadAverageAfter = "",
        };

        // The first minute (warm-up, the log filling) is not the baseline; later samples are judged against t = 60 s.
        var report = Report(180, Sample(0, 10, 10), Sample(30, 50, 50), Sample(60, 100, 100), Sample(120, 140, 120), Sample(180, 120, 150));
        Assert.Equal(60, report.Baseline!.Seconds);
        Assert.Equal(1.4, report.MaxRssRatio, 6);
        Assert.Equal(1.5, report.MaxFilesRatio, 6);
        Assert.True(report.Passed);
        Assert.False(Report(180, Sample(60, 100, 100), Sample(120, 151, 100)).Passed);
        // A shorter run takes its baseline at a third of its length.
        Assert.Equal(50, Report(150, Sample(40, 1, 1), Sample(50, 1, 1), Sample(60, 1, 1)).Baseline!.Seconds);
    }

    public static TheoryData<string[]> BadOptions => new()
    {
        new[] { "--concurrency", "0" },
        new[] { "--concurrency", "1,x" },
        new[] { "--concurrency", "" },
        new[] { "--seconds", "0" },
        new[] { "--seconds", "-1" },
        new[] { "--soak-seconds", "-5" },
        new[] { "--sample-seconds", "0" },
        new[] { "--points", "0" },
        new[] { "--limit", "0" },
        new[] { "--soak-concurrency", "0" },
        new[] { "--workload", "writes" },
        new[] { "--workload", "updates", "--soak-seconds", "0" },
        new[] { "--workload", "updates", "--update-rate", "0" },
        new[] { "--workload", "updates", "--update-batch", "0" },
        new[] { "--protocol", "soap" },
        new[] { "--workload", "updates", "--protocol", "grpc" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task Bad_values_exit_with_2_and_one_line(string[] extra)
    {
        string basePath = _dir.File("base.fvecs");
        VecsFile.WriteFvecs(basePath, RandomVectors.Uniform(20, Dimension, seed: 3), Dimension);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await LoadBench.Program.RunAsync(["server", "--base", basePath, "--queries", basePath, .. extra], stdout, stderr);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("BitSieve.LoadBench server: error:", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Trim().Split('\n'));
    }

    [Fact]
    public void The_answer_check_accepts_a_correct_answer_and_names_what_is_wrong_otherwise()
    {
        static string Answer(string points, string status = "\"ok\"") => $$"""{"result":{"points":[{{points}}]},"status":{{status}},"time":0.001}""";
        static string Hit(long id, double score) => FormattableString.Invariant($$"""{"id":{{id}},"version":0,"score":{{score}},"payload":null,"vector":null}""");
        static string? Check(string json) => QueryResponseCheck.Validate(Encoding.UTF8.GetBytes(json), limit: 3, points: 100);

        Assert.Null(Check(Answer($"{Hit(5, 0.9)},{Hit(7, 0.8)},{Hit(99, 0.8)}")));
        Assert.Contains("2 points, expected 3", Check(Answer($"{Hit(5, 0.9)},{Hit(7, 0.8)}")), StringComparison.Ordinal);
        Assert.Contains("id 100 is not in the collection", Check(Answer($"{Hit(5, 0.9)},{Hit(7, 0.8)},{Hit(100, 0.7)}")), StringComparison.Ordinal);
        Assert.Contains("id 5 twice", Check(Answer($"{Hit(5, 0.9)},{Hit(5, 0.8)},{Hit(6, 0.7)}")), StringComparison.Ordinal);
        Assert.Contains("descending", Check(Answer($"{Hit(5, 0.7)},{Hit(6, 0.8)},{Hit(7, 0.9)}")), StringComparison.Ordinal);
        Assert.Contains("status", Check(Answer($"{Hit(5, 0.9)},{Hit(7, 0.8)},{Hit(9, 0.7)}", """{"error":"boom"}""")), StringComparison.Ordinal);
        Assert.Contains("integer id", Check(Answer("""{"id":"a1b2","score":1},{"id":1,"score":0.5},{"id":2,"score":0.4}""")), StringComparison.Ordinal);
        Assert.Contains("result.points", Check("""{"result":[],"status":"ok"}"""), StringComparison.Ordinal);
        Assert.Contains("not JSON", Check("""{"result":"""), StringComparison.Ordinal);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        long[] sorted = [.. Enumerable.Range(1, 100).Select(i => (long)i)];
        Assert.Equal(50, QueryLoad.Percentile(sorted, 0.50));
        Assert.Equal(99, QueryLoad.Percentile(sorted, 0.99));
        Assert.Equal(100, QueryLoad.Percentile(sorted, 1.0));
        Assert.Equal(7, QueryLoad.Percentile([7], 0.99));
        Assert.Equal(0, QueryLoad.Percentile([], 0.5));
    }

    [Fact]
    public void Memory_is_stable_within_5_percent_judged_from_three_minutes_on()
    {
        const long MiB = 1 << 20;
        static List<MemorySample> Series(Func<double, long> rss, double seconds) =>
            [.. Enumerable.Range(0, (int)(seconds / 10) + 1).Select(i => new MemorySample(i * 10.0, i * 1000L, 0, new ProcessMemory(rss(i * 10.0), rss(i * 10.0), 0, 0)))];

        // A warm-up minute that grows, then flat: stable (the first minute is not the baseline).
        var flat = MemoryGrowth.From(Series(t => t < 60 ? (long)(100 * MiB + t * MiB) : 200 * MiB, 300), TimeSpan.FromSeconds(300));
        Assert.True(flat.Judged);
        Assert.Equal(60, flat.WindowSeconds);
        Assert.Equal(200.0 * MiB, flat.BaselineBytes);
        Assert.Equal(0, flat.GrowthBytes);
        Assert.True(flat.Stable);

        // 200 MiB growing 4 MiB a minute: the last minute's mean is 12 MiB (6 %) above the second minute's.
        var growing = MemoryGrowth.From(Series(t => (long)(200 * MiB + t / 60 * 4 * MiB), 300), TimeSpan.FromSeconds(300));
        Assert.True(growing.Judged);
        Assert.Equal(12.0 * MiB, growing.GrowthBytes, 1.0);
        Assert.Equal(4.0 * MiB, growing.SlopeBytesPerMinute, 1.0);
        Assert.False(growing.Stable);

        var shortRun = MemoryGrowth.From(Series(_ => 200 * MiB, 120), TimeSpan.FromSeconds(120));
        Assert.False(shortRun.Judged);
        Assert.False(shortRun.Stable);
    }
}
