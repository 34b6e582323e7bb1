using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BitSieve.Cli.Data;

namespace BitSieve.Cli.Bench;

/// <summary>One selectivity of <c>bitsieve bench --filtered</c>.</summary>
/// <param name="Selectivity">The fraction of points each filter allows.</param>
/// <param name="RepeatedQps">QPS when every query carries the same filter (<c>bucket &lt; w</c>).</param>
/// <param name="RepeatedRecall">Recall@k of those searches against exact filtered search.</param>
/// <param name="DistinctQps">QPS when each search carries a filter of the same selectivity not used before in the run (<c>s ≤ bucket &lt; s + w</c>).</param>
/// <param name="DistinctRecall">Recall@k of those searches against exact filtered search.</param>
internal sealed record FilteredResult(double Selectivity, double RepeatedQps, double RepeatedRecall, double DistinctQps, double DistinctRecall);

/// <summary>
/// <c>bitsieve bench --filtered</c>: a durable collection (in a temporary folder) of the base, grown as
/// <c>--scale-to</c> says, each point with the payload <c>{"bucket": row mod 1000}</c> and an integer payload index on
/// <c>bucket</c>; then filtered searches at selectivities 0.1 %, 1 %, 10 % and 50 %, their QPS (one warm-up pass, then
/// the median of three timed passes) and their recall@k against exact filtered search (<see cref="SearchOptions.Exhaustive"/>),
/// with the same filter for every search, and with a filter never used before for each (no cached keys can serve it).
/// </summary>
internal static class FilteredBenchRunner
{
    /// <summary>Distinct payload values: row r has bucket r mod Buckets.</summary>
    public const int Buckets = 1000;

    /// <summary>Buckets each filter allows: 0.1 %, 1 %, 10 %, 50 % of the points.</summary>
    public static IReadOnlyList<int> Widths { get; } = [1, 10, 100, 500];

    private const int UpsertChunk = 10_000;
    private const int TimedPasses = 3;

    /// <summary>Runs the filtered benchmark; progress goes to <paramref name="log"/>. Cancelling stops it between selectivities (the scratch database is deleted).</summary>
    public static IReadOnlyList<FilteredResult> Run(BenchSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        var queries = VecsFile.ReadFvecs(settings.QueriesPath);
        if (settings.MaxQueries is int maxQueries) queries = queries.Take(maxQueries);
        int dim = queries.Dimension;
        string folder = Path.Combine(Path.GetTempPath(), "bitsieve-bench-filtered-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var database = Database.Open(folder);
            var collection = database.CreateCollection("bench", new CollectionOptions { Dimension = dim, Metric = settings.Metric, Bits = settings.Bits, Index = IndexType.Flat });
            collection.CreatePayloadIndex("bucket", "integer");
            var build = Stopwatch.StartNew();
            Fill(collection, settings, dim, log);
            Log(log, $"built {collection.Count} points with payloads in {build.Elapsed.TotalSeconds:F1} s");

            var results = new List<FilteredResult>();
            var options = new SearchOptions { K = settings.K, Quality = settings.Quality, Threads = settings.Threads };
            var exact = new SearchOptions { K = settings.K, Exhaustive = true, Threads = settings.Threads };
            foreach (int width in Widths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (repeatedQps, repeatedRecall) = Measure(collection, queries.Data, dim, options, exact, (_, _) => Range(0, width));
                // A new filter for every search of the run: the allowed-key cache cannot serve it.
                var (distinctQps, distinctRecall) = Measure(collection, queries.Data, dim, options, exact,
                    (q, pass) => Range((q * 37 + pass * 101) % (Buckets - width + 1), width));
                var result = new FilteredResult((double)width / Buckets, repeatedQps, repeatedRecall, distinctQps, distinctRecall);
                Log(log, $"{result.Selectivity:P1}: same filter {repeatedQps:F1} QPS (recall {repeatedRecall:F4}), a new filter each search {distinctQps:F1} QPS (recall {distinctRecall:F4})");
                results.Add(result);
            }
            return results;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Writes the results as a table.</summary>
    public static void WriteTable(IReadOnlyList<FilteredResult> results, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("| selectivity | same filter QPS | recall | new filter each search QPS | recall |");
        output.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Selectivity * 100:0.#} % | {r.RepeatedQps:F1} | {r.RepeatedRecall:F4} | {r.DistinctQps:F1} | {r.DistinctRecall:F4} |"));
    }

    private static Filter Range(int start, int width) =>
        new(Must: [new FieldCondition(PayloadPath.Parse("bucket"), new NumericRange(Gte: start, Lt: start + width))]);

    private static void Fill(Collection collection, BenchSettings settings, int dim, TextWriter log)
    {
        var baseVectors = VecsFile.ReadFvecs(settings.BasePath);
        if (baseVectors.Dimension != dim)
            throw new UsageException($"dimension mismatch: {settings.BasePath} has dimension {baseVectors.Dimension}, {settings.QueriesPath} has {dim}.");
        int target = Math.Max(baseVectors.Rows, settings.ScaleTo ?? 0);
        var generator = new ScaledBase(baseVectors.Data, baseVectors.Rows, dim);
        var grown = new float[UpsertChunk * dim];
        for (int start = 0; start < target; start += UpsertChunk)
        {
            int count = Math.Min(UpsertChunk, target - start);
            var points = new List<Point>(count);
            for (int r = start; r < start + count; r++)
            {
                ReadOnlyMemory<float> vector;
                if (r < baseVectors.Rows) vector = baseVectors.Data.AsMemory(r * dim, dim);
                else
                {
                    var row = grown.AsMemory((r - start) * dim, dim);
                    generator.Generate(row.Span);
                    vector = row;
                }
                points.Add(new Point(new PointId((ulong)r), vector, new JsonObject { ["bucket"] = r % Buckets }));
            }
            collection.Upsert(points);
            if (start / UpsertChunk % 20 == 19) Log(log, $"  {start + count} / {target}");
        }
    }

    // A warm-up pass, then the median of three timed passes; recall of the timed passes against exact filtered search,
    // computed after them (so that the exact searches leave nothing in the cache for the timed ones). filterOf(q, pass)
    // gives query q's filter in a pass (pass TimedPasses is the warm-up).
    private static (double Qps, double Recall) Measure(Collection collection, float[] queries, int dim, SearchOptions options, SearchOptions exact, Func<int, int, Filter> filterOf)
    {
        int n = queries.Length / dim;
        for (int q = 0; q < n; q++) collection.Search(queries.AsSpan(q * dim, dim), options, filterOf(q, TimedPasses), withPayload: false);
        var found = new int[TimedPasses * n][];
        Span<double> seconds = stackalloc double[TimedPasses];
        for (int pass = 0; pass < TimedPasses; pass++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int q = 0; q < n; q++) found[pass * n + q] = Ids(collection.Search(queries.AsSpan(q * dim, dim), options, filterOf(q, pass), withPayload: false));
            seconds[pass] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        var truth = new int[TimedPasses * n][];
        for (int pass = 0; pass < TimedPasses; pass++)
            for (int q = 0; q < n; q++) truth[pass * n + q] = Ids(collection.Search(queries.AsSpan(q * dim, dim), exact, filterOf(q, pass), withPayload: false));
        seconds.Sort();
        return (n / seconds[TimedPasses / 2], BenchRunner.Recall(found, truth, options.K));
    }

    private static int[] Ids(PointSearchResult result) => [.. result.Hits.Select(h => checked((int)h.Id.Number))];

    private static void Log(TextWriter log, FormattableString message) => log.WriteLine(FormattableString.Invariant(message));
}
