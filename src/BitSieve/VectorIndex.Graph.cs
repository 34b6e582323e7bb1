using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve;

internal sealed partial class VectorIndex
{
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
    /// <param name="allowed">
    /// A filter's allowed ordinals (one bit each, as <see cref="Search(ReadOnlySpan{float}, SearchOptions?, IEnumerable{ulong}?, bool)"/>
    /// builds them), or null: a filtered traversal returns only allowed points (see <see cref="GraphIndex.Search"/>).
    /// </param>
    internal GraphSearchResult SearchGraph(GraphIndex graph, ReadOnlySpan<float> query, int k, int ef, Quality quality, ulong[]? allowed = null)
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
            if (allowed is not null && allowed.Length < (_columns.Count + 63) >> 6)
                throw new ArgumentException($"The allowed set has {allowed.Length} words; {_columns.Count} points need {(_columns.Count + 63) >> 6}.", nameof(allowed));
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
