using BitSieve.Storage;

namespace BitSieve;

public sealed partial class Collection
{
    /// <summary>A background compaction stops catching up without the gate once a round has at most this many writes to apply.</summary>
    private const int CatchUpUnderGate = 64;

    /// <summary>Rounds of catching up without the gate at most; the rest is applied under it, however long.</summary>
    private const int CatchUpRounds = 4;

    // While a background compaction runs, _compaction (guarded by _writeGate) is its task, and _backlog (guarded by
    // _backlogGate) collects the writes applied to the index since its cut, to be applied to the compacted copy.
    // Its outcome (_compactedCopy or _compactionError) is taken under the write gate by whoever holds it first: the
    // next write, or the compaction's own thread (a busy writer could keep an unfair lock from it for long).
    private readonly Lock _backlogGate = new();
    private Task? _compaction;
    private CancellationTokenSource? _compactionCancel;
    private List<LoggedWrite>? _backlog;
    private VectorIndex? _compactedCopy;
    private Exception? _compactionError;
    private bool _compactionSaved;
    private long _compactionRetryAt;

    /// <summary>Whether a background compaction is running now.</summary>
    public bool IsCompacting => Volatile.Read(ref _compaction) is not null; // no gate: Info() asks while holding _state

    /// <summary>
    /// Starts a background compaction when <see cref="DatabaseOptions.Compaction"/> says it is due and none runs.
    /// Called with the write gate held, after a write was applied.
    /// </summary>
    private void CompactInBackgroundIfDue()
    {
        var policy = DatabaseOptions.Compaction;
        if (policy is null || _compaction is not null || _log is null) return;
        long tombstones = _index.Tombstones, rows = _index.Count + tombstones;
        if (tombstones < _compactionRetryAt || !policy.IsDue(tombstones, rows)) return;

        // The cut: every record up to `sequence` is applied to the index and durable in the log (the compacted copy's
        // manifest will say it includes them, while the log still holds them until the next checkpoint).
        _log.Sync();
        long sequence = _log.LastSequence;
        var source = _index;
        var cut = source.CutLive();
        lock (_backlogGate) _backlog = [];
        _compactionCancel = new CancellationTokenSource();
        var cancel = _compactionCancel.Token;
        _compaction = Task.Factory.StartNew(() => CompactInBackground(source, cut, sequence, cancel),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// The background compaction: builds a compacted copy of <paramref name="source"/> as it was at the cut, saves it as
    /// the new generation (including log records up to <paramref name="sequence"/>; the log keeps the later ones, so a
    /// crash at any point recovers either generation whole), applies the writes logged since the cut, and leaves the
    /// copy to be swapped in under the write gate (<see cref="FinishCompaction"/>). Never throws: a failure before the
    /// save leaves the old generation in use.
    /// </summary>
    private void CompactInBackground(VectorIndex source, VectorIndex.LiveCut cut, long sequence, CancellationToken cancel)
    {
        VectorIndex? copy = null;
        try
        {
            copy = source.CompactedCopy(cut, cancel);
            cancel.ThrowIfCancellationRequested();
            copy.Save(Path.Combine(_directory, IndexFolder), sequence);
            Volatile.Write(ref _compactionSaved, true);
            for (int round = 0; round < CatchUpRounds; round++)
            {
                var backlog = TakeBacklog(keepCollecting: true);
                CatchUp(copy, backlog);
                if (backlog.Count <= CatchUpUnderGate) break;
            }
            Volatile.Write(ref _compactedCopy, copy);
        }
        catch (Exception e)
        {
            copy?.Dispose();
            Volatile.Write(ref _compactionError, e);
        }
        while (Volatile.Read(ref _compactedCopy) is not null || Volatile.Read(ref _compactionError) is not null)
        {
            if (!_writeGate.TryEnter(TimeSpan.FromMilliseconds(10))) continue;
            try
            {
                FinishCompaction();
            }
            finally
            {
                _writeGate.Exit();
            }
        }
    }

    /// <summary>
    /// With the write gate held: once the background compaction has an outcome, applies the rest of the backlog to the
    /// compacted copy and swaps it in, or records the failure. Never throws: a write that calls it is already applied.
    /// </summary>
    private void FinishCompaction()
    {
        var copy = Volatile.Read(ref _compactedCopy);
        var error = Volatile.Read(ref _compactionError);
        if (copy is null && error is null) return;
        try
        {
            if (copy is not null)
            {
                if (_failure is not null) throw new InvalidOperationException("A write failed during the compaction.", _failure);
                CatchUp(copy, TakeBacklog(keepCollecting: false));
                SwapIndex(copy);
                copy = null;
                _compactionRetryAt = 0;
                _snapshotBytes = FileBytes().Where(f => f.Key is "index" or "originals").Sum(f => f.Value);
            }
            else if (_compactionSaved) _failure ??= error;
            else _compactionRetryAt = _index.Tombstones + (DatabaseOptions.Compaction?.MinTombstones ?? 0);
        }
        catch (Exception e)
        {
            // The copy is saved, so the files of the index in memory are gone: only a reopen (which recovers the new
            // generation and replays the log) may go on.
            copy?.Dispose();
            _failure ??= e;
        }
        finally
        {
            TakeBacklog(keepCollecting: false);
            _compaction = null;
            _compactionCancel?.Dispose();
            _compactionCancel = null;
            _compactionSaved = false;
            Volatile.Write(ref _compactionError, null);
            Volatile.Write(ref _compactedCopy, null);
        }
    }

    private List<LoggedWrite> TakeBacklog(bool keepCollecting)
    {
        lock (_backlogGate)
        {
            var taken = _backlog ?? [];
            _backlog = keepCollecting ? [] : null;
            return taken;
        }
    }

    /// <summary>Applies writes logged since the cut to the compacted copy, as they were applied to the live index.</summary>
    private static void CatchUp(VectorIndex copy, List<LoggedWrite> backlog)
    {
        // In the order Apply uses: a replacement's deletes, then its upserts.
        foreach (var write in backlog)
        {
            if (write.Keys is not null) foreach (ulong key in write.Keys) if (copy.Contains(key)) copy.Delete(key);
            if (write.Points is not null) copy.UpsertBatch(write.Points.Select(p => p.Key).ToArray(), write.Vectors);
        }
    }

    /// <summary>Searches switch to <paramref name="index"/> at once; the old index is released.</summary>
    private void SwapIndex(VectorIndex index)
    {
        VectorIndex old;
        _state.EnterWriteLock();
        try
        {
            old = _index;
            _index = index;
        }
        finally
        {
            _state.ExitWriteLock();
        }
        old.Dispose();
    }

    /// <summary>Records a write applied to the index while a background compaction runs. Called with the write gate held.</summary>
    private void RecordForCompaction(LoggedWrite write)
    {
        if (write.Type is not (LogRecords.Upsert or LogRecords.Delete or LogRecords.Replace)) return;
        lock (_backlogGate) _backlog?.Add(write);
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the write gate once no background compaction runs (waiting for one, or with
    /// <paramref name="cancel"/>, stopping it if it has not saved its copy yet). A new one starts only under the gate.
    /// </summary>
    private void WithoutCompaction(bool cancel, Action action)
    {
        while (true)
        {
            Task running;
            lock (_writeGate)
            {
                FinishCompaction();
                if (_compaction is null)
                {
                    action();
                    return;
                }
                running = _compaction;
                if (cancel) _compactionCancel!.Cancel();
            }
            running.Wait(); // never faults: the compaction catches what it throws
        }
    }
}
