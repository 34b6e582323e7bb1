using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace BitSieve.Benchmarks.Peers;

/// <summary>What one <see cref="USearchPeer"/> run measures.</summary>
/// <param name="BasePath">The base vectors (.fvecs).</param>
/// <param name="QueriesPath">The query vectors (.fvecs).</param>
/// <param name="TruthPath">Exact neighbours (.ivecs, base rows best first), or null: exact search is run here.</param>
/// <param name="Efforts">The search expansions (ef) to sweep.</param>
/// <param name="Connectivity">HNSW M (links per node above level 0; 2·M on level 0).</param>
/// <param name="ExpansionAdd">The construction beam (efConstruction).</param>
/// <param name="BuildThreads">Threads adding points.</param>
/// <param name="MaxQueries">Queries used (the first ones), or 0 for all.</param>
/// <param name="K">Neighbours per query.</param>
/// <param name="BesideBitSieve">
/// Also build BitSieve's graph over the same vectors (same build threads) and measure it at each ef right after USearch, in
/// this process, with its flat cascade once: the ratios between them hold on a loaded machine where absolute QPS do not.
/// </param>
internal sealed record USearchSettings(string BasePath, string QueriesPath, string? TruthPath, IReadOnlyList<int> Efforts,
    int Connectivity = 16, int ExpansionAdd = 128, int BuildThreads = 2, int MaxQueries = 0, int K = 10, bool BesideBitSieve = false);

/// <summary>
/// One point of the sweep: recall@k, single-thread queries per second of wall-clock time, and queries per second of the
/// searching thread's CPU time (the number to compare on a loaded machine, where the wall clock counts time the thread waited).
/// </summary>
internal sealed record USearchSweepPoint(int Ef, double Recall, double Qps, double QpsCpu);

/// <summary>BitSieve's graph measured beside USearch (<see cref="USearchSettings.BesideBitSieve"/>).</summary>
/// <param name="BuildSeconds">Wall-clock seconds of the graph's bulk build.</param>
/// <param name="BuildCpuSeconds">CPU seconds of that build.</param>
/// <param name="Flat">The flat cascade at the default quality (its ef is 0).</param>
/// <param name="Sweep">The graph at each ef of the run, default quality settling.</param>
internal sealed record BitSieveBeside(double BuildSeconds, double BuildCpuSeconds, USearchSweepPoint Flat, IReadOnlyList<USearchSweepPoint> Sweep);

/// <summary>A run's results.</summary>
internal sealed record USearchReport(int Points, int Dimension, int Queries, double BuildSeconds, double BuildCpuSeconds,
    long MemoryBytes, string Isa, IReadOnlyList<USearchSweepPoint> Sweep, BitSieveBeside? BitSieve);

/// <summary>
/// USearch's HNSW (<c>Cloud.Unum.USearch</c> 2.26.6, in process) as a peer of <c>bitsieve bench --index graph</c>:
/// float32 vectors, normalized, inner-product metric (the cosine ranking), M and efConstruction as hnswlib's anchor
/// (16 / 128). The index is built once on <see cref="USearchSettings.BuildThreads"/> threads (points added in parallel,
/// as USearch allows), then every ef of the sweep is set on it through the native API and the queries are answered on
/// one thread, one query per call, after one untimed warm-up pass at that ef. Recall@k is against the truth file when
/// given, else against exact float32 search run here (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// over every base row, on every core).
/// </summary>
internal static class USearchPeer
{
    /// <summary>Runs the build and the sweep, logging progress to <paramref name="log"/>.</summary>
    public static unsafe USearchReport Run(USearchSettings settings, TextWriter log)
    {
        var (data, n, dim) = Vecs.Read<float>(settings.BasePath);
        var (queries, q, queryDim) = Vecs.Read<float>(settings.QueriesPath);
        if (queryDim != dim) throw new InvalidDataException($"the queries have {queryDim} dimensions, the base {dim}.");
        if (settings.MaxQueries > 0) q = Math.Min(q, settings.MaxQueries);
        Normalize(data, dim);
        Normalize(queries, dim);
        int k = settings.K;
        int[] truth = settings.TruthPath is { } truthPath ? Truth(truthPath, q, k) : Exact(data, n, queries, q, dim, k);

        var options = new USearchNative.InitOptions
        {
            MetricKind = MetricKind.Ip,
            Quantization = ScalarKind.Float32,
            Dimensions = (nuint)dim,
            Connectivity = (nuint)settings.Connectivity,
            ExpansionAdd = (nuint)settings.ExpansionAdd,
            ExpansionSearch = (nuint)settings.Efforts[0],
        };
        IntPtr index = USearchNative.Init(&options, out var error);
        USearchNative.ThrowIfError(error, "usearch_init");
        try
        {
            USearchNative.Reserve(index, (nuint)n, out error);
            USearchNative.ThrowIfError(error, "usearch_reserve");
            USearchNative.ChangeThreadsAdd(index, (nuint)settings.BuildThreads, out error);
            USearchNative.ThrowIfError(error, "usearch_change_threads_add");
            USearchNative.ChangeThreadsSearch(index, 1, out error);
            USearchNative.ThrowIfError(error, "usearch_change_threads_search");

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                float* rows = (float*)handle.AddrOfPinnedObject();
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = settings.BuildThreads }, row =>
                {
                    USearchNative.Add(index, (ulong)row, rows + (long)row * dim, ScalarKind.Float32, out var addError);
                    USearchNative.ThrowIfError(addError, "usearch_add");
                });
            }
            finally
            {
                handle.Free();
            }
            double buildSeconds = watch.Elapsed.TotalSeconds;
            double buildCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            long memory = (long)USearchNative.MemoryUsage(index, out error);
            USearchNative.ThrowIfError(error, "usearch_memory_usage");
            string isa = Marshal.PtrToStringUTF8(USearchNative.HardwareAcceleration(index, out error)) ?? "";
            USearchNative.ThrowIfError(error, "usearch_hardware_acceleration");
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"usearch: built {n} x {dim} (M {settings.Connectivity}, efC {settings.ExpansionAdd}, {settings.BuildThreads} threads) in {buildSeconds:F1} s ({n / buildSeconds:F0} points/s, {buildCpu:F1} CPU s); {memory / (double)n:F0} B/vector; kernels {isa}"));

            using var bitsieve = settings.BesideBitSieve ? BitSieveGraph.Build(data, n, dim, settings.BuildThreads, log) : null;
            var sweep = new List<USearchSweepPoint>();
            var bitsieveSweep = new List<USearchSweepPoint>();
            var keys = new ulong[k];
            var distances = new float[k];
            foreach (int ef in settings.Efforts)
            {
                USearchNative.ChangeExpansionSearch(index, (nuint)ef, out error);
                USearchNative.ThrowIfError(error, "usearch_change_expansion_search");
                var point = Measure(ef, q, k, checkedOnly => SearchAll(index, queries, q, dim, keys, distances, checkedOnly ? truth : null));
                sweep.Add(point);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"usearch ef={ef}: recall@{k} {point.Recall:F4}, {point.Qps:F1} QPS (1 thread), {point.QpsCpu:F1} queries per CPU second"));
                if (bitsieve is null) continue;
                var beside = Measure(ef, q, k, checkedOnly => bitsieve.SearchAll(queries, q, k, ef, checkedOnly ? truth : null));
                bitsieveSweep.Add(beside);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bitsieve graph ef={ef}: recall@{k} {beside.Recall:F4}, {beside.Qps:F1} QPS (1 thread), {beside.QpsCpu:F1} queries per CPU second"));
            }
            BitSieveBeside? besideReport = null;
            if (bitsieve is not null)
            {
                var flat = Measure(0, q, k, checkedOnly => bitsieve.SearchAll(queries, q, k, ef: 0, checkedOnly ? truth : null));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bitsieve flat cascade: recall@{k} {flat.Recall:F4}, {flat.Qps:F1} QPS (1 thread), {flat.QpsCpu:F1} queries per CPU second"));
                besideReport = new BitSieveBeside(bitsieve.BuildSeconds, bitsieve.BuildCpuSeconds, flat, bitsieveSweep);
            }
            return new USearchReport(n, dim, q, buildSeconds, buildCpu, memory, isa, sweep, besideReport);
        }
        finally
        {
            USearchNative.Free(index, out _);
        }
    }

    /// <summary>
    /// One point of a sweep: an untimed warm-up pass, then a timed pass (wall clock and this thread's CPU time) that also counts
    /// the exact neighbours found; <paramref name="pass"/> answers every query and returns that count when asked to check.
    /// </summary>
    private static USearchSweepPoint Measure(int ef, int queries, int k, Func<bool, int> pass)
    {
        pass(false);
        double cpu = ThreadCpu.Seconds();
        var watch = Stopwatch.StartNew();
        int found = pass(true);
        double seconds = watch.Elapsed.TotalSeconds, cpuSeconds = ThreadCpu.Seconds() - cpu;
        return new USearchSweepPoint(ef, found / (double)(queries * k), queries / seconds, queries / Math.Max(cpuSeconds, 1e-9));
    }

    /// <summary>Answers every query, one call each; with <paramref name="truth"/>, returns how many of the k found are exact neighbours.</summary>
    private static unsafe int SearchAll(IntPtr index, float[] queries, int count, int dim, ulong[] keys, float[] distances, int[]? truth)
    {
        int k = keys.Length, found = 0;
        fixed (float* all = queries)
        fixed (ulong* keyPointer = keys)
        fixed (float* distancePointer = distances)
        {
            for (int query = 0; query < count; query++)
            {
                int got = (int)USearchNative.Search(index, all + (long)query * dim, ScalarKind.Float32, (nuint)k, keyPointer, distancePointer, out var error);
                USearchNative.ThrowIfError(error, "usearch_search");
                if (truth is null) continue;
                var exact = truth.AsSpan(query * k, k);
                for (int i = 0; i < got; i++)
                    if (exact.Contains((int)keys[i])) found++;
            }
        }
        return found;
    }

    /// <summary>The first k neighbours of each of the first <paramref name="count"/> queries in an .ivecs truth file.</summary>
    private static int[] Truth(string path, int count, int k)
    {
        var (rows, lines, width) = Vecs.Read<int>(path);
        if (lines < count || width < k) throw new InvalidDataException($"{path} holds {lines} rows of {width}; {count} rows of at least {k} are needed.");
        var truth = new int[count * k];
        for (int query = 0; query < count; query++) rows.AsSpan(query * width, k).CopyTo(truth.AsSpan(query * k));
        return truth;
    }

    /// <summary>The exact top k by inner product of each query, best first (ties by the lower row), on every core.</summary>
    private static int[] Exact(float[] data, int n, float[] queries, int count, int dim, int k)
    {
        var truth = new int[count * k];
        Parallel.For(0, count, query =>
        {
            var q = queries.AsSpan(query * dim, dim);
            var best = new PriorityQueue<int, (float Score, int Row)>(k + 1, Comparer<(float Score, int Row)>.Create((a, b) =>
                a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Row.CompareTo(a.Row)));
            for (int row = 0; row < n; row++)
            {
                float score = TensorPrimitives.Dot(q, data.AsSpan(row * dim, dim));
                best.Enqueue(row, (score, row));
                if (best.Count > k) best.Dequeue();
            }
            for (int i = k - 1; i >= 0; i--) truth[query * k + i] = best.Dequeue();
        });
        return truth;
    }

    private static void Normalize(float[] rows, int dim)
    {
        for (int at = 0; at < rows.Length; at += dim)
        {
            var row = rows.AsSpan(at, dim);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
    }
}
