using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve.Search.Graph;

internal sealed partial class GraphIndex
{
    /// <summary>
    /// Builds the graph over every ordinal of <paramref name="columns"/> (Vamana, one pass): points are inserted in a
    /// seeded random order, the medoid first; each insertion searches the graph so far for the point (beam
    /// <see cref="GraphBuildOptions.BuildBeam"/>), keeps an α-pruned subset of the nodes it expanded as neighbours, and
    /// adds the reverse edges, pruning a neighbour's list when it overflows. Every distance of the build is taken on
    /// 8-bit <see cref="BuildCodes"/> of the points, made once at the start (the float32 originals are read in order
    /// then, never at random).
    /// With several threads, insertions run at once under per-node locks (the order of concurrent insertions then varies).
    /// The caller keeps the columns unchanged during the build.
    /// </summary>
    public static GraphIndex Build(VectorColumns columns, Quantizer quantizer, GraphBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(quantizer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var graph = new GraphIndex(columns, quantizer, options.MaxDegree);
        int n = graph.Count;
        int threads = Math.Max(1, Math.Min(options.Threads, n / 1024 + 1));
        graph.FillRows(threads);
        if (n == 0) return graph; // an empty graph grows by online inserts, at degree R
        graph.Restride(SlackDegree(options.MaxDegree));
        graph.Entry = graph.Medoid();
        var order = new int[n - 1];
        for (int i = 0, at = 0; i < n; i++)
            if (i != graph.Entry) order[at++] = i;
        new Random(options.Seed).Shuffle(order);
        using var codes = BuildCodes.Encode(columns, quantizer.Rotation, threads);
        int next = -1;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            var inserter = new Inserter(graph, options, codes);
            for (int i = Interlocked.Increment(ref next); i < order.Length; i = Interlocked.Increment(ref next))
                inserter.Insert(order[i]);
        });
        var finisher = new Inserter(graph, options, codes);
        for (int node = 0; node < n; node++) finisher.Trim(node);
        graph.Restride(options.MaxDegree);
        graph.Connect(finisher);
        return graph;
    }

    /// <summary>
    /// Reverse-edge pruning can take a node's last incoming edge. Each node the entry no longer reaches gets an edge
    /// from a reachable node near it (one with room, else the nearest, whose longest edge it replaces); rounds repeat
    /// until every node is reached, since a replaced edge may strand another node.
    /// </summary>
    private void Connect(Inserter inserter)
    {
        var reached = new bool[Count];
        var queue = new Queue<int>();
        var neighbors = new int[MaxDegree];
        while (true)
        {
            Array.Clear(reached);
            reached[Entry] = true;
            queue.Enqueue(Entry);
            int count = 1;
            while (queue.TryDequeue(out int node))
            {
                int degree = CopyNeighbors(node, neighbors);
                for (int j = 0; j < degree; j++)
                {
                    int next = neighbors[j];
                    if (reached[next]) continue;
                    reached[next] = true;
                    count++;
                    queue.Enqueue(next);
                }
            }
            if (count == Count) return;
            for (int node = 0; node < Count; node++)
                if (!reached[node]) inserter.LinkFromReachable(node);
        }
    }

    /// <summary>
    /// Room for neighbours during the build and between saves of a live graph: 30 % over R (DiskANN's slack), pruned to R
    /// when it fills, at the end of a build and before a save.
    /// </summary>
    private static int SlackDegree(int maxDegree) => maxDegree * 13 / 10;

    /// <summary>The live point nearest the mean of the live points.</summary>
    private int Medoid()
    {
        var c = Columns;
        int d = c.Dimension;
        var sum = new double[d];
        int live = 0;
        for (int ord = 0; ord < Count; ord++)
        {
            if (c.DeletedCount > 0 && c.IsDeleted(ord)) continue;
            var row = c.Originals.Row(ord);
            for (int j = 0; j < d; j++) sum[j] += row[j];
            live++;
        }
        var mean = new float[d];
        for (int j = 0; j < d; j++) mean[j] = (float)(sum[j] / Math.Max(1, live));
        int best = 0;
        float bestDistance = float.PositiveInfinity;
        for (int ord = 0; ord < Count; ord++)
        {
            if (c.DeletedCount > 0 && c.IsDeleted(ord)) continue;
            float distance = Kernels.SquaredDistance(c.Originals.Row(ord), mean);
            if (distance < bestDistance) (best, bestDistance) = (ord, distance);
        }
        return best;
    }

    /// <summary>
    /// One build thread's scratch: visit stamps, the search beam and the pruning buffers. A bulk build's inserters take
    /// their distances on its <see cref="BuildCodes"/>; online inserts (no codes) on the float32 originals.
    /// </summary>
    private sealed class Inserter
    {
        private readonly GraphIndex _graph;
        private readonly GraphBuildOptions _options;
        private readonly BuildCodes? _codes;
        private readonly int[] _stamps;
        private int _stamp;
        private readonly Beam _beam = new();
        private readonly List<(float Distance, int Node)> _pool = [];
        private readonly int[] _neighbors;
        private readonly int[] _kept;
        // A second output buffer: reverse edges are pruned while the point's own list is still being walked.
        private readonly int[] _rekept;
        private bool[] _occluded = new bool[64];

        public Inserter(GraphIndex graph, GraphBuildOptions options, BuildCodes? codes = null)
        {
            _graph = graph;
            _options = options;
            _codes = codes;
            _stamps = new int[graph.NodeCapacity];
            _neighbors = new int[SlackDegree(graph.MaxDegree)];
            _kept = new int[graph.MaxDegree];
            _rekept = new int[graph.MaxDegree];
        }

        /// <summary>Whether the visit stamps cover every node of <paramref name="graph"/> (online inserts grow it).</summary>
        public bool Fits(GraphIndex graph) => ReferenceEquals(graph, _graph) && graph.NodeCapacity <= _stamps.Length;

        private float Distance(int a, int b) => _codes is { } codes
            ? codes.Distance(a, b)
            : Kernels.SquaredDistance(_graph.Columns.Originals.Row(a), _graph.Columns.Originals.Row(b));

        private void Prefetch(int node)
        {
            if (_codes is { } codes) codes.Prefetch(node);
            else _graph.Columns.Originals.Prefetch(node);
        }

        public void Insert(int point)
        {
            var g = _graph;
            Search(point);
            int degree = Prune(point, _kept);
            lock (g._locks[point & (LockStripes - 1)])
            {
                int at = point * g.LinkStride;
                g._links[at] = degree;
                _kept.AsSpan(0, degree).CopyTo(g._links.AsSpan(at + 1));
            }
            for (int i = 0; i < degree; i++) AddReverseEdge(_kept[i], point);
        }

        /// <summary>Best-first search for the point from the entry; the nodes it expands, with their distances, go to the pool.</summary>
        private void Search(int point)
        {
            var g = _graph;
            if (++_stamp == int.MaxValue)
            {
                Array.Clear(_stamps);
                _stamp = 1;
            }
            _pool.Clear();
            _beam.Reset(_options.BuildBeam);
            _stamps[g.Entry] = _stamp;
            _stamps[point] = _stamp;
            _beam.Insert(g.Entry, -Distance(point, g.Entry), 0, 0);
            for (int i = _beam.NextToExpand(); i >= 0; i = _beam.NextToExpand())
            {
                int node = _beam[i].Ordinal;
                _pool.Add((-_beam[i].Score, node));
                int degree = g.CopyNeighbors(node, _neighbors);
                // The unvisited neighbours' rows are requested together, then their distances taken: the rows are
                // scattered, and overlapping their misses is most of the build's search time.
                int fresh = 0;
                for (int j = 0; j < degree; j++)
                {
                    int next = _neighbors[j];
                    if (_stamps[next] == _stamp) continue;
                    _stamps[next] = _stamp;
                    _neighbors[fresh++] = next;
                    Prefetch(next);
                }
                for (int j = 0; j < fresh; j++) _beam.Insert(_neighbors[j], -Distance(point, _neighbors[j]), 0, 0);
            }
        }

        /// <summary>
        /// α-pruning of the pool into at most R neighbours, nearest first: a candidate is kept unless a kept neighbour n
        /// has α·d(n, c) ≤ d(p, c). Returns how many were written to <paramref name="kept"/>.
        /// </summary>
        private int Prune(int point, int[] kept)
        {
            _pool.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Node.CompareTo(b.Node));
            if (_occluded.Length < _pool.Count) _occluded = new bool[_pool.Count * 2];
            Array.Clear(_occluded, 0, _pool.Count);
            float alpha = _options.Alpha;
            int count = 0;
            for (int i = 0; i < _pool.Count && count < kept.Length; i++)
            {
                if (_occluded[i]) continue;
                var (_, node) = _pool[i];
                if (node == point) continue;
                kept[count++] = node;
                for (int j = i + 1; j < _pool.Count; j++)
                    if (!_occluded[j] && alpha * Distance(node, _pool[j].Node) <= _pool[j].Distance) _occluded[j] = true;
            }
            return count;
        }

        /// <summary>Prunes a node's list to R when the build's slack left it longer.</summary>
        public void Trim(int node)
        {
            var g = _graph;
            int at = node * g.LinkStride;
            if (g._links[at] <= g.MaxDegree) return;
            int kept = Trimmed(node, _rekept);
            g._links[at] = kept;
            _rekept.AsSpan(0, kept).CopyTo(g._links.AsSpan(at + 1));
        }

        /// <summary>A node's list α-pruned to at most R neighbours, written to <paramref name="kept"/> (the list itself is not changed); returns how many.</summary>
        public int Trimmed(int node, int[] kept)
        {
            var g = _graph;
            int at = node * g.LinkStride;
            _pool.Clear();
            foreach (int neighbor in g._links.AsSpan(at + 1, g._links[at])) _pool.Add((Distance(node, neighbor), neighbor));
            return Prune(node, kept);
        }

        /// <summary>Gives a node that the entry does not reach an incoming edge from the reachable nodes nearest it.</summary>
        public void LinkFromReachable(int point)
        {
            var g = _graph;
            Search(point);
            _pool.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Node.CompareTo(b.Node));
            foreach (var (_, node) in _pool)
            {
                int at = node * g.LinkStride;
                if (g._links[at] >= g.MaxDegree) continue;
                g._links[at + 1 + g._links[at]] = point;
                g._links[at]++;
                return;
            }
            int nearest = _pool[0].Node, from = nearest * g.LinkStride, longest = 0;
            for (int j = 1; j < g._links[from]; j++)
                if (Distance(nearest, g._links[from + 1 + j]) > Distance(nearest, g._links[from + 1 + longest])) longest = j;
            g._links[from + 1 + longest] = point;
        }

        /// <summary>Adds point to node's list; a full list is pruned again over its neighbours and the point.</summary>
        private void AddReverseEdge(int node, int point)
        {
            var g = _graph;
            lock (g._locks[node & (LockStripes - 1)])
            {
                int at = node * g.LinkStride;
                int degree = g._links[at];
                var list = g._links.AsSpan(at + 1, degree);
                if (list.Contains(point)) return;
                if (degree < g.LinkStride - 1)
                {
                    g._links[at + 1 + degree] = point;
                    g._links[at] = degree + 1;
                    return;
                }
                _pool.Clear();
                foreach (int neighbor in list) _pool.Add((Distance(node, neighbor), neighbor));
                _pool.Add((Distance(node, point), point));
                int kept = Prune(node, _rekept);
                g._links[at] = kept;
                _rekept.AsSpan(0, kept).CopyTo(g._links.AsSpan(at + 1));
            }
        }
    }
}
