using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using BitSieve.Quantization;

namespace BitSieve.Search.Graph;

internal sealed partial class GraphIndex
{
    [ThreadStatic]
    private static Searcher? t_searcher;

    /// <summary>
    /// Searches the graph on the precision ladder with a fixed beam width <paramref name="ef"/>: best-first from the
    /// entry, each new neighbour scored by its T1 estimate and interval (from its node row) and entering the beam when
    /// its estimate beats the beam's worst; a node is refined at T2 when it is about to be expanded (and moves to its
    /// refined place before the next node is taken), so nodes that fall off the beam unexpanded are never read at T2.
    /// The final beam is settled as the flat cascade settles its T1 survivors (<see cref="Cascade.Finish"/>): T2 where
    /// intervals still reach the k-th lower bound (a node refined while steering keeps that interval and is not scored
    /// at T2 again), T3 until no interval can reach the k-th exact score.
    /// The effort is this fixed <paramref name="ef"/>; <see cref="GraphCalibration"/> finds the one a quality target needs.
    /// <para>
    /// A cascade built with an allowed set (a filter's bitmap) makes the traversal filtered: only allowed nodes enter the
    /// beam and are returned. Every neighbour reached is estimated, allowed or not; a disallowed one whose estimate beats
    /// the beam's boundary (one that would have entered the beam without the filter) is crossed instead (two-hop
    /// expansion: its allowed neighbours not yet reached become candidates in its place, until a hop has added as many
    /// as the expanded node has neighbours), so that a selective filter does not strand the search among nodes it may not
    /// return, and a broad one does not cross the far neighbours an unfiltered search would have dropped.
    /// <see cref="GraphPlanner"/> says when this path beats scoring the allowed points or the flat cascade.
    /// </para>
    /// </summary>
    /// <param name="cascade">
    /// The query's cascade (its estimator coefficients, its allowed set and its settling), built on <see cref="Columns"/>.
    /// </param>
    /// <param name="query">The same query, encoded.</param>
    /// <param name="k">Results.</param>
    /// <param name="ef">Beam width, at least <paramref name="k"/>.</param>
    /// <param name="absent">
    /// A node the traversal treats as absent (never reached, expanded or returned), or −1: <see cref="GraphCalibration"/>
    /// searches a stored point's own vector without that point, as a query from outside the collection arrives.
    /// </param>
    public GraphSearchResult Search(Cascade cascade, EncodedQuery query, int k, int ef, int absent = -1)
    {
        ArgumentNullException.ThrowIfNull(cascade);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, k);
        var searcher = t_searcher is { } cached && cached.Fits(this) ? cached : t_searcher = new Searcher(this);
        return searcher.Run(cascade, query, k, ef, absent);
    }

    /// <summary>One thread's search scratch: a visited bit per node, the beam, a neighbour buffer.</summary>
    private sealed class Searcher(GraphIndex graph)
    {
        // One bit per node, cleared per search (n / 8 bytes: 21 KB at 172,451 nodes, which stays in the L1 cache; an int
        // stamp per node, 690 KB there, did not stay in L2 and made a traversal 1.2-1.3 times slower).
        private readonly ulong[] _visited = new ulong[(graph.NodeCapacity + 63) / 64];
        // Room for a node's neighbours and, under a filter, the neighbours of each one it crosses.
        // Lists may hold the slack of online inserts (SlackDegree) between saves.
        private readonly int[] _fresh = new int[SlackDegree(graph.MaxDegree) * (SlackDegree(graph.MaxDegree) + 1)];
        private readonly float[] _lo = new float[SlackDegree(graph.MaxDegree) * (SlackDegree(graph.MaxDegree) + 1)];
        private readonly float[] _hi = new float[SlackDegree(graph.MaxDegree) * (SlackDegree(graph.MaxDegree) + 1)];
        // Under a filter, the hop's allowed neighbours and its disallowed ones to cross (their places in _fresh).
        private readonly int[] _entering = new int[SlackDegree(graph.MaxDegree)];
        private readonly int[] _crossing = new int[SlackDegree(graph.MaxDegree)];
        private readonly Beam _beam = new();

        // The graph itself, not only its size: a thread searches several graphs (collections, a compacted copy).
        public bool Fits(GraphIndex other) => ReferenceEquals(other, graph) && other.Count <= _visited.Length * 64;

        public GraphSearchResult Run(Cascade cascade, EncodedQuery query, int k, int ef, int absent)
        {
            var g = graph;
            long started = Stopwatch.GetTimestamp();
            Array.Clear(_visited);
            var planes = query.T1.Planes;
            var allowed = cascade.Allowed;
            int hops = 0, visited = 0, refined = 0;
            _beam.Reset(ef);
            // The entry itself cannot be absent: the traversal has to start somewhere.
            if (absent >= 0 && absent != g.Entry) Visit(absent);
            if (g.Count > 0)
            {
                Visit(g.Entry);
                visited++;
                var (lo0, hi0) = Estimate(cascade, planes, g.Entry);
                _beam.Insert(g.Entry, (lo0 + hi0) / 2, lo0, hi0);
            }
            var links = g._links;
            for (int i = _beam.NextToExpand(); i >= 0; i = _beam.NextToExpand())
            {
                if (!_beam[i].Refined)
                {
                    // Refined when it is about to be expanded, not when it entered: most nodes that enter the beam fall
                    // off it again unexpanded, and those never need T2. Its T2 interval moves it to its place; the best
                    // node not yet expanded (it, or one that now ranks above it) is taken next.
                    var entry = _beam[i];
                    refined++;
                    var (lo, hi) = Refine(cascade, entry.Ordinal, entry.Lo, entry.Hi);
                    _beam.RemoveAt(i);
                    _beam.Insert(entry.Ordinal, (lo + hi) / 2, lo, hi, refined: true);
                    continue;
                }
                int node = _beam[i].Ordinal;
                hops++;
                // Searches never run beside a build or an online insert (the owner's lock), so lists are read without the build's locks.
                int at = node * g.LinkStride;
                int degree = links[at];
                int fresh = 0;
                for (int j = 0; j < degree; j++)
                {
                    int next = links[at + 1 + j];
                    if (!Visit(next)) continue;
                    _fresh[fresh++] = next;
                    g.PrefetchRow(next);
                }
                // Every neighbour not yet reached is estimated (all T1 intervals first: their rows were prefetched together).
                for (int j = 0; j < fresh; j++) (_lo[j], _hi[j]) = Estimate(cascade, planes, _fresh[j]);
                if (allowed is null)
                {
                    for (int j = 0; j < fresh; j++) Enter(cascade, j);
                }
                else
                {
                    fresh = EnterUnderFilter(cascade, planes, allowed, links, fresh, degree);
                }
                visited += fresh;
            }

            var state = new T1State(k) { Seen = visited };
            var columns = g.Columns;
            for (int i = 0; i < _beam.Count; i++)
            {
                ref var entry = ref _beam[i];
                if ((columns.DeletedCount > 0 && columns.IsDeleted(entry.Ordinal)) || (allowed is not null && !IsAllowed(allowed, entry.Ordinal))) continue;
                if (entry.Lo > state.Lower.Threshold) state.Lower.Add(entry.Lo, entry.Ordinal);
                state.Candidates.Add(new Candidate(entry.Ordinal, entry.Lo, entry.Hi, entry.Refined));
            }
            state.Ticks = Stopwatch.GetTimestamp() - started;
            var result = cascade.Finish([state]);
            result.Trace.T2Seen += refined;
            var trace = new GraphTrace(hops, visited, visited, result.Trace.T1Seen, result.Trace.T2Seen, result.Trace.T3Seen);
            return new GraphSearchResult(result, trace);
        }

        /// <summary>
        /// Offers a hop's <paramref name="fresh"/> estimated neighbours to the beam under a filter, and crosses the close
        /// disallowed ones; returns the hop's candidates, crossed ones' neighbours included. The allowed neighbours may
        /// enter the beam; a disallowed one whose estimate beats the beam's boundary, one that would have entered it
        /// without the filter, is crossed (two-hop expansion): its allowed neighbours not yet reached are estimated in
        /// its place, as candidates of this hop, once the allowed neighbours have raised the boundary (one that no longer
        /// beats it is not crossed). Crossings stop once they have added as many candidates as the node has neighbours
        /// (<paramref name="degree"/>). One left uncrossed is not estimated again, as a node that fell off an unfiltered beam.
        /// <para>
        /// The allowed bit decides without a branch: under a broad filter it is a coin toss for the branch predictor, and
        /// a mispredicted branch per neighbour cost more than the rest of the selection (kdocs at 50 %: 1.19 times the
        /// traversal's queries per second with the same nodes visited, <c>docs/graph.md</c>).
        /// </para>
        /// </summary>
        private int EnterUnderFilter(Cascade cascade, ulong[] planes, ulong[] allowed, int[] links, int fresh, int degree)
        {
            var g = graph;
            float boundary = _beam.Boundary;
            int entering = 0, crossing = 0;
            for (int j = 0; j < fresh; j++)
            {
                int isAllowed = IsAllowed(allowed, _fresh[j]) ? 1 : 0;
                _entering[entering] = j;
                entering += isAllowed;
                _crossing[crossing] = j;
                crossing += (isAllowed ^ 1) & (Score(j) > boundary ? 1 : 0);
            }
            for (int c = 0; c < crossing; c++) g.PrefetchLinks(_fresh[_crossing[c]]);
            for (int e = 0; e < entering; e++) Enter(cascade, _entering[e]);
            int direct = fresh;
            for (int c = 0; c < crossing && fresh - direct < degree; c++)
            {
                int j = _crossing[c];
                if (Score(j) <= _beam.Boundary) continue;
                int across = _fresh[j] * g.LinkStride, first = fresh;
                for (int m = 0, reach = links[across]; m < reach; m++)
                {
                    // Kept when allowed and not yet reached, again without a branch.
                    int second = links[across + 1 + m];
                    ref ulong word = ref _visited[second >> 6];
                    ulong take = ~word & allowed[second >> 6] & (1UL << second);
                    word |= take;
                    _fresh[fresh] = second;
                    fresh += take != 0 ? 1 : 0;
                }
                for (int m = first; m < fresh; m++) g.PrefetchRow(_fresh[m]);
            }
            for (int j = direct; j < fresh; j++) (_lo[j], _hi[j]) = Estimate(cascade, planes, _fresh[j]);
            for (int j = direct; j < fresh; j++) Enter(cascade, j);
            return fresh;
        }

        /// <summary>The score of the hop's candidate at <paramref name="j"/>: the middle of its T1 interval.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Score(int j) => (_lo[j] + _hi[j]) / 2;

        /// <summary>
        /// Offers the hop's candidate at <paramref name="j"/> to the beam on its T1 estimate. One that enters is likely
        /// to be expanded soon, so its adjacency row and its T2 row (read when it is expanded) are requested now.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Enter(Cascade cascade, int j)
        {
            int node = _fresh[j];
            if (!_beam.Insert(node, Score(j), _lo[j], _hi[j])) return;
            graph.PrefetchLinks(node);
            cascade.PrefetchT2(node);
        }

        /// <summary>A node's T1 interval refined at T2: their intersection, or the T2 interval where they do not meet.</summary>
        private static (float Lo, float Hi) Refine(Cascade cascade, int node, float lo, float hi)
        {
            var (lo2, hi2) = cascade.Interval2(node);
            return MathF.Max(lo, lo2) <= MathF.Min(hi, hi2) ? (MathF.Max(lo, lo2), MathF.Min(hi, hi2)) : (lo2, hi2);
        }

        /// <summary>Marks a node visited; false when it already was.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Visit(int node)
        {
            ref ulong word = ref _visited[node >> 6];
            ulong bit = 1UL << node;
            if ((word & bit) != 0) return false;
            word |= bit;
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool IsAllowed(ulong[] allowed, int node) => (allowed[node >> 6] & (1UL << (node & 63))) != 0;

        private (float Lo, float Hi) Estimate(Cascade cascade, ulong[] planes, int node)
        {
            var f = graph.Factors(node);
            long dot = Kernels.AsymmetricDot(graph.Code(node), planes, EncodedQuery.T1Bits);
            return cascade.Interval1(dot, f[0], f[1], f[2], f[3]);
        }
    }

    /// <summary>Asks for a node's adjacency row: its degree and up to R ids (132 B at R = 32, two or three cache lines).</summary>
    private unsafe void PrefetchLinks(int node)
    {
        if (!Sse.IsSupported) return;
        // Prefetch never faults: a stale address after the GC moved the array is harmless.
        byte* at = (byte*)Unsafe.AsPointer(ref _links[node * LinkStride]);
        for (int offset = 0; offset < LinkStride * sizeof(int); offset += 64) Sse.Prefetch0(at + offset);
    }

    /// <summary>Asks for a node row (one cache line at 384 dimensions) ahead of its estimate.</summary>
    private unsafe void PrefetchRow(int node)
    {
        if (!Sse.IsSupported) return;
        // The rows array is pinned: the address stays valid.
        fixed (ulong* row = &_rows[_rowBase + node * RowWords])
        {
            Sse.Prefetch0(row);
            if (RowWords > 8) Sse.Prefetch0(row + 8);
        }
    }
}
