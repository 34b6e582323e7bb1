using System.Diagnostics;
using System.Globalization;
using BitSieve.Cli.Data;

namespace BitSieve.Cli.Bench;

/// <summary>
/// Runs one benchmark: builds a collection from the base, then measures recall@k and QPS of exact float32 search,
/// the fixed-oversampling baseline and the dynamic cascade, in the same process and with the same thread count.
/// </summary>
internal static partial class BenchRunner
{
    /// <summary>Rows handed to one <see cref="VectorIndex.UpsertBatch"/> call, bounding temporary memory.</summary>
    public const int InsertChunkRows = 100_000;

    private const int TimedPasses = 3;

    // Warm-up runs whole passes until this much time has gone by: with tiered compilation, a method is recompiled fully
    // optimized (with the profile its first calls gathered) in the background once it has been called 30 times and no
    // new method has been compiled for 100 ms, so a pass that takes 50 ms would still be timing the first tier.
    private static readonly TimeSpan MinimumWarmup = TimeSpan.FromSeconds(1);

    /// <summary>Runs the benchmark; progress and notes go to <paramref name="log"/>. Cancelling stops it between methods.</summary>
    /// <exception cref="UsageException">The inputs do not fit together.</exception>
    /// <exception cref="InvalidDataException">An input file is malformed.</exception>
    public static BenchReport Run(BenchSettings settings, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        int k = settings.K;
        int threads = settings.Threads;

        var total = Stopwatch.StartNew();
        Log(log, $"reading {settings.QueriesPath}");
        var queries = VecsFile.ReadFvecs(settings.QueriesPath);
        if (settings.MaxQueries is int maxQueries) queries = queries.Take(maxQueries);
        int queryCount = queries.Rows;
        int dim = queries.Dimension;

        int[][]? truth = null;
        string truthSource = "computed in the run (exact float32)";
        if (settings.TruthPath is not null)
        {
            if (settings.ScaleTo is not null)
            {
                Log(log, $"note: --truth is ignored with --scale-to; the ground truth of the grown base is computed in the run");
            }
            else
            {
                truth = ReadTruth(settings.TruthPath, queryCount, k);
                truthSource = settings.TruthPath;
            }
        }

        var build = Stopwatch.StartNew();
        using var collection = Build(settings, dim, log);
        double buildSeconds = build.Elapsed.TotalSeconds;
        int n = collection.Count;
        Log(log, $"built {n} × {dim} ({BenchSettings.MetricName(settings.Metric)}, {settings.Bits} bits) in {buildSeconds:F1} s");
        GC.Collect();

        var queryData = queries.Data;
        if (truth is null)
        {
            var sw = Stopwatch.StartNew();
            truth = ToIds(collection.SearchExactBatch(queryData, k, threads));
            Log(log, $"ground truth of {queryCount} queries computed in {sw.Elapsed.TotalSeconds:F1} s");
        }

        var cascadeOptions = new SearchOptions { K = k, Quality = settings.Quality, Threads = threads };
        string cascadeName = $"cascade q={settings.Quality}";

        cancellationToken.ThrowIfCancellationRequested();
        var exactResults = MeasureSingle(log, "exact float32", queryCount, i => collection.SearchExact(queryData.AsSpan(i * dim, dim), k, threads), out double exactQps);
        var exact = Summarize("exact float32", null, exactResults, truth, k, exactQps);

        var fixedResults = new List<MethodResult>(BenchSettings.FixedOversampling.Count);
        foreach (int m in BenchSettings.FixedOversampling)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var options = new SearchOptions { K = k, Oversampling = m, Threads = threads };
            string name = string.Create(CultureInfo.InvariantCulture, $"fixed m={m}");
            var results = MeasureSingle(log, name, queryCount, i => collection.Search(queryData.AsSpan(i * dim, dim), options), out double qps);
            fixedResults.Add(Summarize(name, m, results, truth, k, qps));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var cascadeResults = MeasureSingle(log, cascadeName, queryCount, i => collection.Search(queryData.AsSpan(i * dim, dim), cascadeOptions), out double cascadeQps);
        var cascade = Summarize(cascadeName, null, cascadeResults, truth, k, cascadeQps);

        var cascadeSweep = new List<MethodResult>();
        if (settings.PlotPath is not null)
        {
            foreach (double target in BenchSettings.CascadeSweep)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var options = new SearchOptions { K = k, Quality = Quality.Recall(target), Threads = threads };
                string name = string.Create(CultureInfo.InvariantCulture, $"cascade q={target}");
                var results = MeasureSingle(log, name, queryCount, i => collection.Search(queryData.AsSpan(i * dim, dim), options), out double qps);
                cascadeSweep.Add(Summarize(name, null, results, truth, k, qps) with { Quality = Quality.Recall(target) });
            }
        }

        // The batched baseline runs at the cheapest m that matched the cascade's recall one query at a time.
        int batchM = fixedResults.FirstOrDefault(f => f.Recall >= cascade.Recall)?.Oversampling ?? BenchSettings.FixedOversampling[^1];
        var batchFixedOptions = new SearchOptions { K = k, Oversampling = batchM, Threads = threads };
        cancellationToken.ThrowIfCancellationRequested();
        var batchExact = MeasureBatch(log, "batch exact float32", queryCount, () => collection.SearchExactBatch(queryData, k, threads), out double batchExactQps);
        var batchFixed = MeasureBatch(log, $"batch fixed m={batchM}", queryCount, () => collection.SearchBatch(queryData, batchFixedOptions), out double batchFixedQps);
        var batchCascade = MeasureBatch(log, $"batch {cascadeName}", queryCount, () => collection.SearchBatch(queryData, cascadeOptions), out double batchCascadeQps);
        var batch = new BatchResult(
            batchExactQps, Recall(ToIds(batchExact), truth, k),
            batchFixedQps, Recall(ToIds(batchFixed), truth, k), batchM,
            batchCascadeQps, Recall(ToIds(batchCascade), truth, k));

        var graph = settings.Graph ? MeasureGraph(settings, collection, queryData, truth, cascade, log, cancellationToken) : null;

        if (settings.IdsOut is not null)
        {
            VecsFile.WriteIvecs(settings.IdsOut, ToIds(cascadeResults));
            Log(log, $"wrote the cascade's top-{k} ordinals to {settings.IdsOut}");
        }

        Log(log, $"done in {total.Elapsed.TotalSeconds:F1} s");
        return new BenchReport
        {
            N = n,
            Dim = dim,
            K = k,
            Threads = threads,
            Queries = queryCount,
            Metric = settings.Metric,
            Bits = settings.Bits,
            Quality = settings.Quality,
            TruthSource = truthSource,
            Exact = exact,
            Fixed = fixedResults,
            Cascade = cascade,
            CascadeSweep = cascadeSweep,
            Batch = batch,
            BytesPerVector = collection.BytesPerVector,
            PeakRssBytes = PeakRssBytes(),
            BuildSeconds = buildSeconds,
            Graph = graph,
        };
    }

    /// <summary>
    /// Recall@k: the mean over queries of |returned ids ∩ truth top-k| / k, ids being base row ordinals. Where the
    /// truth row is shorter than k (a base smaller than k), its length is the denominator.
    /// </summary>
    public static double Recall(int[][] returned, int[][] truth, int k)
    {
        ArgumentNullException.ThrowIfNull(returned);
        ArgumentNullException.ThrowIfNull(truth);
        if (returned.Length == 0) return 0;
        var expected = new HashSet<int>();
        double sum = 0;
        for (int q = 0; q < returned.Length; q++)
        {
            var row = truth[q];
            int depth = Math.Min(k, row.Length);
            if (depth == 0)
            {
                sum += 1;
                continue;
            }

            expected.Clear();
            for (int j = 0; j < depth; j++) expected.Add(row[j]);
            int found = 0;
            var ids = returned[q];
            for (int j = 0; j < ids.Length && j < k; j++)
            {
                // Remove, so a repeated id cannot count twice.
                if (expected.Remove(ids[j])) found++;
            }

            sum += (double)found / depth;
        }

        return sum / returned.Length;
    }

    /// <summary>VmHWM of /proc/self/status in bytes; 0 where unavailable.</summary>
    public static long PeakRssBytes()
    {
        try
        {
            const string path = "/proc/self/status";
            if (!File.Exists(path)) return 0;

            // "VmHWM:\t  123456 kB"
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line["VmHWM:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kib))
                    return kib * 1024;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }

    // Reads the base here so that its array is garbage once the collection holds the vectors.
    private static VectorIndex Build(BenchSettings settings, int queryDimension, TextWriter log)
    {
        Log(log, $"reading {settings.BasePath}");
        var baseVectors = VecsFile.ReadFvecs(settings.BasePath);
        int dim = baseVectors.Dimension;
        if (queryDimension != dim)
            throw new UsageException($"dimension mismatch: {settings.BasePath} has dimension {dim}, {settings.QueriesPath} has {queryDimension}.");
        if (dim is < 2 or > CollectionOptions.MaxDimension)
            throw new UsageException($"{settings.BasePath}: dimension {dim} is outside the engine's range 2..{CollectionOptions.MaxDimension}.");
        if (settings.ScaleTo is int scaleTo && scaleTo < baseVectors.Rows)
            throw new UsageException($"--scale-to {scaleTo} is smaller than the base ({baseVectors.Rows} vectors).");

        var collection = VectorIndex.Create(new CollectionOptions { Dimension = dim, Metric = settings.Metric, Bits = settings.Bits, Index = IndexType.Flat });
        try
        {
            Insert(collection, baseVectors, settings.ScaleTo, log);
        }
        catch
        {
            collection.Dispose();
            throw;
        }

        return collection;
    }

    private static void Insert(VectorIndex collection, VecsMatrix<float> baseVectors, int? scaleTo, TextWriter log)
    {
        int dim = baseVectors.Dimension;
        var ids = new ulong[InsertChunkRows];
        for (int start = 0; start < baseVectors.Rows; start += InsertChunkRows)
        {
            int count = Math.Min(InsertChunkRows, baseVectors.Rows - start);
            for (int r = 0; r < count; r++) ids[r] = (ulong)(start + r);
            collection.UpsertBatch(ids.AsSpan(0, count), baseVectors.Data.AsSpan(start * dim, count * dim));
        }

        if (scaleTo is not int target || target <= baseVectors.Rows) return;

        Log(log, $"growing the base from {baseVectors.Rows} to {target} vectors (seed {ScaledBase.Seed})");
        var generator = new ScaledBase(baseVectors.Data, baseVectors.Rows, dim);
        var rows = new float[Math.Min(InsertChunkRows, target - baseVectors.Rows) * dim];
        for (int start = baseVectors.Rows; start < target; start += InsertChunkRows)
        {
            int count = Math.Min(InsertChunkRows, target - start);
            var chunk = rows.AsSpan(0, count * dim);
            generator.Generate(chunk);
            for (int r = 0; r < count; r++) ids[r] = (ulong)(start + r);
            collection.UpsertBatch(ids.AsSpan(0, count), chunk);
            if ((start - baseVectors.Rows) / InsertChunkRows % 10 == 9) Log(log, $"  {start + count} / {target}");
        }
    }

    private static int[][] ReadTruth(string path, int queryCount, int k)
    {
        var matrix = VecsFile.ReadIvecs(path);
        if (matrix.Rows < queryCount)
            throw new UsageException($"{path}: {matrix.Rows} ground-truth rows for {queryCount} queries.");
        if (matrix.Dimension < k)
            throw new UsageException($"{path}: {matrix.Dimension} ids per row, fewer than --k {k}.");
        var truth = new int[queryCount][];
        for (int q = 0; q < queryCount; q++) truth[q] = matrix.Row(q)[..k].ToArray();
        return truth;
    }

    private static int[][] ToIds(IReadOnlyList<SearchResult> results)
    {
        var ids = new int[results.Count][];
        for (int q = 0; q < results.Count; q++)
        {
            var hits = results[q].Hits;
            var row = new int[hits.Count];
            for (int j = 0; j < row.Length; j++) row[j] = checked((int)hits[j].Id);
            ids[q] = row;
        }

        return ids;
    }

    private static MethodResult Summarize(string name, int? oversampling, SearchResult[] results, int[][] truth, int k, double qps)
    {
        double t1Kept = 0, t2 = 0, t3 = 0;
        foreach (var result in results)
        {
            t1Kept += result.Trace.T1Kept;
            t2 += result.Trace.T2Seen;
            t3 += result.Trace.T3Seen;
        }

        int count = Math.Max(1, results.Length);
        return new MethodResult(name, oversampling, Recall(ToIds(results), truth, k), qps, t1Kept / count, t2 / count, t3 / count);
    }

    // Warm-up passes (at least MinimumWarmup), then three timed passes over all queries, one query per call; QPS from
    // the median pass.
    private static SearchResult[] MeasureSingle(TextWriter log, string name, int queryCount, Func<int, SearchResult> search, out double qps)
    {
        var results = new SearchResult[queryCount];
        WarmUp(() =>
        {
            for (int i = 0; i < queryCount; i++) results[i] = search(i);
        });
        Span<double> seconds = stackalloc double[TimedPasses];
        for (int pass = 0; pass < TimedPasses; pass++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < queryCount; i++) results[i] = search(i);
            seconds[pass] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        qps = Qps(queryCount, seconds);
        Log(log, $"{name}: {qps:F1} QPS");
        return results;
    }

    // The same protocol with all queries as one call.
    private static SearchResult[] MeasureBatch(TextWriter log, string name, int queryCount, Func<SearchResult[]> search, out double qps)
    {
        SearchResult[] results = [];
        WarmUp(() => results = search());
        Span<double> seconds = stackalloc double[TimedPasses];
        for (int pass = 0; pass < TimedPasses; pass++)
        {
            long started = Stopwatch.GetTimestamp();
            results = search();
            seconds[pass] = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        qps = Qps(queryCount, seconds);
        Log(log, $"{name}: {qps:F1} QPS");
        return results;
    }

    private static double Qps(int queryCount, Span<double> seconds)
    {
        seconds.Sort();
        double median = seconds[seconds.Length / 2];
        return median > 0 ? queryCount / median : 0;
    }

    // Runs pass until MinimumWarmup is over; then collects the garbage, so that none from the warm-up (or an earlier
    // method) is collected inside the timing.
    private static void WarmUp(Action pass)
    {
        long started = Stopwatch.GetTimestamp();
        do pass();
        while (Stopwatch.GetElapsedTime(started) < MinimumWarmup);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void Log(TextWriter log, FormattableString message) => log.WriteLine(FormattableString.Invariant(message));
}
