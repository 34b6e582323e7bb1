using System.Text.Json;
using BitSieve.Cli;
using BitSieve.Cli.Bench;
using BitSieve.Cli.Data;
using static BitSieve.Cli.Tests.CliRun;

namespace BitSieve.Cli.Tests;

public sealed class BenchCommandTests : IDisposable
{
    private const int Dimension = 32;
    private const int BaseRows = 2000;
    private const int QueryRows = 20;

    private readonly TempDirectory _dir = new();
    private readonly string _base;
    private readonly string _queries;

    public BenchCommandTests()
    {
        _base = _dir.File("base.fvecs");
        _queries = _dir.File("query.fvecs");
        VecsFile.WriteFvecs(_base, RandomVectors.Uniform(BaseRows, Dimension, seed: 1), Dimension);
        VecsFile.WriteFvecs(_queries, RandomVectors.Uniform(QueryRows, Dimension, seed: 2), Dimension);
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string[]> BadOptions => new()
    {
        new[] { "--k", "0" },
        new[] { "--k", "-3" },
        new[] { "--k", "ten" },
        new[] { "--threads", "0" },
        new[] { "--quality", "0" },
        new[] { "--quality", "high" },
        new[] { "--quality", "-0.5" },
        new[] { "--bits", "5" },
        new[] { "--bits", "1" },
        new[] { "--metric", "hamming" },
        new[] { "--max-queries", "0" },
        new[] { "--scale-to", "-1" },
        new[] { "--scale-to", "100" },
        new[] { "--no-such-option" },
        new[] { "--truth", "missing.ivecs" },
        new[] { "--ids-out", "/no/such/dir/r.ivecs" },
        new[] { "--index", "hnsw" },
        new[] { "--graph-build-threads", "0" },
        new[] { "--index", "graph", "--filtered" },
        new[] { "--plot", "recall.gif" },
        new[] { "--plot", "/no/such/dir/recall.png" },
        new[] { "--plot", "recall.png", "--filtered" },
    };

    [Theory]
    [InlineData("recall.png")]
    [InlineData("recall.svg")]
    public async Task Plot_draws_every_method_of_the_run_into_a_png_or_svg_of_the_stated_size(string name)
    {
        string path = _dir.File(name);
        var (code, output, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--k", "10", "--json", "--plot", path]);
        Assert.True(code == 0, error);
        Assert.Contains($"plot: {path}", error, StringComparison.Ordinal);
        Assert.True(new FileInfo(path).Length > 1000);
        if (name.EndsWith(".png", StringComparison.Ordinal))
        {
            using var image = SkiaSharp.SKBitmap.Decode(path);
            Assert.NotNull(image);
            Assert.Equal((Plots.BenchPlot.Width, Plots.BenchPlot.Height), (image.Width, image.Height));
        }
        else
        {
            var svg = System.Xml.Linq.XDocument.Load(path).Root!;
            Assert.Equal("svg", svg.Name.LocalName);
            Assert.Equal(Plots.BenchPlot.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), svg.Attribute("width")?.Value);
            Assert.Equal(Plots.BenchPlot.Height.ToString(System.Globalization.CultureInfo.InvariantCulture), svg.Attribute("height")?.Value);
            Assert.Contains("m=64", svg.ToString(), StringComparison.Ordinal);
        }

        // The cascade was measured at each recall target for the plot, and the JSON carries those points.
        using var json = JsonDocument.Parse(output.TrimEnd('\n', '\r').Split('\n')[^1]);
        var sweep = json.RootElement.GetProperty("cascade_sweep").EnumerateArray().ToList();
        Assert.Equal(BenchSettings.CascadeSweep.Select(q => q.ToString(System.Globalization.CultureInfo.InvariantCulture)), sweep.Select(p => p.GetProperty("quality").GetString()));
        Assert.All(sweep, p => Assert.True(p.GetProperty("qps").GetDouble() > 0));
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public Task Bad_values_exit_with_2_and_one_line(string[] extra)
        => AssertUsageError(["bench", "--base", _base, "--queries", _queries, .. extra]);

    [Fact]
    public async Task Missing_required_option_exits_with_2()
    {
        await AssertUsageError(["bench", "--queries", _queries]);
        await AssertUsageError(["bench", "--base", _base]);
    }

    [Fact]
    public async Task Missing_file_exits_with_2_naming_it()
    {
        string error = await AssertUsageError(["bench", "--base", _dir.File("nope.fvecs"), "--queries", _queries]);
        Assert.Contains("nope.fvecs", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dimension_mismatch_exits_with_2()
    {
        string queries = _dir.File("q16.fvecs");
        VecsFile.WriteFvecs(queries, RandomVectors.Uniform(5, 16, seed: 3), 16);
        string error = await AssertUsageError(["bench", "--base", _base, "--queries", queries]);
        Assert.Contains("dimension", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_input_exits_with_2_naming_the_file()
    {
        string broken = _dir.File("broken.fvecs");
        File.WriteAllBytes(broken, File.ReadAllBytes(_queries)[..^3]);
        string error = await AssertUsageError(["bench", "--base", _base, "--queries", broken]);
        Assert.Contains(broken, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truth_with_fewer_than_k_ids_exits_with_2()
    {
        string truth = _dir.File("gt5.ivecs");
        VecsFile.WriteIvecs(truth, new int[QueryRows * 5], 5);
        await AssertUsageError(["bench", "--base", _base, "--queries", _queries, "--truth", truth, "--k", "10"]);
    }

    [Fact]
    public async Task Help_exits_with_0_and_documents_scale_to_and_max_queries()
    {
        var (code, output, _) = await Run(["bench", "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("--max-queries", output, StringComparison.Ordinal);
        Assert.Contains("Random(42)", output, StringComparison.Ordinal);
        Assert.Contains("Box-Muller", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Peak_rss_is_read_from_proc_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(BenchRunner.PeakRssBytes() > 1 << 20);
    }

    [Fact]
    public void Recall_counts_each_truth_id_once_and_divides_by_k()
    {
        int[][] truth = [[1, 2, 3, 4], [5, 6, 7, 8]];
        Assert.Equal(1.0, BenchRunner.Recall([[4, 3, 2, 1], [8, 7, 6, 5]], truth, 4));
        // Query 0: 2 of 4 (the repeated 1 counts once); query 1: 0 of 4.
        Assert.Equal(0.25, BenchRunner.Recall([[1, 1, 9, 2], [1, 2, 3, 4]], truth, 4));
        // Only the first k of each are compared.
        Assert.Equal(0.5, BenchRunner.Recall([[1, 9, 2], [5, 9, 6]], truth, 2));
        // Fewer hits than k.
        Assert.Equal(0.25, BenchRunner.Recall([[1], []], truth, 2));
        Assert.Equal(0, BenchRunner.Recall([], [], 10));
    }

    [Fact]
    public async Task Filter_selectivity_adds_a_row_per_fraction_with_each_path_and_the_plan()
    {
        var (code, output, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--k", "10", "--json", "--index", "graph",
            "--graph-build-threads", "2", "--filter-selectivity", "0.01,0.5,1"]);
        Assert.True(code == 0, error);
        Assert.Contains("filtered search", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output.TrimEnd('\n', '\r').Split('\n')[^1]);
        var rows = json.RootElement.GetProperty("graph").GetProperty("filtered").EnumerateArray().ToList();
        Assert.Equal([0.01, 0.5, 1.0], rows.Select(r => r.GetProperty("selectivity").GetDouble()));
        Assert.Equal(BaseRows, rows[2].GetProperty("allowed").GetInt32());
        Assert.InRange(rows[0].GetProperty("allowed").GetInt32(), 1, BaseRows / 20);
        // One point in 100 is below the one-in-32 rule: scored directly, and exactly.
        Assert.Equal("direct", rows[0].GetProperty("plan").GetString());
        Assert.All(rows, r =>
        {
            Assert.Equal(1.0, r.GetProperty("direct").GetProperty("recall").GetDouble());
            Assert.InRange(r.GetProperty("flat").GetProperty("recall").GetDouble(), 0.9, 1);
            Assert.InRange(r.GetProperty("graph").GetProperty("recall").GetDouble(), 0, 1);
            Assert.True(r.GetProperty("graph").GetProperty("qps").GetDouble() > 0);
            // The planned path is the one the plan names, and its ratio is against the flat row of the same run.
            var planned = r.GetProperty(r.GetProperty("plan").GetString()!);
            Assert.Equal(planned.GetProperty("qps").GetDouble(), r.GetProperty("planned").GetProperty("qps").GetDouble());
            Assert.Equal(planned.GetProperty("recall").GetDouble(), r.GetProperty("planned").GetProperty("recall").GetDouble());
            double ratio = r.GetProperty("planned").GetProperty("qps").GetDouble() / r.GetProperty("flat").GetProperty("qps").GetDouble();
            Assert.Equal(ratio, r.GetProperty("planned_vs_flat").GetDouble(), 0.01);
            Assert.True(r.GetProperty("graph_visited_per_query").GetDouble() >= r.GetProperty("graph_estimates_per_query").GetDouble());
        });
    }

    [Fact]
    public async Task Filter_selectivity_without_the_graph_or_outside_0_1_is_a_usage_error()
    {
        var (code, _, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--filter-selectivity", "0.5"]);
        Assert.NotEqual(0, code);
        Assert.Contains("--index graph", error, StringComparison.Ordinal);
        (code, _, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--index", "graph", "--filter-selectivity", "0.5,1.5"]);
        Assert.NotEqual(0, code);
        Assert.Contains("'1.5'", error, StringComparison.Ordinal);
    }

    // Needs the engine: passes once VectorIndex is implemented.
    [Fact]
    public async Task End_to_end_json_has_the_contract_fields()
    {
        string idsOut = _dir.File("cascade.ivecs");
        var (code, output, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--k", "10", "--json", "--ids-out", idsOut]);
        Assert.True(code == 0, error);

        string last = output.TrimEnd('\n', '\r').Split('\n')[^1];
        using var json = JsonDocument.Parse(last);
        var root = json.RootElement;
        Assert.Equal(BaseRows, root.GetProperty("n").GetInt32());
        Assert.Equal(Dimension, root.GetProperty("dim").GetInt32());
        Assert.Equal(10, root.GetProperty("k").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.Equal(QueryRows, root.GetProperty("queries").GetInt32());
        Assert.True(root.GetProperty("exact").GetProperty("qps").GetDouble() > 0);

        var cascade = root.GetProperty("cascade");
        Assert.Equal("0.995", cascade.GetProperty("quality").GetString());
        Assert.InRange(cascade.GetProperty("recall").GetDouble(), 0, 1);
        Assert.True(cascade.GetProperty("qps").GetDouble() > 0);
        Assert.True(cascade.GetProperty("t2_per_query").GetDouble() >= 0);
        Assert.True(cascade.GetProperty("t3_per_query").GetDouble() >= 0);
        Assert.True(cascade.GetProperty("resident_bytes_per_vector").GetInt64() > 0);
        Assert.True(cascade.GetProperty("peak_rss_bytes").GetInt64() >= 0);

        var fixedRuns = root.GetProperty("fixed").EnumerateArray().ToList();
        Assert.Equal([1, 2, 4, 8, 16, 32, 64], fixedRuns.Select(f => f.GetProperty("oversampling").GetInt32()));
        foreach (var run in fixedRuns)
        {
            Assert.InRange(run.GetProperty("recall").GetDouble(), 0, 1);
            Assert.True(run.GetProperty("qps").GetDouble() > 0);
        }

        var batch = root.GetProperty("batch");
        Assert.True(batch.GetProperty("exact_qps").GetDouble() > 0);
        Assert.True(batch.GetProperty("fixed_qps").GetDouble() > 0);
        Assert.Contains(batch.GetProperty("fixed_oversampling").GetInt32(), new[] { 1, 2, 4, 8, 16, 32, 64 });
        Assert.True(batch.GetProperty("cascade_qps").GetDouble() > 0);
        Assert.True(root.GetProperty("speedup_vs_exact").GetDouble() > 0);

        var ids = VecsFile.ReadIvecs(idsOut);
        Assert.Equal(QueryRows, ids.Rows);
        Assert.Equal(10, ids.Dimension);
        Assert.All(ids.Data, id => Assert.InRange(id, 0, BaseRows - 1));
    }

    [Fact]
    public async Task Index_graph_adds_the_graph_object_with_its_default_and_sweep()
    {
        var (code, output, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--k", "10", "--json", "--index", "graph", "--graph-build-threads", "2"]);
        Assert.True(code == 0, error);
        Assert.Contains("calibration (", error, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(output.TrimEnd('\n', '\r').Split('\n')[^1]);
        var root = json.RootElement;
        Assert.True(root.GetProperty("cascade").GetProperty("qps").GetDouble() > 0);
        var graph = root.GetProperty("graph");
        Assert.True(graph.GetProperty("build_s").GetDouble() > 0);
        // 272 B of columns + a 64-byte node row (32 dimensions: 8 B of code + 16 B of factors, padded to whole words: 24 B) + 33 ints.
        int columns = root.GetProperty("cascade").GetProperty("resident_bytes_per_vector").GetInt32();
        Assert.Equal(columns + 24 + 33 * 4, graph.GetProperty("resident_bytes_per_vector").GetInt32());
        var preset = graph.GetProperty("default");
        var calibration = graph.GetProperty("calibration");
        Assert.Equal(0.995, calibration.GetProperty("floor").GetDouble());
        Assert.Equal(200, calibration.GetProperty("queries").GetInt32());
        // A few hundred points: scanning every code costs less than any traversal, so the calibration chooses flat and
        // the default is the cascade's own row.
        Assert.Equal("flat", preset.GetProperty("path").GetString());
        Assert.Equal(0, preset.GetProperty("ef").GetInt32());
        Assert.True(calibration.GetProperty("graph_cost").GetDouble() >= calibration.GetProperty("flat_cost").GetDouble());
        Assert.Equal(root.GetProperty("cascade").GetProperty("recall").GetDouble(), preset.GetProperty("recall").GetDouble());
        Assert.Equal("0.995", preset.GetProperty("quality").GetString());
        Assert.True(preset.GetProperty("qps").GetDouble() > 0);
        Assert.True(preset.GetProperty("t1_per_query").GetDouble() >= preset.GetProperty("visited_per_query").GetDouble());
        Assert.True(preset.GetProperty("t3_per_query").GetDouble() >= 10);
        var sweep = graph.GetProperty("sweep").EnumerateArray().ToList();
        Assert.Equal(BenchSettings.GraphSweep, sweep.Select(p => p.GetProperty("ef").GetInt32()));
        Assert.All(sweep, p => Assert.InRange(p.GetProperty("recall").GetDouble(), 0, 1));
        Assert.True(sweep[^1].GetProperty("recall").GetDouble() >= sweep[0].GetProperty("recall").GetDouble());
    }

    // Needs the engine: passes once VectorIndex is implemented.
    [Fact]
    public void End_to_end_exact_search_has_recall_1_against_computed_truth()
    {
        var settings = new BenchSettings { BasePath = _base, QueriesPath = _queries, K = 10 };
        var report = BenchRunner.Run(settings, TextWriter.Null);
        Assert.Equal(1.0, report.Exact.Recall);
        Assert.Equal(1.0, report.Batch.ExactRecall);
        Assert.Equal(7, report.Fixed.Count);
        Assert.InRange(report.Cascade.Recall, 0, 1);

        var table = new StringWriter();
        report.WriteTable(table);
        Assert.Contains("exact float32", table.ToString(), StringComparison.Ordinal);
    }

    // Needs the engine: passes once VectorIndex is implemented.
    [Fact]
    public async Task End_to_end_scale_to_grows_the_base_and_ignores_truth()
    {
        string truth = _dir.File("gt.ivecs");
        VecsFile.WriteIvecs(truth, new int[QueryRows * 10], 10);
        var (code, output, error) = await Run(["bench", "--base", _base, "--queries", _queries, "--truth", truth, "--scale-to", "3000", "--max-queries", "5", "--metric", "dot", "--bits", "8", "--json"]);
        Assert.True(code == 0, error);
        Assert.Contains("--truth is ignored", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]);
        Assert.Equal(3000, json.RootElement.GetProperty("n").GetInt32());
        Assert.Equal(5, json.RootElement.GetProperty("queries").GetInt32());
    }

    private static async Task<string> AssertUsageError(string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        string[] lines = error.TrimEnd().Split('\n').Where(l => !l.StartsWith("reading ", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        Assert.Contains("error", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        return lines[0];
    }
}
