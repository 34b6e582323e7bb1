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
    internal GraphSearchResult SearchGraph(GraphIndex graph, ReadOnlySpan<float> query, int k, int ef, Quality quality)
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
            var cascade = new Cascade(_columns, _quantizer, encoded, k, quality);
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
