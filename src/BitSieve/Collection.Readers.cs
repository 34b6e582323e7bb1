using BitSieve.Storage;

namespace BitSieve;

/// <summary>
/// Read-only opens beside a running writer. A reader never sees a mix of two states: every read runs in a snapshot
/// of the points database (one SQLite read transaction) and against an index brought to exactly the log record that
/// snapshot has applied — by replaying the log's records after the index's checkpoint, or, when a checkpoint of the
/// writer has emptied the log meanwhile, by loading that newer checkpoint first. A checkpoint's files that vanish
/// while they are being loaded make the reader start again from the newer manifest, a bounded number of times.
/// </summary>
public sealed partial class Collection
{
    /// <summary>How many times a reader starts again after the writer moved on under it, before it gives up.</summary>
    private const int MaxReaderRetries = 20;

    /// <summary>Read-only: the last log record the in-memory index reflects.</summary>
    private long _readSequence;

    /// <summary>Read-only: the generation of the checkpoint the in-memory index was loaded from.</summary>
    private long _readGeneration;

    /// <summary>Opens a collection for reading only: the newest checkpoint, then caught up with the points database.</summary>
    private static Collection OpenReader(string name, string directory, DatabaseOptions options)
    {
        string indexDirectory = Path.Combine(directory, IndexFolder);
        VectorIndex? index = null;
        long generation = 0;
        for (int attempt = 0; index is null; attempt++)
        {
            if (attempt > MaxReaderRetries) throw WriterOutran(name);
            var manifest = Manifest.Read(indexDirectory);
            index = TryLoadCheckpoint(indexDirectory, manifest);
            generation = manifest.Generation;
        }
        PointStore store;
        try
        {
            store = PointStore.Open(directory, readOnly: true);
        }
        catch
        {
            index.Dispose();
            throw;
        }
        var collection = new Collection(name, directory, options, index, store, log: null)
        {
            _readSequence = index.LogSequence,
            _readGeneration = generation,
        };
        try
        {
            // Catch up now, and check the points database against the index at that state: damage is reported by the
            // open, not by the first search.
            using var scope = collection.EnterRead();
            store.Rows.VerifyKeys(collection._index.KeySums());
        }
        catch
        {
            collection.Close(checkpoint: false);
            throw;
        }
        return collection;
    }

    /// <summary>
    /// Loads the checkpoint a manifest describes; null when its files changed under the reader because the writer saved a
    /// newer checkpoint meanwhile (the manifest moved on). Damage with the manifest unchanged is reported.
    /// </summary>
    private static VectorIndex? TryLoadCheckpoint(string indexDirectory, Manifest manifest)
    {
        try
        {
            return VectorIndex.Open(indexDirectory, manifest, verifyOriginals: false);
        }
        catch (Exception e) when (e is CorruptFileException or FileNotFoundException && ManifestMoved(indexDirectory, manifest.Generation))
        {
            return null;
        }
    }

    private static bool ManifestMoved(string indexDirectory, long generation)
    {
        try
        {
            return Manifest.Read(indexDirectory).Generation != generation;
        }
        catch (Exception e) when (e is CorruptFileException or FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Enters a consistent read: for a writer, its state lock; for a reader, a snapshot of the points database and the
    /// index at exactly that snapshot's record (see the type's remarks). Dispose the scope to leave.
    /// </summary>
    private ReadScope EnterRead()
    {
        if (!DatabaseOptions.ReadOnly)
        {
            _state.EnterReadLock();
            try
            {
                CheckOpen();
            }
            catch
            {
                _state.ExitReadLock();
                throw;
            }
            return new ReadScope(this, null);
        }
        for (int attempt = 0; ; attempt++)
        {
            lock (_writeGate) CheckOpen();
            var snapshot = _store.BeginSnapshot();
            try
            {
                bool ready;
                lock (_writeGate)
                {
                    CheckOpen();
                    ready = CatchUpLocked(snapshot.Sequence);
                }
                if (ready)
                {
                    _state.EnterReadLock();
                    // Another search of this reader may have moved the index past this snapshot meanwhile.
                    if (!_closed && _readSequence == snapshot.Sequence) return new ReadScope(this, snapshot);
                    _state.ExitReadLock();
                }
            }
            catch
            {
                snapshot.Dispose();
                throw;
            }
            snapshot.Dispose();
            if (attempt == MaxReaderRetries) throw WriterOutran(Name);
        }
    }

    /// <summary>
    /// Brings a reader's index to exactly record <paramref name="target"/>, the snapshot's; false when it cannot be
    /// (the index is already past it, or the newest checkpoint is), and a newer snapshot must be taken. Called with the
    /// write gate held (readers have no writes: the gate serializes catching up).
    /// </summary>
    private bool CatchUpLocked(long target)
    {
        string indexDirectory = Path.Combine(_directory, IndexFolder);
        string logPath = Path.Combine(_directory, WriteAheadLog.FileName);
        for (int reload = 0; ; reload++)
        {
            if (_readSequence >= target) return _readSequence == target;
            var entries = WriteAheadLog.ReadOnly(_directory);
            int from = entries.FindIndex(e => e.Sequence == _readSequence + 1);
            if (from >= 0 && entries[^1].Sequence >= target)
            {
                foreach (var entry in entries.Skip(from).TakeWhile(e => e.Sequence <= target))
                {
                    Apply(entry.Sequence, Decode(entry, logPath), replay: true);
                    _readSequence = entry.Sequence;
                }
                return true;
            }
            // The log no longer holds the records after this index: a checkpoint saved them (its manifest is swapped
            // before the log is emptied), so load that checkpoint and replay what follows it.
            var manifest = Manifest.Read(indexDirectory);
            if (manifest.LogSequence > target) return false;
            if (manifest.Generation == _readGeneration)
            {
                string held = entries.Count == 0 ? "no records" : $"records {entries[0].Sequence}..{entries[^1].Sequence}";
                throw new CorruptFileException(logPath,
                    $"the points database has applied records up to {target}, but the index includes records up to {_readSequence} and the log holds {held}: records in between are missing.", null);
            }
            if (reload == MaxReaderRetries) throw WriterOutran(Name);
            if (TryLoadCheckpoint(indexDirectory, manifest) is not { } index) continue;
            VectorIndex old;
            _state.EnterWriteLock();
            try
            {
                old = _index;
                _index = index;
                _readSequence = index.LogSequence;
                _readGeneration = manifest.Generation;
            }
            finally
            {
                _state.ExitWriteLock();
            }
            old.Dispose();
        }
    }

    private LoggedWrite Decode(LogEntry entry, string logPath)
    {
        try
        {
            return LoggedWrite.Decode(entry, Dimension);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptFileException(logPath, $"record {entry.Sequence} passes its checksum but cannot be decoded: {e.Message}", e);
        }
    }

    private static IOException WriterOutran(string name) =>
        new($"Collection '{name}' changed {MaxReaderRetries} times while this read-only open tried to read one consistent state of it (the writer checkpoints faster than it can be loaded); try again.");

    /// <summary>A consistent read (<see cref="EnterRead"/>): leaving it releases the state lock and ends the snapshot.</summary>
    private readonly struct ReadScope(Collection collection, PointStore.ReadSnapshot? snapshot) : IDisposable
    {
        public void Dispose()
        {
            collection._state.ExitReadLock();
            snapshot?.Dispose();
        }
    }
}
