using BitSieve.Quantization;
using BitSieve.Search;
using BitSieve.Search.Graph;

namespace BitSieve;

internal sealed partial class VectorIndex
{
    /// <summary>
    /// A calibration is redone when the live points have grown (or shrunk) by this factor since it was made: the flat
    /// cascade's cost is linear in them, the graph's is not, so the choice between them moves with the size.
    /// </summary>
    private const int RecalibrationFactor = 2;

    // The owned graph's calibrations by quality target. Guarded by its own monitor: searches share the read lock,
    // and the first to need a calibration makes it while the others of that moment wait for it.
    private readonly Dictionary<Quality, OwnedCalibration> _calibrations = [];

    private GraphCalibrationOptions _calibrationOptions = new();

    /// <summary>A calibration of the owned graph, and the state it was made on.</summary>
    private sealed record OwnedCalibration(GraphIndex Graph, Quantizer Quantizer, int Live, GraphCalibration Result);

    /// <summary>
    /// How the owned graph is calibrated (<see cref="GraphCalibration.Run"/>): the sample, the widths tried and the visit
    /// cost. Setting it drops the calibrations made so far. Tests set a near-zero visit cost so that the graph is chosen
    /// on the small fixture, where scanning every code is cheaper.
    /// </summary>
    internal GraphCalibrationOptions CalibrationOptions
    {
        get => Read(() => _calibrationOptions);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _lock.EnterWriteLock();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _calibrationOptions = value;
                lock (_calibrations) _calibrations.Clear();
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
    }

    /// <summary>
    /// The owned graph's calibration for <paramref name="quality"/> (null without a graph), made now when there is none
    /// for this graph, this encoding and about this many live points. Runs under the read lock, as searches do.
    /// </summary>
    internal GraphCalibration? GraphCalibrationFor(Quality quality) => Read(() => _graph is null ? null : Calibrated(quality));

    /// <summary>
    /// The owned graph's calibration for <paramref name="quality"/>; the caller holds the read lock and checked that
    /// there is a graph. A new graph (bulk build at the threshold, at open or at compaction), a retrained centroid, or
    /// live points grown or shrunk by <see cref="RecalibrationFactor"/> make the cached one stale.
    /// </summary>
    private GraphCalibration Calibrated(Quality quality)
    {
        var graph = _graph!;
        int live = _columns.LiveCount;
        lock (_calibrations)
        {
            if (_calibrations.TryGetValue(quality, out var cached) && ReferenceEquals(cached.Graph, graph)
                && ReferenceEquals(cached.Quantizer, _quantizer)
                && live <= (long)cached.Live * RecalibrationFactor && (long)live * RecalibrationFactor >= cached.Live)
                return cached.Result;
            var result = GraphCalibration.Run(graph, quality, _calibrationOptions);
            _calibrations[quality] = new OwnedCalibration(graph, _quantizer, live, result);
            return result;
        }
    }
}
