using System.Diagnostics;
using System.Numerics.Tensors;
using BitSieve.Quantization;
using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve;

internal sealed partial class VectorIndex
{
    /// <summary>Queries per group in a batch: each block of codes is scanned by the whole group while it is in cache.</summary>
    private const int BatchGroup = 16;

    /// <summary>Originals per block in the exact batch baseline (≈ L2-sized), reused by every query of a group.</summary>
    private const int ExactBlock = 128;

    /// <summary>
    /// Where a filter allows fewer than one point in this many, its points are scored exactly one by one instead of
    /// scanning every code: reading an original and a float32 dot cost about as much as scanning this many T1 codes.
    /// </summary>
    private const int DirectScoringRatio = Filters.FilterPlanner.DirectScoringRatio;

    /// <summary>
    /// Searches with the dynamic cascade (or, when options say so, the fixed-oversampling baseline or exhaustive float32 scoring).
    /// </summary>
    /// <param name="query">The query vector.</param>
    /// <param name="options">k, quality, threads; null for the defaults.</param>
    /// <param name="allowedKeys">
    /// When not null, only points with these ids can be returned (a filter's result); ids that are not live are
    /// ignored. A very selective set is scored directly and exactly instead of through the cascade.
    /// </param>
    public SearchResult Search(ReadOnlySpan<float> query, SearchOptions? options = null, IEnumerable<ulong>? allowedKeys = null) =>
        Search(query, options, allowedKeys is null ? null : new AllowedSet(allowedKeys, rejected: false));

    /// <summary>A filter's allowed ordinals at this state, as a search reads them (tests: the bitmap is kept and follows writes).</summary>
    internal AllowedSet.Resolution Resolved(AllowedSet filter) => Read(() => filter.Resolve(_columns, _ordinals));

    /// <summary>
    /// <see cref="Search(ReadOnlySpan{float}, SearchOptions?, IEnumerable{ulong}?)"/> limited to a filter's
    /// <see cref="AllowedSet"/>, whose bitmap over the ordinals is made once per state of the index and kept in the set
    /// (a collection keeps one per cached filter). A set that allows every live point is no limit: the search is the
    /// unfiltered one.
    /// </summary>
    internal SearchResult Search(ReadOnlySpan<float> query, SearchOptions? options, AllowedSet? filter)
    {
        options ??= new SearchOptions();
        options.Validate();
        var q = new float[Dimension];
        Prepare(query, q, "query");
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int count = _columns.Count;
            ulong[]? allowed = null;
            if (filter?.Resolve(_columns, _ordinals) is { Bits: { } bits, Allowed: int allowedCount })
            {
                allowed = bits;
                if (options.Exhaustive) return ScoreDirectly(q, options.K, allowed);
                if (GraphServes(options))
                {
                    // The planner chooses direct scoring, the flat cascade (below) or the filtered traversal.
                    switch (GraphPlanner.Choose(allowedCount, _columns.LiveCount, Calibrated(options.Quality), out int ef))
                    {
                        case GraphSearchPlan.ScoreAllowed: return ScoreDirectly(q, options.K, allowed);
                        case GraphSearchPlan.Graph: return SearchOwnedGraph(q, options, ef, allowed);
                    }
                }
                else if ((long)allowedCount * DirectScoringRatio < _columns.LiveCount)
                {
                    return ScoreDirectly(q, options.K, allowed);
                }
            }
            else if (GraphServes(options) && Calibrated(options.Quality) is { Path: GraphPath.Graph } calibration)
            {
                return SearchOwnedGraph(q, options, calibration.Ef, allowed: null);
            }
            if (options.Exhaustive) return ScanExact(q, options.K, options.Threads);
            var cascade = NewCascade(q, options, allowed);
            int parts = Math.Max(1, Math.Min(options.Threads, count / Cascade.Block));
            var states = new T1State[parts];
            int k = ScanPoolSize(options);
            int per = (count / parts + Cascade.Block - 1) / Cascade.Block * Cascade.Block;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                var state = states[p] = new T1State(k, cascade.Floor);
                int start = Math.Min(count, p * per), end = p == parts - 1 ? count : Math.Min(count, start + per);
                Scan(cascade, options, start, end, state);
            });
            return Finish(cascade, options, states);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Searches many queries (row-major) in one pass over the codes: queries are taken in groups, and each block of
    /// codes is scanned by every query of the group while it is in cache. Groups run on <see cref="SearchOptions.Threads"/> threads.
    /// </summary>
    public SearchResult[] SearchBatch(ReadOnlySpan<float> queries, SearchOptions? options = null)
    {
        options ??= new SearchOptions();
        options.Validate();
        if (options.Exhaustive) return SearchExactBatch(queries, options.K, options.Threads);
        return RunBatch(queries, options.Threads, (prepared, first, size, results) =>
        {
            int count = _columns.Count;
            int k = ScanPoolSize(options);
            var cascades = new Cascade[size];
            var states = new T1State[size];
            for (int i = 0; i < size; i++)
            {
                cascades[i] = NewCascade(prepared.AsSpan((first + i) * Dimension, Dimension), options);
                states[i] = new T1State(k);
            }
            for (int start = 0; start < count; start += Cascade.Block)
            {
                int end = Math.Min(count, start + Cascade.Block);
                for (int i = 0; i < size; i++) Scan(cascades[i], options, start, end, states[i]);
            }
            for (int i = 0; i < size; i++) results[first + i] = Finish(cascades[i], options, [states[i]]);
        });
    }

    /// <summary>Exact float32 brute force over the originals (TensorPrimitives), the baseline of every benchmark.</summary>
    public SearchResult SearchExact(ReadOnlySpan<float> query, int k, int threads = 1)
    {
        new SearchOptions { K = k, Threads = threads }.Validate();
        var q = new float[Dimension];
        Prepare(query, q, "query");
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ScanExact(q, k, threads);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Exact scores of every live vector for a prepared query; the caller holds the read lock.</summary>
    private SearchResult ScanExact(float[] q, int k, int threads)
    {
        long t0 = Stopwatch.GetTimestamp();
        int count = _columns.Count;
        int parts = Math.Max(1, Math.Min(threads, count / ExactBlock));
        int per = (count + parts - 1) / parts;
        var tops = new TopK[parts];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            var top = tops[p] = new TopK(k);
            int end = Math.Min(count, (p + 1) * per);
            for (int ord = p * per; ord < end; ord++)
                if (!_columns.IsDeleted(ord)) top.Add(ExactScore(ord, q), ord);
        });
        for (int p = 1; p < parts; p++) tops[0].Merge(tops[p]);
        var trace = new SearchTrace { T3Seen = _columns.LiveCount, T3Micros = Stopwatch.GetElapsedTime(t0).TotalMicroseconds };
        return new SearchResult(Cascade.ToHits(tops[0], _columns, Options.Metric), trace);
    }

    /// <summary>Exact float32 brute force for many queries, blocked so each original is read once per group of queries.</summary>
    public SearchResult[] SearchExactBatch(ReadOnlySpan<float> queries, int k, int threads = 1)
    {
        new SearchOptions { K = k, Threads = threads }.Validate();
        return RunBatch(queries, threads, (prepared, first, size, results) =>
        {
            long t0 = Stopwatch.GetTimestamp();
            int count = _columns.Count;
            var tops = new TopK[size];
            for (int i = 0; i < size; i++) tops[i] = new TopK(k);
            for (int start = 0; start < count; start += ExactBlock)
            {
                int end = Math.Min(count, start + ExactBlock);
                for (int i = 0; i < size; i++)
                {
                    var q = prepared.AsSpan((first + i) * Dimension, Dimension);
                    for (int ord = start; ord < end; ord++)
                        if (!_columns.IsDeleted(ord)) tops[i].Add(ExactScore(ord, q), ord);
                }
            }
            double micros = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / size;
            for (int i = 0; i < size; i++)
                results[first + i] = new SearchResult(Cascade.ToHits(tops[i], _columns, Options.Metric),
                    new SearchTrace { T3Seen = _columns.LiveCount, T3Micros = micros });
        });
    }

    /// <summary>
    /// Checks and prepares a batch of queries, then, under the read lock, runs <paramref name="group"/> on groups of up
    /// to <see cref="BatchGroup"/> consecutive queries (arguments: prepared queries, first index, size, results) on
    /// <paramref name="threads"/> threads.
    /// </summary>
    private SearchResult[] RunBatch(ReadOnlySpan<float> queries, int threads, Action<float[], int, int, SearchResult[]> group)
    {
        var prepared = PrepareQueries(queries);
        int n = prepared.Length / Dimension;
        var results = new SearchResult[n];
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Parallel.For(0, (n + BatchGroup - 1) / BatchGroup, new ParallelOptions { MaxDegreeOfParallelism = threads },
                g => group(prepared, g * BatchGroup, Math.Min(BatchGroup, n - g * BatchGroup), results));
        }
        finally
        {
            _lock.ExitReadLock();
        }
        return results;
    }

    private float ExactScore(int ordinal, ReadOnlySpan<float> query)
    {
        var x = _columns.Originals.Row(ordinal);
        if (Options.Metric != Metric.Euclidean) return TensorPrimitives.Dot(x, query);
        float distance = TensorPrimitives.Distance(x, query);
        return -(distance * distance);
    }

    private float[] PrepareQueries(ReadOnlySpan<float> queries)
    {
        int d = Dimension;
        if (queries.Length % d != 0)
            throw new ArgumentException($"A batch of queries must hold a multiple of {d} floats; got {queries.Length}.", nameof(queries));
        var prepared = new float[queries.Length];
        for (int i = 0; i < queries.Length / d; i++)
            Prepare(queries.Slice(i * d, d), prepared.AsSpan(i * d, d), $"query {i}");
        return prepared;
    }

    /// <summary>
    /// Whether the owned graph may answer a search with these options: it answers at this size, and the search is neither
    /// exhaustive, nor the fixed-oversampling baseline, nor <see cref="Quality.Exact"/> (only the flat certification
    /// proves that). Its calibration (and, under a filter, <see cref="GraphPlanner"/>) then chooses.
    /// </summary>
    private bool GraphServes(SearchOptions options) =>
        !options.Exhaustive && options.Oversampling is null && !options.Quality.IsExact && GraphAnswers;

    private Cascade NewCascade(ReadOnlySpan<float> query, SearchOptions options, ulong[]? allowed = null) =>
        new(_columns, _quantizer, _quantizer.Prepare(query), options.K, options.Quality, allowed, InternalFloor(options));

    /// <summary>
    /// <see cref="SearchOptions.ScoreBound"/> as the cascade's internal score (Euclidean: −distance²), or −∞ where it
    /// does not apply (none given, or the fixed-oversampling baseline, whose pool is a fixed size by design).
    /// </summary>
    private float InternalFloor(SearchOptions options) => options.ScoreBound is not { } bound || options.Oversampling is not null
        ? float.NegativeInfinity
        : Options.Metric == Metric.Euclidean ? -(bound * bound) : bound;

    /// <summary>Exact scores of the allowed ordinals only (a selective filter): cheaper than any scan, and exact.</summary>
    private SearchResult ScoreDirectly(float[] query, int k, ulong[] allowed)
    {
        long t0 = Stopwatch.GetTimestamp();
        var top = new TopK(k);
        long reads = 0;
        for (int word = 0; word < allowed.Length; word++)
        {
            for (ulong bits = allowed[word]; bits != 0; bits &= bits - 1)
            {
                int ord = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                top.Add(ExactScore(ord, query), ord);
                reads++;
            }
        }
        var trace = new SearchTrace { T3Seen = reads, T3Micros = Stopwatch.GetElapsedTime(t0).TotalMicroseconds };
        return new SearchResult(Cascade.ToHits(top, _columns, Options.Metric), trace);
    }

    private int ScanPoolSize(SearchOptions options) =>
        options.Oversampling is int m ? (int)Math.Clamp((long)options.K * m, 1, Math.Max(1, _columns.LiveCount)) : options.K;

    private static void Scan(Cascade cascade, SearchOptions options, int start, int end, T1State state)
    {
        if (options.Oversampling is null) cascade.ScanT1(start, end, state);
        else cascade.ScanFixed(start, end, state);
    }

    private static SearchResult Finish(Cascade cascade, SearchOptions options, IReadOnlyList<T1State> states) =>
        options.Oversampling is null ? cascade.Finish(states) : cascade.FinishFixed(states);
}
