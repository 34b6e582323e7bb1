using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search;

/// <summary>A vector still in the running, with its score interval.</summary>
/// <param name="Ordinal">The vector.</param>
/// <param name="Lo">The interval's lower end.</param>
/// <param name="Hi">The interval's upper end.</param>
/// <param name="Refined">
/// The interval already includes the vector's T2 interval (a graph search refined it while steering): the T2 pass takes
/// it as it is instead of scoring the vector at T2 again, which would give the same interval.
/// </param>
internal readonly record struct Candidate(int Ordinal, float Lo, float Hi, bool Refined = false);

/// <summary>What one query's T1 pass has found so far; one per query and per thread.</summary>
internal sealed class T1State(int k, float floor = float.NegativeInfinity)
{
    public TopK Lower { get; } = new(k) { Floor = floor };

    public List<Candidate> Candidates { get; } = [];

    public long Seen;

    public long Ticks;
}

/// <summary>
/// The dynamic cascade for one query: a T1 pass keeps every vector whose upper bound reaches the running k-th lower
/// bound; T2 tightens the survivors' intervals and prunes the same way; T3 reads float32 originals, best upper bound
/// first, until no remaining interval can reach the k-th exact score.
/// Under <see cref="Quality.Exact"/> the same cascade (at the default confidence) finds the answer, and a
/// certification sweep then proves it: every other vector's deterministic T2 interval must fall below the k-th exact
/// score, or its original is read. 1-bit codes give no useful deterministic bound (the residual orthogonal to the
/// code can carry √(1−f²) ≈ 0.6 of the direction), so the sweep starts at T2.
/// </summary>
[SkipLocalsInit] // the stack buffers are written before they are read; zeroing 4 KB per block call is measurable
internal sealed class Cascade
{
    /// <summary>
    /// Ordinals per unit of scanning work (whole FastScan blocks of 64): threads split the collection in multiples of it,
    /// and a batch of queries scans one such range each while its codes stay in cache.
    /// </summary>
    public const int Block = 1024;

    private readonly VectorColumns _columns;
    private readonly Quantizer _quantizer;
    private readonly EncodedQuery _query;
    private readonly int _k;
    private readonly bool _exact;
    private readonly float _sqrtD;
    // T1: raw = A·S + Lo·Balance + C0 = √D·⟨x̄, ũ⟩;  interval half-width = E1·c1 + RInv1·c2.
    private readonly float _a1, _c01, _lo1, _c1, _c2;
    // T2: raw = Δ·(K − mid·Q) = ⟨ȳ, ũ⟩ with K = Σ cᵢqᵢ;  half-width = E2·c1 + RInv2·YNorm·c3.
    private readonly float _c3, _delta2, _mid;
    private readonly float _uNorm2;
    // A filter's allowed ordinals (one bit each), or null for all.
    private readonly ulong[]? _allowed;

    /// <summary>A filter's allowed ordinals (one bit each) this query is limited to, or null for all.</summary>
    internal ulong[]? Allowed => _allowed;

    /// <summary>
    /// The internal score every answer must reach (a <see cref="SearchOptions.ScoreBound"/>): candidates whose upper bound
    /// falls below it are pruned at every tier. −∞ for none.
    /// </summary>
    internal float Floor { get; }

    public Cascade(VectorColumns columns, Quantizer quantizer, EncodedQuery query, int k, Quality quality, ulong[]? allowed = null,
        float floor = float.NegativeInfinity)
    {
        _columns = columns;
        Floor = floor;
        _allowed = allowed;
        _quantizer = quantizer;
        _query = query;
        _k = k;
        _exact = quality.IsExact;
        int d = quantizer.Dimension;
        _sqrtD = MathF.Sqrt(d);
        // Exact quality finds its candidates at the default confidence, then certifies them (see Certify).
        float eps = (float)Confidence.Epsilon(_exact ? Quality.Default.RecallTarget : quality.RecallTarget);
        var t1 = query.T1;
        _a1 = 2 * t1.Delta;
        _lo1 = t1.Lo;
        _c01 = -t1.Delta * t1.Sum;
        _c1 = eps * query.Norm;
        _c2 = eps * t1.ErrL2;
        _c3 = eps * query.T2.ErrL2;
        _delta2 = query.T2.ErrL2;
        _mid = ((1 << quantizer.Bits) - 1) / 2f;
        _uNorm2 = query.Norm * query.Norm;
    }

    /// <summary>
    /// The T1 pass over ordinals [start, end), start a multiple of 64: per FastScan block, the 64 products and then,
    /// while they are in L1, the 64 upper bounds (one sequential read of each factor); only vectors whose upper bound
    /// reaches the running k-th lower bound are looked at one by one. The block's pass is masked with its word of
    /// reachable ordinals first (<see cref="Reachable"/>: live and allowed), so a filter's disallowed lanes are never
    /// looked at, and a block with none reachable is not scanned.
    /// </summary>
    public void ScanT1(int start, int end, T1State state)
    {
        long t0 = Stopwatch.GetTimestamp();
        Debug.Assert((start & 63) == 0 && end <= _columns.Count);
        var c = _columns;
        Span<int> dots = stackalloc int[Kernels.FastScanCodes];
        ref int dot0 = ref MemoryMarshal.GetReference(dots);
        ref byte tables = ref MemoryMarshal.GetArrayDataReference(_query.T1.Tables);
        ref byte signs = ref MemoryMarshal.GetArrayDataReference(c.Signs);
        ref float balance = ref MemoryMarshal.GetArrayDataReference(c.Balance);
        ref float rinv = ref MemoryMarshal.GetArrayDataReference(c.RInv1);
        ref float width = ref MemoryMarshal.GetArrayDataReference(c.E1);
        ref float beta = ref MemoryMarshal.GetArrayDataReference(c.Beta);
        // upper = RInv1·(raw + c2) + E1·c1 + Beta + γ, as Consider1 computes it (the factor arrays hold whole blocks of 64).
        var bound = new UpperBoundCoefficients(_a1, _lo1, _c01 + _c2, _c1, _query.Gamma);
        int blockBytes = c.SignBlockBytes, codeBytes = c.CodeBytes;
        long seen = 0;
        for (int blockStart = start; blockStart < end; blockStart += Kernels.FastScanCodes)
        {
            ulong reachable = Reachable(blockStart >> 6);
            int n = end - blockStart;
            if (n < Kernels.FastScanCodes) reachable &= (1UL << n) - 1;
            if (reachable == 0) continue;
            seen += BitOperations.PopCount(reachable);
            Kernels.FastScanCore(ref Unsafe.Add(ref signs, (nint)(blockStart >> 6) * blockBytes), ref tables, ref dot0, codeBytes);
            ulong pass = reachable & Kernels.UpperBoundMaskCore(ref dot0, ref Unsafe.Add(ref balance, blockStart), ref Unsafe.Add(ref rinv, blockStart),
                ref Unsafe.Add(ref width, blockStart), ref Unsafe.Add(ref beta, blockStart), bound, state.Lower.Threshold);
            // The common case is a block with no vector left in the running; τ only rises while the others are considered.
            for (; pass != 0; pass &= pass - 1)
            {
                int lane = BitOperations.TrailingZeroCount(pass);
                Consider1(blockStart + lane, Unsafe.Add(ref dot0, lane), state);
            }
        }
        state.Seen += seen;
        state.Ticks += Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>⟨b, q⟩ of the 4-bit query with the sign codes of ordinals [blockStart, blockStart + n), blockStart a multiple of 64.</summary>
    private void T1Products(int blockStart, int n, Span<int> dots)
    {
        ref byte tables = ref MemoryMarshal.GetArrayDataReference(_query.T1.Tables);
        ref byte signs = ref MemoryMarshal.GetArrayDataReference(_columns.Signs);
        int blockBytes = _columns.SignBlockBytes;
        Debug.Assert((blockStart & 63) == 0 && (long)(blockStart + n + 63) / 64 * blockBytes <= _columns.Signs.Length && n <= dots.Length);
        for (int j = 0; j < n; j += Kernels.FastScanCodes)
            Kernels.FastScanCore(ref Unsafe.Add(ref signs, (nint)((blockStart + j) >> 6) * blockBytes), ref tables,
                ref Unsafe.Add(ref MemoryMarshal.GetReference(dots), j), _columns.CodeBytes);
    }

    /// <summary>Scores one reachable vector at T1 and keeps it if its interval reaches the k-th lower bound.</summary>
    private void Consider1(int ord, int dot, T1State state)
    {
        var c = _columns;
        float raw = _a1 * dot + _lo1 * c.Balance[ord] + _c01;
        float est = Estimate1(ord, raw, _query.Gamma, out float w);
        float lo = est - w, hi = est + w;
        float tau = state.Lower.Threshold;
        if (hi < tau) return;
        if (lo > tau) state.Lower.Add(lo, ord);
        state.Candidates.Add(new Candidate(ord, lo, hi));
    }

    /// <summary>Live (and allowed) ordinals in [start, end), start a multiple of 64: what a pass has seen.</summary>
    private long CountLive(int start, int end)
    {
        if (_allowed is null && _columns.DeletedCount == 0) return end - start;
        long live = 0;
        for (int blockStart = start; blockStart < end; blockStart += 64)
        {
            ulong reachable = Reachable(blockStart >> 6);
            if (end - blockStart < 64) reachable &= (1UL << (end - blockStart)) - 1;
            live += BitOperations.PopCount(reachable);
        }
        return live;
    }

    /// <summary>The ordinals of 64-lane word <paramref name="word"/> within this query's reach: live, and allowed by its filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Reachable(int word)
    {
        ulong reachable = _allowed is { } allowed ? allowed[word] : ulong.MaxValue;
        return _columns.DeletedCount > 0 ? reachable & ~_columns.Deleted[word] : reachable;
    }

    /// <summary>Whether an ordinal is out of this query's reach: deleted, or not in the allowed set of a filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Excluded(int ord) =>
        (_columns.DeletedCount > 0 && _columns.IsDeleted(ord)) || (_allowed is { } allowed && (allowed[ord >> 6] & (1UL << (ord & 63))) == 0);

    /// <summary>Merges the T1 states of several threads and finishes the query with T2 and T3.</summary>
    public SearchResult Finish(IReadOnlyList<T1State> states)
    {
        var trace = new SearchTrace();
        var lower = states[0].Lower;
        for (int i = 1; i < states.Count; i++) lower.Merge(states[i].Lower);
        float tau = lower.Threshold;
        int appended = 0;
        foreach (var s in states) appended += s.Candidates.Count;
        var survivors = new List<Candidate>(appended);
        long ticks = 0;
        foreach (var s in states)
        {
            trace.T1Seen += s.Seen;
            ticks = Math.Max(ticks, s.Ticks);
            foreach (var cand in s.Candidates)
                if (cand.Hi >= tau) survivors.Add(cand);
        }
        trace.T1Kept = survivors.Count;
        trace.T1Micros = Stopwatch.GetElapsedTime(0, ticks).TotalMicroseconds;

        long t0 = Stopwatch.GetTimestamp();
        var refined = RefineT2(survivors, trace);
        long t1 = Stopwatch.GetTimestamp();
        trace.T2Micros = Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
        var verified = new HashSet<int>();
        var best = VerifyT3(refined, trace, verified);
        trace.T3Micros = Stopwatch.GetElapsedTime(t1).TotalMicroseconds;
        if (_exact) Certify(best, verified, trace);
        return new SearchResult(ToHits(best, _columns, _quantizer.Metric), trace);
    }

    /// <summary>⟨ȳ, ũ⟩ of one vector's T2 code with the byte query, unnormalized.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Raw2(int ord, sbyte[] query, bool nibbles)
    {
        int bytes = _columns.RefineBytes;
        ref byte code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_columns.Refine), (nint)ord * bytes);
        ref sbyte q = ref MemoryMarshal.GetArrayDataReference(query);
        long dot = nibbles ? Kernels.DotNibblesCore(ref code, ref q, bytes) : Kernels.DotBytesCore(ref code, ref q, bytes);
        return _query.T2.Delta * (dot - _mid * _query.T2.Sum);
    }

    /// <summary>
    /// Proves the answer exact: sweeps every live vector not yet verified, in storage order, and reads the original of
    /// each one whose deterministic T2 upper bound reaches the current k-th exact score.
    /// </summary>
    private void Certify(TopK best, HashSet<int> verified, SearchTrace trace)
    {
        long t0 = Stopwatch.GetTimestamp();
        var c = _columns;
        var query = _query.T2.Values;
        bool nibbles = _quantizer.Bits == 4;
        long reads = 0, seen = 0;
        int lanes = Vector<float>.Count;
        Span<float> raw = stackalloc float[lanes];
        Span<float> hi = stackalloc float[lanes];
        for (int start = 0; start < c.Count; start += lanes)
        {
            int n = Math.Min(lanes, c.Count - start);
            for (int j = 0; j < n; j++) raw[j] = Raw2(start + j, query, nibbles);
            DeterministicUpper2(start, n, raw, hi);
            for (int j = 0; j < n; j++)
            {
                int ord = start + j;
                if (Excluded(ord)) continue;
                seen++;
                if (hi[j] < best.Threshold || verified.Contains(ord)) continue;
                best.Add(_quantizer.ExactScore(c.Originals.Row(ord), _query.Vector), ord);
                reads++;
            }
        }
        trace.T2Seen = seen; // every live vector was scored at T2 (some twice: in the pass and in the sweep)
        trace.T2Kept += reads;
        trace.T3Seen += reads;
        trace.T2Micros += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
    }

    /// <summary>Upper ends of the deterministic T2 intervals of ordinals [start, start + n), as <see cref="ExactInterval2"/>, lane-parallel.</summary>
    private void DeterministicUpper2(int start, int n, Span<float> raw, Span<float> hi)
    {
        if (n < Vector<float>.Count || raw.Length < Vector<float>.Count)
        {
            for (int j = 0; j < n; j++) hi[j] = ExactInterval2(start + j, raw[j]).Hi;
            return;
        }
        var c = _columns;
        nuint at = (nuint)start;
        var scale = Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(c.Scale), at);
        var offset = Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(c.Beta), at) + new Vector<float>(_query.Gamma);
        var norm = Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(c.YNorm), at) * _sqrtD;
        var rinv = Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(c.RInv2), at);
        var zero = Vector<float>.Zero;
        var one = Vector<float>.One;
        var live = Vector.GreaterThan(scale, zero);
        var f = Vector.ConditionalSelect(live, Vector.Min(one, scale / (rinv * norm)), zero);
        var a = Vector.ConditionalSelect(live, new Vector<float>(raw) / norm, zero);
        var delta = new Vector<float>(_delta2);
        var s = Vector.SquareRoot(Vector.Max(zero, one - f * f));
        var known = Vector.Max(zero, Vector.Abs(a) - delta);
        var half = scale * (f * delta + s * Vector.SquareRoot(Vector.Max(zero, new Vector<float>(_uNorm2) - known * known)));
        var slack = new Vector<float>(2e-5f) * (scale * _query.Norm + Vector.Abs(offset)) + new Vector<float>(1e-6f);
        (scale * f * a + offset + half + slack).CopyTo(hi);
    }

    /// <summary>Sorts candidates by upper bound, best first, on primitive keys (several times faster than a comparison delegate).</summary>
    private static void SortByUpperBound(List<Candidate> candidates)
    {
        var items = CollectionsMarshal.AsSpan(candidates);
        var keys = new float[items.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = -items[i].Hi;
        keys.AsSpan().Sort(items);
    }

    /// <summary>Candidates ahead whose T2 data is requested from memory while the current one is scored.</summary>
    private const int PrefetchDistance = 16;

    /// <summary>
    /// Asks for a candidate's T2 row and factors ahead of use: candidates are scattered over the collection, so each
    /// costs several cache misses, and overlapping them is what keeps T2 cheap. (A prefetch never faults, so an
    /// address that a compacting GC has just invalidated is harmless.)
    /// </summary>
    private unsafe void Prefetch2(int ord)
    {
        if (!Sse.IsSupported) return;
        var c = _columns;
        byte* row = (byte*)Unsafe.AsPointer(ref c.Refine[(nint)ord * c.RefineBytes]);
        for (int offset = 0; offset < c.RefineBytes; offset += 64) Sse.Prefetch0(row + offset);
        Sse.Prefetch0(Unsafe.AsPointer(ref c.RInv2[ord]));
        Sse.Prefetch0(Unsafe.AsPointer(ref c.E2[ord]));
        Sse.Prefetch0(Unsafe.AsPointer(ref c.YNorm[ord]));
        Sse.Prefetch0(Unsafe.AsPointer(ref c.Beta[ord]));
    }

    /// <summary>
    /// The T1 interval of one vector from ⟨b, q⟩ (its sign code with the 4-bit query) and its T1 factors, as the T1 pass
    /// computes it; for callers that keep codes and factors of their own (a graph's node rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (float Lo, float Hi) Interval1(long dot, float balance, float rinv1, float e1, float beta)
    {
        float raw = _a1 * dot + _lo1 * balance + _c01;
        float est = rinv1 * raw + beta + _query.Gamma;
        float w = e1 * _c1 + rinv1 * _c2;
        return (est - w, est + w);
    }

    /// <summary>The T2 interval of one vector (its extended code with the byte query), as the T2 pass computes it.</summary>
    internal (float Lo, float Hi) Interval2(int ord)
    {
        var c = _columns;
        float raw = Raw2(ord, _query.T2.Values, _quantizer.Bits == 4);
        float est = c.RInv2[ord] * raw + c.Beta[ord] + _query.Gamma;
        float w = c.E2[ord] * _c1 + c.RInv2[ord] * c.YNorm[ord] * _c3;
        return (est - w, est + w);
    }

    /// <summary>Asks for a vector's T2 row and factors ahead of <see cref="Interval2"/>.</summary>
    internal void PrefetchT2(int ord) => Prefetch2(ord);

    private List<Candidate> RefineT2(List<Candidate> survivors, SearchTrace trace)
    {
        using var order = new UpperBoundOrder(CollectionsMarshal.AsSpan(survivors));
        var lower = new TopK(_k) { Floor = Floor };
        var kept = new List<Candidate>();
        for (int i = 0; i < order.Count; i++)
        {
            var cand = order[i];
            float tau = lower.Threshold;
            if (cand.Hi < tau) break;
            int ord = cand.Ordinal;
            if (i + PrefetchDistance < order.Count && !order[i + PrefetchDistance].Refined) Prefetch2(order[i + PrefetchDistance].Ordinal);
            float lo = cand.Lo, hi = cand.Hi;
            if (!cand.Refined)
            {
                trace.T2Seen++;
                (lo, hi) = Interval2(ord);
                // Both intervals hold (deterministically, or with high probability): keep their intersection.
                if (MathF.Max(lo, cand.Lo) <= MathF.Min(hi, cand.Hi)) (lo, hi) = (MathF.Max(lo, cand.Lo), MathF.Min(hi, cand.Hi));
            }
            if (hi < tau) continue;
            if (lo > tau) lower.Add(lo, ord);
            kept.Add(new Candidate(ord, lo, hi, true));
        }
        float final = lower.Threshold;
        kept.RemoveAll(x => x.Hi < final);
        trace.T2Kept = kept.Count;
        return kept;
    }

    private TopK VerifyT3(List<Candidate> refined, SearchTrace trace, HashSet<int> verified)
    {
        SortByUpperBound(refined);
        var best = new TopK(_k) { Floor = Floor };
        foreach (var cand in refined)
        {
            if (best.IsFull && cand.Hi < best.Threshold) break;
            float score = _quantizer.ExactScore(_columns.Originals.Row(cand.Ordinal), _query.Vector);
            trace.T3Seen++;
            verified.Add(cand.Ordinal);
            best.Add(score, cand.Ordinal);
        }
        return best;
    }

    /// <summary>
    /// The fixed-oversampling baseline's scan over ordinals [start, end): keeps the top k·m by the T1 estimate,
    /// with the same kernel and estimator as the cascade.
    /// </summary>
    public void ScanFixed(int start, int end, T1State state)
    {
        long t0 = Stopwatch.GetTimestamp();
        var c = _columns;
        Span<int> dots = stackalloc int[Block];
        for (int blockStart = start; blockStart < end; blockStart += Block)
        {
            int n = Math.Min(Block, end - blockStart);
            T1Products(blockStart, n, dots);
            int j = 0;
            for (; j + Vector<float>.Count <= n; j += Vector<float>.Count)
            {
                var est = Estimates1(blockStart + j, dots.Slice(j, Vector<float>.Count));
                if (!Vector.GreaterThanAny(est, new Vector<float>(state.Lower.Threshold))) continue;
                for (int lane = 0; lane < Vector<float>.Count; lane++) ConsiderFixed(blockStart + j + lane, est[lane], state);
            }
            for (; j < n; j++)
                ConsiderFixed(blockStart + j, Estimate1(blockStart + j, _a1 * dots[j] + _lo1 * c.Balance[blockStart + j] + _c01, _query.Gamma, out _), state);
        }
        state.Seen += CountLive(start, end);
        state.Ticks += Stopwatch.GetTimestamp() - t0;
    }

    private Vector<float> Estimates1(int ordinal, ReadOnlySpan<int> dots)
    {
        var c = _columns;
        var raw = Vector.ConvertToSingle(new Vector<int>(dots)) * _a1 + new Vector<float>(c.Balance.AsSpan(ordinal)) * _lo1 + new Vector<float>(_c01);
        return new Vector<float>(c.RInv1.AsSpan(ordinal)) * raw + new Vector<float>(c.Beta.AsSpan(ordinal)) + new Vector<float>(_query.Gamma);
    }

    private void ConsiderFixed(int ord, float est, T1State state)
    {
        var c = _columns;
        if (Excluded(ord)) return;
        if (est > state.Lower.Threshold) state.Lower.Add(est, ord);
    }

    /// <summary>Rescores the fixed baseline's pool (merged over threads) with float32 originals.</summary>
    public SearchResult FinishFixed(IReadOnlyList<T1State> states)
    {
        var trace = new SearchTrace();
        var pool = states[0].Lower;
        long ticks = 0;
        for (int i = 1; i < states.Count; i++) pool.Merge(states[i].Lower);
        foreach (var s in states)
        {
            trace.T1Seen += s.Seen;
            ticks = Math.Max(ticks, s.Ticks);
        }
        trace.T1Micros = Stopwatch.GetElapsedTime(0, ticks).TotalMicroseconds;
        trace.T1Kept = pool.Count;
        long t0 = Stopwatch.GetTimestamp();
        var best = new TopK(_k);
        foreach (var (_, ord) in pool.ToSortedArray())
        {
            best.Add(_quantizer.ExactScore(_columns.Originals.Row(ord), _query.Vector), ord);
            trace.T3Seen++;
        }
        trace.T3Micros = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        return new SearchResult(ToHits(best, _columns, _quantizer.Metric), trace);
    }

    internal static Hit[] ToHits(TopK best, VectorColumns columns, Metric metric)
    {
        var sorted = best.ToSortedArray();
        var hits = new Hit[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            var (score, ord) = sorted[i];
            hits[i] = new Hit(columns.Ids[ord], ord, metric == Metric.Euclidean ? MathF.Sqrt(MathF.Max(0, -score)) : score);
        }
        return hits;
    }

    private float Estimate1(int ord, float raw, float gamma, out float width)
    {
        var c = _columns;
        float rinv = c.RInv1[ord];
        width = c.E1[ord] * _c1 + rinv * _c2;
        return rinv * raw + c.Beta[ord] + gamma;
    }

    /// <summary>
    /// Deterministic T2 interval. With a = ⟨ȳ, u⟩ (ȳ the unit code direction, a known within δ = ‖e‖ from the
    /// quantized query), o′ = f·ȳ + o⊥ with ‖o⊥‖ = √(1−f²) and o⊥ ⟂ ȳ, so |⟨o′,u⟩ − f·a| ≤ f·δ + √(1−f²)·√(‖u‖² − (|a|−δ)²).
    /// </summary>
    private (float Lo, float Hi) ExactInterval2(int ord, float raw)
    {
        var c = _columns;
        float scale = c.Scale[ord];
        float offset = c.Beta[ord] + _query.Gamma;
        if (scale == 0) return Widen(offset, 0, MathF.Abs(offset));
        float norm = c.YNorm[ord] * _sqrtD;
        float f = MathF.Min(1, scale / (c.RInv2[ord] * norm));
        return Deterministic(scale, f, raw / norm, _delta2, offset);
    }

    private (float Lo, float Hi) Deterministic(float scale, float f, float a, float delta, float offset)
    {
        float s = MathF.Sqrt(MathF.Max(0, 1 - f * f));
        float known = MathF.Max(0, MathF.Abs(a) - delta);
        float half = scale * (f * delta + s * MathF.Sqrt(MathF.Max(0, _uNorm2 - known * known)));
        float center = scale * f * a + offset;
        return Widen(center, half, scale * _query.Norm + MathF.Abs(offset));
    }

    /// <summary>Float32 rounding in the estimate and in the exact score: a small relative slack keeps bounds sound.</summary>
    private static (float Lo, float Hi) Widen(float center, float half, float magnitude)
    {
        float slack = 2e-5f * magnitude + 1e-6f;
        return (center - half - slack, center + half + slack);
    }
}
