using System.Globalization;
using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve;

internal sealed partial class VectorIndex
{
    // The graph this index owns (null: flat only). Changed only under the write lock: searches never see it change.
    private GraphIndex? _graph;

    // Set while a compacted copy is filled chunk by chunk: its graph is built once at the end (CompactedCopy).
    private bool _graphDeferred;

    /// <summary>
    /// Which index answers an unfiltered search at the default quality now: the graph when there is one, the options
    /// want it at this size and its calibration chose it; otherwise the flat cascade.
    /// </summary>
    internal IndexType AnsweringIndex => Read(() => GraphAnswers && Calibrated(Quality.Default).Path == GraphPath.Graph ? IndexType.Graph : IndexType.Flat);

    /// <summary>Why <see cref="AnsweringIndex"/> is what it is, in a few words (the calibration's reason when there is a graph).</summary>
    internal string AnsweringReason => Read(() => Options.Index switch
    {
        IndexType.Flat => "flat index",
        _ when GraphAnswers => Calibrated(Quality.Default).Reason,
        IndexType.Auto when !Options.WantsGraph(_columns.LiveCount) => string.Create(CultureInfo.InvariantCulture, $"below the graph threshold ({Options.GraphThreshold} live points)"),
        _ => "no graph yet",
    });

    /// <summary>Whether the index holds a graph (it may answer from the flat cascade while below the threshold).</summary>
    internal bool HasGraph => Read(() => _graph is not null);

    private bool GraphAnswers => _graph is not null && Options.WantsGraph(_columns.LiveCount);

    /// <summary>How the graph is built and grown: the collection's degree and build beam, on every core.</summary>
    private GraphBuildOptions GraphOptions => new()
    {
        MaxDegree = Options.GraphDegree,
        BuildBeam = Options.GraphBuildBeam,
        Threads = Environment.ProcessorCount,
    };

    /// <summary>
    /// The beam width of one graph search: the caller's, else the calibrated one (<paramref name="calibrated"/>: the
    /// unfiltered width, or the one the calibration measured for the filter's fraction); never below k.
    /// </summary>
    private static int GraphEffort(SearchOptions options, int calibrated) => Math.Max(options.K, options.Effort ?? calibrated);

    /// <summary>
    /// Under the write lock, after rows were appended and encoded: adds them to the graph one by one (the build's
    /// insertion routine), or, when there is no graph yet and the options want one at this size, builds it in bulk
    /// over every point (multi-threaded). Searches wait meanwhile.
    /// </summary>
    private void AddToGraph()
    {
        if (_graphDeferred) return;
        if (_graph is null)
        {
            if (Options.WantsGraph(_columns.LiveCount)) _graph = GraphIndex.Build(_columns, _quantizer, GraphOptions);
            return;
        }
        var options = GraphOptions;
        for (int ord = _graph.Count; ord < _columns.Count; ord++) _graph.Add(ord, options);
    }

    /// <summary>
    /// Builds the graph anew over the columns as they are (tombstones are nodes no search returns; a compacted copy
    /// has none), when the options want one at this size; otherwise drops it.
    /// </summary>
    private void RebuildGraph()
    {
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _graph = Options.WantsGraph(_columns.LiveCount) ? GraphIndex.Build(_columns, _quantizer, GraphOptions) : null;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Links the nodes that online inserts left unreached from the entry (<see cref="GraphIndex.Reconnect"/>), under the
    /// write lock (one pass over the links): before each save, and after recovery has replayed the log.
    /// </summary>
    internal void ReconnectGraph()
    {
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _graph?.Reconnect(GraphOptions);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// A search through the owned graph (a filtered traversal with <paramref name="allowed"/>); the caller holds the read
    /// lock, checked the options and has the calibrated beam width that chose the graph.
    /// </summary>
    private SearchResult SearchOwnedGraph(float[] query, SearchOptions options, int calibratedEf, ulong[]? allowed)
    {
        var encoded = _quantizer.Prepare(query);
        var cascade = new Cascade(_columns, _quantizer, encoded, options.K, options.Quality, allowed);
        return _graph!.Search(cascade, encoded, options.K, GraphEffort(options, calibratedEf)).Result;
    }

    /// <summary>The owned graph (tests: its nodes and links).</summary>
    internal GraphIndex? Graph => Read(() => _graph);

    /// <summary>
    /// What is inconsistent between the graph and the points (empty when nothing): a graph missing where the options
    /// want one, nodes that are not the ordinals, a deleted entry while points live, links out of range, live points the
    /// entry does not reach.
    /// </summary>
    internal List<string> GraphProblems() => Read(() =>
    {
        var problems = new List<string>();
        if (_graph is not { } g)
        {
            if (Options.WantsGraph(_columns.LiveCount) && !_graphDeferred) problems.Add($"no graph at {_columns.LiveCount} live points");
            return problems;
        }
        if (g.Count != _columns.Count) problems.Add($"the graph has {g.Count} nodes for {_columns.Count} ordinals");
        if (_columns.LiveCount == 0) return problems;
        if (g.Entry >= g.Count || _columns.IsDeleted(g.Entry)) problems.Add($"the entry {g.Entry} is not a live node");
        if (problems.Count > 0) return problems;
        var reached = new bool[g.Count];
        var queue = new Queue<int>([g.Entry]);
        reached[g.Entry] = true;
        while (queue.TryDequeue(out int node))
        {
            foreach (int next in g.Neighbors(node))
            {
                if (next < 0 || next >= g.Count || next == node) problems.Add($"node {node} links to {next}");
                else if (!reached[next])
                {
                    reached[next] = true;
                    queue.Enqueue(next);
                }
            }
        }
        int stranded = 0;
        for (int ord = 0; ord < g.Count; ord++) if (!reached[ord] && !_columns.IsDeleted(ord)) stranded++;
        if (stranded > 0) problems.Add($"{stranded} live points are not reached from the entry");
        return problems;
    });

    /// <summary>
    /// Builds a proximity graph over the points as they are now (<see cref="GraphIndex.Build"/>), under the read lock:
    /// writes wait for the build. The graph is a snapshot: after a write, <see cref="SearchGraph"/> refuses it.
    /// </summary>
    internal GraphIndex BuildGraph(GraphBuildOptions options)
    {
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return GraphIndex.Build(_columns, _quantizer, options);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Searches a graph built by <see cref="BuildGraph"/> with a fixed beam width (see <see cref="GraphIndex.Search"/>).</summary>
    /// <exception cref="InvalidOperationException">The index was written to (or retrained) since the graph was built.</exception>
    /// <param name="graph">The graph.</param>
    /// <param name="query">The query vector.</param>
    /// <param name="k">Results.</param>
    /// <param name="ef">Beam width.</param>
    /// <param name="quality">The quality target (interval widths; <see cref="Quality.Exact"/> certifies).</param>
    /// <param name="filter">
    /// A filter's points, or null: a filtered traversal returns only allowed points (see <see cref="GraphIndex.Search"/>);
    /// a set that allows every live point is no limit (the unfiltered traversal), as in
    /// <see cref="Search(ReadOnlySpan{float}, SearchOptions?, AllowedSet?)"/>.
    /// </param>
    internal GraphSearchResult SearchGraph(GraphIndex graph, ReadOnlySpan<float> query, int k, int ef, Quality quality, AllowedSet? filter = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        new SearchOptions { K = k, Quality = quality }.Validate();
        var q = new float[Dimension];
        Prepare(query, q, "query");
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowIfStale(graph);
            var encoded = _quantizer.Prepare(q);
            var allowed = filter?.Resolve(_columns, _ordinals).Bits;
            var cascade = new Cascade(_columns, _quantizer, encoded, k, quality, allowed);
            return graph.Search(cascade, encoded, k, ef);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Calibrates a graph built by <see cref="BuildGraph"/> for a quality target on this index's own points
    /// (<see cref="GraphCalibration.Run"/>), under the read lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index was written to (or retrained) since the graph was built.</exception>
    internal GraphCalibration CalibrateGraph(GraphIndex graph, Quality quality, GraphCalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowIfStale(graph);
            return GraphCalibration.Run(graph, quality, options);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void ThrowIfStale(GraphIndex graph)
    {
        if (!ReferenceEquals(graph.Columns, _columns) || !ReferenceEquals(graph.Quantizer, _quantizer) || graph.Count != _columns.Count
            || graph.Deleted != _columns.DeletedCount)
            throw new InvalidOperationException("The graph was built over an earlier state of this index; rebuild it after writes.");
    }
}
