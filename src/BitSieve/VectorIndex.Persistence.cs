using System.Numerics;
using System.Text.RegularExpressions;
using BitSieve.Quantization;
using BitSieve.Search.Graph;
using BitSieve.Storage;

namespace BitSieve;

internal sealed partial class VectorIndex
{
    /// <summary>Serializes saves of this collection (a save holds only the read lock, so searches go on meanwhile).</summary>
    private readonly Lock _saveGate = new();

    /// <summary>
    /// Saves the collection to <paramref name="directory"/> (created if needed): the column files of this save under
    /// new names, each written to a tmp file, fsynced and renamed, then <c>manifest.json</c> the same way. The
    /// manifest swap is the commit point: a crash before it leaves the previous save intact. Column files of earlier
    /// saves are deleted afterwards. Saving into the directory the collection was opened from (or last saved to) is
    /// supported, and there only the originals appended since are written, as a new segment.
    /// Searches may run during a save (they wait only while a graph is reconnected first: one pass over its links); writes wait for it.
    /// </summary>
    /// <param name="directory">The collection directory; one collection per directory.</param>
    /// <exception cref="IOException">A file could not be written.</exception>
    /// <param name="logSequence">The last write-ahead-log record this save includes (see <see cref="LogSequence"/>).</param>
    public void Save(string directory, long logSequence = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logSequence);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        lock (_saveGate)
        {
            ReconnectGraph(); // a saved graph reaches every node
            Manifest saved;
            _lock.EnterReadLock();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                StorageFiles.Current.CreateDirectory(directory);
                long generation = NextGeneration(directory);
                var written = new List<string>();
                Manifest manifest;
                try
                {
                    manifest = WriteColumns(directory, generation, logSequence, written);
                    StorageFiles.Current.SyncDirectory(directory);
                    manifest.Write(directory);
                }
                catch
                {
                    foreach (string file in written) TryDelete(file);
                    throw;
                }
                StorageFiles.Current.SyncDirectory(directory);
                DeleteUnreferenced(directory, manifest);
                LogSequence = logSequence;
                saved = manifest;
            }
            finally
            {
                _lock.ExitReadLock();
            }
            ServeOriginalsFrom(directory, saved);
        }
    }

    /// <summary>
    /// After a save, reads originals from the segments just saved (memory-mapped) instead of the in-memory tail, so a
    /// long-running writer's memory does not grow with every point it ever added. Skipped if points were added meanwhile.
    /// </summary>
    private void ServeOriginalsFrom(string directory, Manifest saved)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_disposed || _columns.Count != saved.Count) return;
            _columns.ReplaceOriginals(OriginalStore.Map(directory, saved.Originals, Dimension));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Opens a collection saved by <see cref="Save"/>. Codes, factors, ids and tombstones are loaded into memory; the
    /// float32 originals are memory-mapped (points added later are kept in memory until the next save).
    /// </summary>
    /// <param name="directory">The collection directory.</param>
    /// <param name="verifyOriginals">
    /// Whether to check the checksum of the originals file too (one sequential read of it). The other files are
    /// always checked.
    /// </param>
    /// <exception cref="FileNotFoundException">The directory holds no <c>manifest.json</c>.</exception>
    /// <exception cref="CorruptFileException">
    /// A file is damaged, truncated, not a BitSieve file, inconsistent with the manifest, missing, or written by a
    /// newer BitSieve; the message names the file.
    /// </exception>
    public static VectorIndex Open(string directory, bool verifyOriginals = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Open(directory, Manifest.Read(directory), verifyOriginals);
    }

    /// <summary>Opens the save that <paramref name="manifest"/>, already read from <paramref name="directory"/>, describes.</summary>
    internal static VectorIndex Open(string directory, Manifest manifest, bool verifyOriginals)
    {
        var options = manifest.Index.ApplyTo(new CollectionOptions
        {
            Dimension = manifest.Dimension,
            Metric = manifest.Metric,
            Bits = manifest.Bits,
            RotationSeed = manifest.RotationSeed,
            TrainingSize = manifest.TrainingSize,
        });
        options.Validate();
        var quantizer = new Quantizer(options.Dimension, options.Metric, options.Bits, options.RotationSeed, manifest.Centroid);
        int count = manifest.Count;

        foreach (var segment in manifest.Originals)
            ColumnFile.Validate(Path.Combine(directory, segment.File), ColumnKind.Originals, sizeof(float), segment.Count, segment.Checksum, verifyOriginals);
        var originals = OriginalStore.Map(directory, manifest.Originals, options.Dimension);
        var columns = new VectorColumns(options.Dimension, quantizer.Words, quantizer.RefineBytes, originals);
        VectorIndex? collection = null;
        try
        {
            LoadColumns(directory, manifest, columns);
            collection = new VectorIndex(options, quantizer, columns, manifest.Trained) { _liveAtTraining = manifest.LiveAtTraining, LogSequence = manifest.LogSequence };
            var ordinals = collection._ordinals;
            ordinals.EnsureCapacity(columns.LiveCount);
            for (int ord = 0; ord < count; ord++)
            {
                if (columns.IsDeleted(ord)) continue;
                if (!ordinals.TryAdd(columns.Ids[ord], ord))
                    throw new CorruptFileException(manifest.PathOf(directory, ColumnKind.Ids),
                        $"point id {columns.Ids[ord]} is live at ordinals {ordinals[columns.Ids[ord]]} and {ord}.", null);
            }
            // The drift check's sums come from the manifest: opening never reads the originals.
            collection._sum = (double[])manifest.LiveSum.Clone();
            collection._sumSquares = manifest.LiveSumSquares;
            // The saved graph, checked; a save without one (older, or taken below the threshold) builds it if wanted now.
            if (manifest.Graph is { } graph)
                collection._graph = GraphIndex.Load(Path.Combine(directory, graph.File), graph, columns, quantizer, Environment.ProcessorCount);
            else if (options.WantsGraph(columns.LiveCount))
                collection._graph = GraphIndex.Build(columns, quantizer, collection.GraphOptions);
            return collection;
        }
        catch
        {
            if (collection is not null) collection.Dispose();
            else columns.Dispose();
            throw;
        }
    }

    private Manifest WriteColumns(string directory, long generation, long logSequence, List<string> written)
    {
        var c = _columns;
        int count = c.Count;
        var files = new Dictionary<ColumnKind, ColumnEntry>();

        string PathFor(ColumnKind kind)
        {
            string name = kind == ColumnKind.Originals ? Manifest.OriginalsName : Manifest.ColumnNames.First(n => n.Kind == kind).Name;
            string file = Manifest.ColumnFileName(name, generation);
            string path = Path.Combine(directory, file);
            written.Add(path);
            return path;
        }

        void Record(ColumnKind kind, string path, ColumnInfo info) => files[kind] = new ColumnEntry(Path.GetFileName(path), info.Count, info.Checksum);

        string path = PathFor(ColumnKind.Signs);
        Record(ColumnKind.Signs, path, ColumnFile.Write<byte>(path, ColumnKind.Signs, c.Signs.AsSpan(0, c.SignBytes(count))));
        path = PathFor(ColumnKind.Refine);
        Record(ColumnKind.Refine, path, ColumnFile.Write<byte>(path, ColumnKind.Refine, c.Refine.AsSpan(0, count * c.RefineBytes)));
        path = PathFor(ColumnKind.Factors);
        using (var writer = new ColumnWriter(path, ColumnKind.Factors, sizeof(float)))
        {
            foreach (var factor in FactorArrays(c)) writer.Append<float>(factor.AsSpan(0, count));
            Record(ColumnKind.Factors, path, writer.Commit());
        }
        path = PathFor(ColumnKind.Ids);
        Record(ColumnKind.Ids, path, ColumnFile.Write<ulong>(path, ColumnKind.Ids, c.Ids.AsSpan(0, count)));
        path = PathFor(ColumnKind.Deleted);
        Record(ColumnKind.Deleted, path, ColumnFile.Write<ulong>(path, ColumnKind.Deleted, c.Deleted.AsSpan(0, (count + 63) >> 6)));
        // Originals: the segments already in this directory stay; the rows after them become one new segment.
        var segments = c.Originals.SegmentsIn(directory).ToList();
        int saved = (int)(segments.Sum(s => s.Count) / Dimension);
        if (saved < count)
        {
            path = PathFor(ColumnKind.Originals);
            using var writer = new ColumnWriter(path, ColumnKind.Originals, sizeof(float));
            for (int ord = saved; ord < count;)
            {
                var rows = c.Originals.Rows(ord, count);
                writer.Append(rows);
                ord += rows.Length / Dimension;
            }
            var info = writer.Commit();
            segments.Add(new ColumnEntry(Path.GetFileName(path), info.Count, info.Checksum));
        }

        ColumnEntry? graph = null;
        if (_graph is not null)
        {
            path = Path.Combine(directory, Manifest.ColumnFileName(Manifest.GraphName, generation));
            written.Add(path);
            var info = _graph.Save(path);
            graph = new ColumnEntry(Path.GetFileName(path), info.Count, info.Checksum);
        }

        return new Manifest
        {
            Generation = generation,
            LogSequence = logSequence,
            Dimension = Dimension,
            Metric = Options.Metric,
            Bits = Options.Bits,
            RotationSeed = Options.RotationSeed,
            TrainingSize = Options.TrainingSize,
            Trained = _trained,
            LiveAtTraining = _liveAtTraining,
            Centroid = (float[])_quantizer.Centroid.Clone(),
            LiveSum = (double[])_sum.Clone(),
            LiveSumSquares = _sumSquares,
            Count = count,
            DeletedCount = c.DeletedCount,
            Columns = files,
            Originals = segments,
            Index = IndexSettings.Of(Options),
            Graph = graph,
        };
    }

    private static void LoadColumns(string directory, Manifest manifest, VectorColumns c)
    {
        int count = manifest.Count;
        // Headers first: a manifest whose count disagrees with the files must not make us allocate for it.
        foreach (var (kind, _) in Manifest.ColumnNames)
            ColumnFile.Validate(manifest.PathOf(directory, kind), kind, Manifest.ElementSize(kind),
                    manifest.ExpectedCount(kind), manifest.Columns[kind].Checksum, verifyPayload: false);
        c.EnsureCapacity(count);
        // The T2 codes are most of the bytes: read them on another core meanwhile.
        var refine = Task.Run(() => ColumnFile.ReadInto<byte>(manifest.PathOf(directory, ColumnKind.Refine), ColumnKind.Refine,
            c.Refine.AsSpan(0, count * c.RefineBytes), manifest.Columns[ColumnKind.Refine].Checksum));
        try
        {
            LoadOtherColumns(directory, manifest, c);
        }
        finally
        {
            Task.WaitAny(refine); // never leave a read running into the arrays of a failed open (and never throw over its error)
        }
        refine.GetAwaiter().GetResult();
        c.SetLoaded(count, manifest.DeletedCount);
    }

    private static void LoadOtherColumns(string directory, Manifest manifest, VectorColumns c)
    {
        int count = manifest.Count;
        ColumnFile.ReadInto<byte>(manifest.PathOf(directory, ColumnKind.Signs), ColumnKind.Signs,
            c.Signs.AsSpan(0, c.SignBytes(count)), manifest.Columns[ColumnKind.Signs].Checksum);
        ColumnFile.ReadSegments(manifest.PathOf(directory, ColumnKind.Factors), ColumnKind.Factors,
            FactorArrays(c), count, manifest.Columns[ColumnKind.Factors].Checksum);
        ColumnFile.ReadInto<ulong>(manifest.PathOf(directory, ColumnKind.Ids), ColumnKind.Ids,
            c.Ids.AsSpan(0, count), manifest.Columns[ColumnKind.Ids].Checksum);

        string deletedPath = manifest.PathOf(directory, ColumnKind.Deleted);
        var deleted = c.Deleted.AsSpan(0, (count + 63) >> 6);
        ColumnFile.ReadInto<ulong>(deletedPath, ColumnKind.Deleted, deleted, manifest.Columns[ColumnKind.Deleted].Checksum);
        long tombstones = 0;
        foreach (ulong word in deleted) tombstones += BitOperations.PopCount(word);
        if ((count & 63) != 0 && (deleted[^1] >> (count & 63)) != 0)
            throw new CorruptFileException(deletedPath, $"tombstones are set beyond the {count} points.", null);
        if (tombstones != manifest.DeletedCount)
            throw new CorruptFileException(deletedPath, $"it marks {tombstones} points deleted where {Manifest.FileName} says {manifest.DeletedCount}.", null);
    }

    /// <summary>The factor columns in the order the <see cref="ColumnKind.Factors"/> file stores them.</summary>
    private static float[][] FactorArrays(VectorColumns c) =>
        [c.Scale, c.RInv1, c.E1, c.Balance, c.Beta, c.RInv2, c.E2, c.YNorm];

    /// <summary>One more than the highest generation among the column files already in the directory.</summary>
    private static long NextGeneration(string directory)
    {
        long highest = 0;
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            if (ColumnFileGeneration(Path.GetFileName(file)) is long g) highest = Math.Max(highest, g);
        }
        return highest + 1;
    }

    /// <summary>Deletes column files (and tmp files) that the new manifest does not reference.</summary>
    private static void DeleteUnreferenced(string directory, Manifest manifest)
    {
        var keep = manifest.Columns.Values.Concat(manifest.Originals).Select(c => c.File).ToHashSet(StringComparer.Ordinal);
        if (manifest.Graph is { } graph) keep.Add(graph.File);
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(file);
            if ((ColumnFileGeneration(name) is not null && !keep.Contains(name)) || name == Manifest.FileName + ".tmp")
                TryDelete(file);
        }
    }

    /// <summary>
    /// Deleting is best effort: on Linux a file still memory-mapped (the originals of an opened collection) can be
    /// deleted; on Windows it cannot, and it is left for the next save to remove.
    /// </summary>
    private static void TryDelete(string path)
    {
        try
        {
            StorageFiles.Current.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The generation of a column file's name (<c>name.000003.col</c>, or its <c>.tmp</c>), null for any other file.</summary>
    private static long? ColumnFileGeneration(string fileName)
    {
        var match = ColumnFilePattern().Match(fileName);
        string name = match.Groups[1].Value;
        if (!match.Success || (name is not (Manifest.OriginalsName or Manifest.GraphName) && !Manifest.ColumnNames.Any(c => c.Name == name))) return null;
        return long.TryParse(match.Groups[2].ValueSpan, out long g) ? g : null;
    }

    [GeneratedRegex(@"^([a-z]+)\.(\d{1,18})\.col(?:\.tmp)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ColumnFilePattern();
}
