using BitSieve.Quantization;

namespace BitSieve;

internal sealed partial class VectorIndex
{
    /// <summary>
    /// The centroid is re-trained when the mean of the live data has moved more than this fraction of the data's
    /// spread (in squared norm) away from it: the estimator stays unbiased, but its error grows with ‖x − c‖.
    /// </summary>
    private const double DriftTolerance = 0.25;

    /// <summary>Re-training also waits until this fraction of new points arrived since the last one (amortization).</summary>
    private const double RetrainGrowth = 0.1;

    /// <summary>Inserts or replaces one point.</summary>
    public void Upsert(ulong id, ReadOnlySpan<float> vector) => UpsertBatch([id], vector);

    /// <summary>
    /// Inserts or replaces many points; <paramref name="vectors"/> is row-major with ids.Length rows. Every row is
    /// checked before anything is written, so a bad row leaves the collection unchanged.
    /// </summary>
    public void UpsertBatch(ReadOnlySpan<ulong> ids, ReadOnlySpan<float> vectors) => UpsertBatch(ids, Encode(ids, vectors));

    /// <summary>
    /// Checks rows and encodes them against the current quantizer without taking the write lock, so the costly part of
    /// a write can run while searches continue (or while its log record is made durable); see <see cref="UpsertBatch(ReadOnlySpan{ulong}, EncodedBatch)"/>.
    /// </summary>
    internal EncodedBatch Encode(ReadOnlySpan<ulong> ids, ReadOnlySpan<float> vectors)
    {
        int d = Dimension;
        if ((long)ids.Length * d != vectors.Length)
            throw new ArgumentException($"{ids.Length} ids need {(long)ids.Length * d} floats ({d} per vector); got {vectors.Length}.", nameof(vectors));
        var batch = new EncodedBatch(_quantizer, ids.Length);
        for (int i = 0; i < ids.Length; i++)
            Prepare(vectors.Slice(i * d, d), batch.Row(i), $"vector of point {ids[i]} (row {i})");
        batch.EncodeAll();
        return batch;
    }

    /// <summary>
    /// Inserts or replaces points encoded by <see cref="Encode"/>. Rows encoded against a quantizer that has since been
    /// replaced are encoded again; a batch that triggers re-training re-encodes everything.
    /// </summary>
    internal void UpsertBatch(ReadOnlySpan<ulong> ids, EncodedBatch batch)
    {
        if (ids.Length != batch.Count) throw new ArgumentException($"{ids.Length} ids for {batch.Count} encoded rows.", nameof(ids));
        if (ids.IsEmpty) return;
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int first = _columns.Count;
            _columns.EnsureCapacity(first + ids.Length);
            for (int i = 0; i < ids.Length; i++)
            {
                if (_ordinals.TryGetValue(ids[i], out int old)) RemoveOrdinal(old);
                var row = batch.Row(i);
                int ord = _columns.Append(ids[i], row);
                _ordinals[ids[i]] = ord;
                AddToSums(row, +1);
            }
            if (NeedsTraining()) Retrain();
            else if (batch.Quantizer != _quantizer) EncodeRange(first, _columns.Count);
            else
                for (int i = 0; i < ids.Length; i++)
                {
                    int ord = first + i;
                    if (_columns.IsDeleted(ord)) continue; // an id repeated within the batch: its later row replaced it
                    _columns.WriteSignRow(ord, batch.Sign(i));
                    batch.Refine(i).CopyTo(_columns.RefineRow(ord));
                    _columns.SetEncoded(ord, batch.Factors[i]);
                }
            AddToGraph();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Deletes a point; throws <see cref="KeyNotFoundException"/> for an unknown id.</summary>
    public void Delete(ulong id)
    {
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_ordinals.TryGetValue(id, out int ord)) throw UnknownId(id);
            RemoveOrdinal(ord);
            _ordinals.Remove(id);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Re-trains the centroid on the live data and re-encodes every live point.</summary>
    public void Compact()
    {
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_columns.LiveCount > 0) Retrain();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// A new index holding the live points only (tombstones dropped, ordinals renumbered in the same order), with a
    /// centroid trained on them: the points live when this is called. Searches and writes may go on meanwhile.
    /// </summary>
    /// <exception cref="CorruptFileException">A saved segment of originals fails its checksum (nothing is built).</exception>
    public VectorIndex CompactedCopy()
    {
        var copy = CompactedCopy(CutLive(), CancellationToken.None);
        copy.LogSequence = LogSequence;
        return copy;
    }

    /// <summary>The rows and tombstones of this moment, for a <see cref="CompactedCopy(LiveCut, CancellationToken)"/> made later.</summary>
    internal LiveCut CutLive() => Read(() => new LiveCut(_columns.Count, _columns.Deleted.AsSpan(0, (_columns.Count + 63) >> 6).ToArray()));

    /// <summary>
    /// A compacted copy of the points live at <paramref name="cut"/>. Rows never change once appended, so the copy reads
    /// them a chunk at a time under the read lock: writes made since the cut, or during the copy, are not in it, and
    /// they wait for at most one chunk — and once for the verification of the originals' checksums that comes first.
    /// </summary>
    internal VectorIndex CompactedCopy(LiveCut cut, CancellationToken cancel)
    {
        // A compacted index is built from the originals alone: damaged ones must fail it, not be copied into it. The
        // segments never change once written; the read lock only keeps them mapped while they are read.
        Read(() =>
        {
            _columns.Originals.VerifySegments();
            return true;
        });
        var copy = Create(Options);
        copy._graphDeferred = true; // built once over the compacted columns below, not grown point by point
        try
        {
            const int chunk = 4096;
            var ids = new ulong[chunk];
            var rows = new float[chunk * Dimension];
            for (int start = 0; start < cut.Count; start += chunk)
            {
                cancel.ThrowIfCancellationRequested();
                int taken = 0;
                _lock.EnterReadLock();
                try
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    for (int ord = start; ord < Math.Min(cut.Count, start + chunk); ord++)
                    {
                        if ((cut.Deleted[ord >> 6] & (1UL << (ord & 63))) != 0) continue;
                        _columns.Originals.Row(ord).CopyTo(rows.AsSpan(taken * Dimension));
                        ids[taken++] = _columns.Ids[ord];
                    }
                }
                finally
                {
                    _lock.ExitReadLock();
                }
                copy.UpsertBatch(ids.AsSpan(0, taken), rows.AsSpan(0, taken * Dimension));
            }
            copy.Compact();
            copy._graphDeferred = false;
            copy.RebuildGraph();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Rows and tombstones at one moment (<see cref="CutLive"/>).</summary>
    /// <param name="Count">Rows in use, deleted ones included.</param>
    /// <param name="Deleted">A copy of the tombstone bits of those rows.</param>
    internal sealed record LiveCut(int Count, ulong[] Deleted);

    private void RemoveOrdinal(int ordinal)
    {
        AddToSums(_columns.Originals.Row(ordinal), -1);
        _columns.MarkDeleted(ordinal);
        _graph?.Remove(ordinal);
    }

    private void AddToSums(ReadOnlySpan<float> row, int sign)
    {
        double squares = 0;
        for (int i = 0; i < row.Length; i++)
        {
            _sum[i] += sign * (double)row[i];
            squares += (double)row[i] * row[i];
        }
        _sumSquares += sign * squares;
    }

    /// <summary>
    /// True when an untrained collection reached its training size, or when the live mean has drifted from the
    /// centroid by more than <see cref="DriftTolerance"/> of the spread and enough new points arrived since.
    /// </summary>
    private bool NeedsTraining()
    {
        int live = _columns.LiveCount;
        if (live == 0) return false;
        if (!_trained) return live >= Options.TrainingSize;
        if (live < _liveAtTraining * (1 + RetrainGrowth)) return false;
        double drift = 0, meanNorm2 = 0;
        var c = _quantizer.Centroid;
        for (int i = 0; i < _sum.Length; i++)
        {
            double mean = _sum[i] / live;
            drift += (mean - c[i]) * (mean - c[i]);
            meanNorm2 += mean * mean;
        }
        double spread = Math.Max(0, _sumSquares / live - meanNorm2);
        return drift > DriftTolerance * spread;
    }

    private void Retrain()
    {
        int live = _columns.LiveCount;
        var centroid = new float[Dimension];
        for (int i = 0; i < centroid.Length; i++) centroid[i] = (float)(_sum[i] / live);
        _quantizer = new Quantizer(Dimension, Options.Metric, Options.Bits, Options.RotationSeed, centroid);
        _trained = true;
        _liveAtTraining = live;
        EncodeRange(0, _columns.Count);
        _graph?.Reencode(_quantizer, Environment.ProcessorCount);
    }

    private void EncodeRange(int start, int end)
    {
        var columns = _columns;
        var quantizer = _quantizer;
        const int chunk = 256; // a multiple of 64: threads never share a FastScan block
        int chunks = (end - start + chunk - 1) / chunk;
        Parallel.For(0, chunks, c =>
        {
            int from = start + c * chunk, to = Math.Min(end, from + chunk);
            Span<ulong> sign = stackalloc ulong[columns.Words];
            for (int ord = from; ord < to; ord++)
            {
                if (columns.IsDeleted(ord)) continue;
                quantizer.Encode(columns.Originals.Row(ord), sign, columns.RefineRow(ord), out VectorFactors f);
                columns.WriteSignRow(ord, sign);
                columns.SetEncoded(ord, f);
            }
        });
    }
}
