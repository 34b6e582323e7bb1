using System.CommandLine;
using BitSieve.Cli.Bench;

namespace BitSieve.Cli.Commands;

/// <summary>
/// <c>bitsieve bench</c>: recall@k and QPS of exact float32 search, the fixed-oversampling baseline and the dynamic
/// cascade on TexMex files, all measured in one run.
/// </summary>
internal static class BenchCommand
{
    /// <summary>How <c>--scale-to</c> grows the base, for the help text (the code is <see cref="ScaledBase"/>).</summary>
    public const string ScaleToHelp =
        "Grow the base to N vectors and compute the ground truth in the run (queries stay the real ones). " +
        "Row i >= n0 is x' = normalize(x + 0.5*g/sqrt(d)), x = base row (i mod n0), g standard normal. " +
        "Exactly: one new System.Random(42) per run; rows in order i = n0..N-1, each taking the next d normals of one stream; " +
        "Box-Muller per pair u1 = NextDouble(), u2 = NextDouble(): r = sqrt(-2 ln(1-u1)), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2), in that order; " +
        "y_j = x_j + 0.5 g_j/sqrt(d) and y/||y|| in double, stored as float32.";

    /// <summary>Creates the command; it writes to the invocation's output and error writers.</summary>
    public static Command Create()
    {
        var basePath = new Option<string>("--base") { Description = "Base vectors (fvecs); row r becomes point id r.", Required = true, HelpName = "B.fvecs" };
        var queries = new Option<string>("--queries") { Description = "Query vectors (fvecs), same dimension as the base.", Required = true, HelpName = "Q.fvecs" };
        var truth = new Option<string?>("--truth") { Description = "Ground truth (ivecs, base ordinals best first; the first k of each row are used). Computed in the run (exact float32) when absent.", HelpName = "T.ivecs" };
        var k = new Option<int>("--k") { Description = "Results per query.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Threads per search call, the same for every method.", DefaultValueFactory = _ => 1 };
        var scaleTo = new Option<int?>("--scale-to") { Description = ScaleToHelp, HelpName = "N" };
        var quality = new Option<string>("--quality") { Description = "The cascade's quality: a recall target in (0, 1) or 'exact'.", DefaultValueFactory = _ => "0.995", HelpName = "0.995|exact" };
        var bits = new Option<int>("--bits") { Description = "Bits per dimension of the T1 + T2 code: 4 or 8.", DefaultValueFactory = _ => 4, HelpName = "4|8" };
        var metric = new Option<string>("--metric") { Description = "cosine, dot or l2.", DefaultValueFactory = _ => "cosine", HelpName = "cosine|dot|l2" };
        var idsOut = new Option<string?>("--ids-out") { Description = "Write the cascade's top-k ordinals per query (ivecs; a row is shorter when fewer hits).", HelpName = "R.ivecs" };
        var maxQueries = new Option<int?>("--max-queries") { Description = "Use only the first N queries (default: all), to shorten runs on large bases.", HelpName = "N" };
        var filtered = new Option<bool>("--filtered") { Description = "Measure filtered search instead: a durable collection whose point r has payload {\"bucket\": r mod 1000} (integer index), searched with filters that allow 0.1 %, 1 %, 10 % and 50 % of it; QPS and recall against exact filtered search. Prints a table (not JSON)." };
        var index = new Option<string>("--index") { Description = "flat: the rows above; graph: also build a proximity graph (Vamana, R = 32) over the collection at any size and add its rows: the default (the graph at the beam width calibrated for --quality, or the flat cascade when calibration chooses it) and a sweep of widths.", DefaultValueFactory = _ => "flat", HelpName = "flat|graph" };
        var graphBuildThreads = new Option<int>("--graph-build-threads") { Description = "Threads that build the graph (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" };
        var filterSelectivity = new Option<string?>("--filter-selectivity") { Description = "With --index graph: also measure filtered search at these allowed fractions (comma-separated, in (0, 1]): per fraction a seeded random allowed set with its own exact truth, and rows for direct scoring, the flat cascade and the filtered graph traversal, with the planner's choice.", HelpName = "0.001,0.01,0.1,0.5,1" };
        var plot = new Option<string?>("--plot")
        {
            Description = "Also draw recall@k against QPS (log scale) for every method of the run into FILE (.png or .svg): exact, fixed oversampling m = 1..64, the cascade at each recall target (0.9 … 0.999, measured for the plot) and, with --index graph, the graph at each beam width.",
            HelpName = "FILE.png|svg",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line of stdout (the table then goes to stderr)." };

        var command = new Command("bench", "Recall@k and QPS of exact search, the fixed-oversampling baseline (m = 1..64) and the dynamic cascade, single-query and batched, in one run.")
        {
            basePath, queries, truth, k, threads, scaleTo, quality, bits, metric, idsOut, maxQueries, filtered, index, graphBuildThreads, filterSelectivity, json, plot,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            BenchSettings settings;
            try
            {
                settings = new BenchSettings
                {
                    BasePath = parseResult.GetValue(basePath) ?? string.Empty,
                    QueriesPath = parseResult.GetValue(queries) ?? string.Empty,
                    TruthPath = parseResult.GetValue(truth),
                    K = parseResult.GetValue(k),
                    Threads = parseResult.GetValue(threads),
                    ScaleTo = parseResult.GetValue(scaleTo),
                    Quality = BenchSettings.ParseQuality(parseResult.GetValue(quality)),
                    Bits = parseResult.GetValue(bits),
                    Metric = BenchSettings.ParseMetric(parseResult.GetValue(metric)),
                    IdsOut = parseResult.GetValue(idsOut),
                    MaxQueries = parseResult.GetValue(maxQueries),
                    Filtered = parseResult.GetValue(filtered),
                    Graph = BenchSettings.ParseIndex(parseResult.GetValue(index)),
                    GraphBuildThreads = parseResult.GetValue(graphBuildThreads),
                    FilterSelectivities = BenchSettings.ParseSelectivities(parseResult.GetValue(filterSelectivity)),
                    Json = parseResult.GetValue(json),
                    PlotPath = parseResult.GetValue(plot),
                };
            }
            catch (UsageException e)
            {
                return Fail(error, e.Message);
            }

            return await DatabaseArguments.RunAsync("bitsieve bench", error, token => Execute(settings, output, error, token), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs a bench with settings already parsed; returns the exit code. Cancelling stops it between methods (<see cref="OperationCanceledException"/>).</summary>
    public static int Execute(BenchSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (settings.Filtered) return ExecuteFiltered(settings, output, error, cancellationToken);
        BenchReport report;
        try
        {
            report = BenchRunner.Run(settings, error, cancellationToken);
        }
        catch (Exception e) when (e is UsageException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(error, e.Message);
        }

        if (settings.PlotPath is { } plotPath)
        {
            try
            {
                Plots.BenchPlot.Save(report, plotPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"bitsieve bench: error: cannot write the plot {plotPath}: {e.Message}");
                return ExitCodes.Failure;
            }
            error.WriteLine($"plot: {plotPath}");
        }

        if (settings.Json)
        {
            report.WriteTable(error);
            output.WriteLine(report.ToJson());
        }
        else
        {
            report.WriteTable(output);
        }

        output.Flush();
        return ExitCodes.Ok;
    }

    private static int ExecuteFiltered(BenchSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        IReadOnlyList<FilteredResult> results;
        try
        {
            results = FilteredBenchRunner.Run(settings, error, cancellationToken);
        }
        catch (Exception e) when (e is UsageException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(error, e.Message);
        }
        FilteredBenchRunner.WriteTable(results, output);
        output.Flush();
        return ExitCodes.Ok;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"bitsieve bench: error: {message}");
        return ExitCodes.Usage;
    }
}
