using BitSieve.Quantization;
using BitSieve.Storage;

namespace BitSieve;

public sealed partial class Collection
{
    /// <summary>Creates the files of a new, empty collection in <paramref name="directory"/>.</summary>
    internal static void Initialize(string directory, CollectionOptions options)
    {
        StorageFiles.Current.CreateDirectory(directory);
        using (var index = VectorIndex.Create(options)) index.Save(Path.Combine(directory, IndexFolder), logSequence: 0);
        // SQLite commits its new schema to its WAL unsynced: checkpointed (points.db fsynced, WAL emptied) before the
        // collection is renamed into place, so that a power loss never leaves a collection without its tables.
        using (var store = PointStore.Open(directory, readOnly: false)) store.Checkpoint();
        WriteAheadLog.Open(directory, 0, 0, Durability.Always, out _).Dispose();
        StorageFiles.Current.SyncDirectory(directory);
    }

    /// <summary>
    /// Opens a collection and recovers it: loads the last checkpoint of the vector index (codes and factors into
    /// memory, originals memory-mapped and not read), then replays the log records that the index, or the points
    /// database, does not include yet. A torn last record is discarded (it was never acknowledged); a damaged log, or one
    /// that lacks records the points database has applied, is reported before anything is changed. A read-only open
    /// follows the writer instead (<c>Collection.Readers.cs</c>).
    /// </summary>
    internal static Collection Open(string name, string directory, DatabaseOptions options)
    {
        if (options.ReadOnly) return OpenReader(name, directory, options);
        VectorIndex? index = null;
        PointStore? store = null;
        WriteAheadLog? log = null;
        try
        {
            index = VectorIndex.Open(Path.Combine(directory, IndexFolder), verifyOriginals: false);
            store = PointStore.Open(directory, readOnly: false);
            // The points database is read first: the log then holds at least every record it has applied.
            log = WriteAheadLog.Open(directory, index.LogSequence, store.AppliedSequence, options.Durability, out var entries);

            string logPath = Path.Combine(directory, WriteAheadLog.FileName);
            var collection = new Collection(name, directory, options, index, store, log);
            foreach (var entry in entries)
            {
                LoggedWrite write;
                try
                {
                    write = LoggedWrite.Decode(entry, index.Dimension);
                }
                catch (InvalidDataException e)
                {
                    throw new CorruptFileException(logPath, $"record {entry.Sequence} passes its checksum but cannot be decoded: {e.Message}", e);
                }
                collection.Apply(entry.Sequence, write, replay: true);
            }
            index.ReconnectGraph(); // the points replayed into the saved graph are reached too
            collection._snapshotBytes = collection.FileBytes().Where(f => f.Key is "index" or "originals").Sum(f => f.Value);
            store.Rows.VerifyKeys(index.KeySums());
            return collection;
        }
        catch
        {
            index?.Dispose();
            store?.Dispose();
            log?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Applies one logged write to the points database (unless it already has it) and to the vector index (unless
    /// its checkpoint includes it). Searches see it all at once. An upsert's vectors may come already encoded
    /// (<paramref name="encoding"/>, started while the record was being made durable).
    /// </summary>
    private void Apply(long sequence, LoggedWrite write, bool replay, Task<EncodedBatch>? encoding = null)
    {
        bool toStore = !DatabaseOptions.ReadOnly && sequence > _store.AppliedSequence;
        bool toIndex = sequence > _index.LogSequence;
        if (!toStore && !toIndex) return;
        try
        {
            ulong[]? keys = write.Points?.Select(p => p.Key).ToArray();
            var encoded = keys is null || !toIndex ? null : encoding?.GetAwaiter().GetResult() ?? _index.Encode(keys, write.Vectors);
            _state.EnterWriteLock();
            try
            {
                switch (write.Type)
                {
                    case LogRecords.Upsert:
                        if (toStore) _store.ApplyUpsert(sequence, write.Points!);
                        if (toIndex) _index.UpsertBatch(keys, encoded!);
                        break;
                    case LogRecords.Delete:
                        if (toStore) _store.ApplyDelete(sequence, write.Keys!);
                        if (toIndex) foreach (ulong key in write.Keys!) if (_index.Contains(key)) _index.Delete(key);
                        break;
                    case LogRecords.Payloads:
                        if (toStore) _store.ApplyPayloads(sequence, write.Payloads!);
                        break;
                    case LogRecords.Replace:
                        if (toStore) _store.ApplyReplace(sequence, write.Keys!, write.Points!);
                        if (toIndex)
                        {
                            foreach (ulong key in write.Keys!) if (_index.Contains(key)) _index.Delete(key);
                            _index.UpsertBatch(keys, encoded!);
                        }
                        break;
                    default:
                        throw new InvalidDataException($"unknown record type {write.Type}");
                }
                if (toIndex && !replay) RecordForCompaction(write);
            }
            finally
            {
                _state.ExitWriteLock();
            }
        }
        catch (Exception e) when (replay && e is InvalidDataException or ArgumentException)
        {
            throw new CorruptFileException(Path.Combine(_directory, WriteAheadLog.FileName),
                $"record {sequence} passes its checksum but cannot be applied: {e.Message}", e);
        }
        catch (Exception e) when (!replay)
        {
            // The write is in the log but only partly applied: refuse further use until a reopen replays it.
            _failure = e;
            throw;
        }
    }

    /// <summary>
    /// Writes a checkpoint: the points database fsynced, the vector index saved (new column files, then the
    /// manifest swap; its originals are then read from the saved file), and the log emptied. Called with the write gate held.
    /// With <paramref name="compact"/>, the saved index is a compacted copy (no tombstones, re-trained centroid).
    /// Searches continue meanwhile and switch to the new index at once.
    /// </summary>
    private void CheckpointLocked(bool compact)
    {
        if (_log is null) throw new InvalidOperationException($"Collection '{Name}' is open read-only.");
        long sequence = _log.LastSequence;
        _log.Sync();
        _store.Checkpoint();
        string indexDirectory = Path.Combine(_directory, IndexFolder);
        if (compact)
        {
            var copy = _index.CompactedCopy();
            try
            {
                copy.Save(indexDirectory, sequence);
            }
            catch
            {
                copy.Dispose();
                throw;
            }
            SwapIndex(copy);
        }
        else _index.Save(indexDirectory, sequence); // afterwards the index reads its originals from the saved file
        _log.Reset();
        _snapshotBytes = FileBytes().Where(f => f.Key is "index" or "originals").Sum(f => f.Value);
    }
}
