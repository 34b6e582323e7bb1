using BitSieve.Storage;
using Microsoft.Data.Sqlite;

namespace BitSieve;

public sealed partial class Collection
{
    /// <summary>
    /// Reads every file of a collection and reports each damaged one with what its damage costs, without changing
    /// anything (it may run beside the writer): the manifest (checksum and values), every column file and segment of
    /// originals (header and payload checksum: the originals are read in full, which opening never does), the index's
    /// own cross-checks, every log record (checksum and decoding), the points database (its format, SQLite's
    /// <c>integrity_check</c> and every row's checksum), and whether the ids of the points database and the live points of the
    /// index agree at one consistent state. When the writer saves a checkpoint meanwhile, the check starts again on it.
    /// </summary>
    internal static CollectionIntegrity Check(string name, string directory, string databaseDirectory)
    {
        string indexDirectory = Path.Combine(directory, IndexFolder);
        for (int attempt = 0; ; attempt++)
        {
            long? generation = GenerationOrNull(indexDirectory);
            var result = new IntegrityCheck(name, directory, databaseDirectory).Run();
            if (result.IsSound || attempt == MaxReaderRetries || GenerationOrNull(indexDirectory) == generation) return result;
        }
    }

    private static long? GenerationOrNull(string indexDirectory)
    {
        try
        {
            return Manifest.Read(indexDirectory).Generation;
        }
        catch (Exception e) when (e is CorruptFileException or FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>One pass of <see cref="Check"/>.</summary>
    private sealed class IntegrityCheck(string name, string directory, string databaseDirectory)
    {
        private readonly List<string> _files = [];
        private readonly List<IntegrityProblem> _problems = [];

        public CollectionIntegrity Run()
        {
            string indexDirectory = Path.Combine(directory, IndexFolder);
            var manifest = CheckManifest(indexDirectory);
            bool indexSound = manifest is not null && CheckColumns(indexDirectory, manifest) && CheckIndex(indexDirectory, manifest);
            bool logSound = CheckLog(manifest);
            bool storeSound = CheckPointsDatabase();
            long? points = indexSound && logSound && storeSound ? CheckAgreement() : null;
            return new CollectionIntegrity(name, _files, points, _problems);
        }

        private string Relative(string path) => Path.GetRelativePath(databaseDirectory, path).Replace('\\', '/');

        private void Damaged(string path, Exception e, string lost) => _problems.Add(new IntegrityProblem(Relative(path), e.Message, lost));

        private Manifest? CheckManifest(string indexDirectory)
        {
            string path = Path.Combine(indexDirectory, Manifest.FileName);
            _files.Add(Relative(path));
            try
            {
                return Manifest.Read(indexDirectory);
            }
            catch (Exception e) when (e is CorruptFileException or FileNotFoundException)
            {
                Damaged(path, e, "the vector index: its settings, centroid and list of column files cannot be trusted, so no search can run "
                    + "(the column files, the originals among them, and the points database are checked on their own)");
                return null;
            }
        }

        private bool CheckColumns(string indexDirectory, Manifest manifest)
        {
            bool sound = true;
            foreach (var (kind, _) in Manifest.ColumnNames)
                sound &= CheckColumn(manifest.PathOf(indexDirectory, kind), kind, manifest.Columns[kind], LostWith(kind, manifest.Count));
            long first = 0;
            foreach (var segment in manifest.Originals)
            {
                long rows = segment.Count / manifest.Dimension;
                sound &= CheckColumn(Path.Combine(indexDirectory, segment.File), ColumnKind.Originals, segment,
                    $"the float32 vectors of ordinals {first}..{first + rows - 1} ({rows} rows): exact scores, returned vectors and compaction depend on them");
                first += rows;
            }
            if (manifest.Graph is { } graph) sound &= CheckColumn(Path.Combine(indexDirectory, graph.File), ColumnKind.Graph, graph, GraphLost);
            return sound;
        }

        /// <summary>What a damaged graph file costs: the graph is derived from the columns, so no point, only the open.</summary>
        private const string GraphLost = "the graph index, which is derived from the column files: no point is lost, but the collection "
            + "does not open until the saved graph file is put back";

        private bool CheckColumn(string path, ColumnKind kind, ColumnEntry entry, string lost)
        {
            _files.Add(Relative(path));
            try
            {
                ColumnFile.Validate(path, kind, Manifest.ElementSize(kind), entry.Count, entry.Checksum, verifyPayload: true);
                return true;
            }
            catch (CorruptFileException e)
            {
                Damaged(path, e, lost);
                return false;
            }
        }

        private static string LostWith(ColumnKind kind, int count) => kind switch
        {
            ColumnKind.Signs => $"the T1 sign codes of the {count} ordinals: no search can run",
            ColumnKind.Refine => $"the T2 codes of the {count} ordinals: no search can run",
            ColumnKind.Factors => $"the correction factors of the {count} ordinals: no search can run",
            ColumnKind.Ids => $"which point each of the {count} ordinals holds: no hit can be named",
            ColumnKind.Deleted => "the tombstones: deleted points could come back in results",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        /// <summary>The index's own cross-checks (tombstone counts, each live id at one ordinal).</summary>
        private bool CheckIndex(string indexDirectory, Manifest manifest)
        {
            try
            {
                VectorIndex.Open(indexDirectory, manifest, verifyOriginals: false).Dispose();
                return true;
            }
            catch (CorruptFileException e)
            {
                Damaged(e.FilePath ?? Path.Combine(indexDirectory, Manifest.FileName), e, "the saved vector index as a whole: its files disagree with each other");
                return false;
            }
        }

        private bool CheckLog(Manifest? manifest)
        {
            string path = Path.Combine(directory, WriteAheadLog.FileName);
            _files.Add(Relative(path));
            string lost = $"writes logged after the index's checkpoint (record {manifest?.LogSequence.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}) that the damaged records hold and the points database has not applied; a writer refuses to open until it is repaired";
            try
            {
                var entries = WriteAheadLog.ReadOnly(directory);
                // Records are decoded with the collection's dimension, which only a readable manifest gives.
                foreach (var entry in manifest is null ? [] : entries)
                {
                    try
                    {
                        LoggedWrite.Decode(entry, manifest!.Dimension);
                    }
                    catch (InvalidDataException e)
                    {
                        Damaged(path, new CorruptFileException(path, $"record {entry.Sequence} passes its checksum but cannot be decoded: {e.Message}", e), lost);
                        return false;
                    }
                }
                return true;
            }
            catch (CorruptFileException e)
            {
                Damaged(path, e, lost);
                return false;
            }
        }

        private bool CheckPointsDatabase()
        {
            string path = Path.Combine(directory, PointStore.FileName);
            _files.Add(Relative(path));
            const string lost = "point ids and payloads (the index holds vectors under internal keys only), payload indexes and the lexical index";
            try
            {
                using var store = PointStore.Open(directory, readOnly: true);
                var report = store.IntegrityCheck();
                if (report is not ["ok"])
                {
                    Damaged(path, new CorruptFileException(path, $"SQLite's integrity_check reports: {string.Join("; ", report.Take(10))}", null), lost);
                    return false;
                }
                var (keys, count) = store.Rows.DamagedRows(limit: 5);
                if (count == 0) return true;
                Damaged(path, new CorruptFileException(path,
                    $"{count} rows fail their checksum (internal keys {string.Join(", ", keys)}{(count > keys.Count ? ", …" : "")}).", null),
                    $"the ids or payloads of those {count} points: reads that reach them fail rather than return them");
            }
            catch (Exception e) when (e is CorruptFileException or FileNotFoundException)
            {
                Damaged(path, e, lost);
            }
            catch (SqliteException e)
            {
                Damaged(path, new CorruptFileException(path, $"it cannot be read ({e.Message}).", e), lost);
            }
            return false;
        }

        /// <summary>At one consistent state (a reader's snapshot), the points database's keys and the index's live keys must be the same.</summary>
        private long? CheckAgreement()
        {
            string path = Path.Combine(directory, PointStore.FileName);
            Collection reader;
            try
            {
                reader = OpenReader(name, directory, new DatabaseOptions { ReadOnly = true });
            }
            catch (CorruptFileException e)
            {
                Damaged(e.FilePath ?? path, e, "the collection cannot be opened as a whole");
                return null;
            }
            try
            {
                using var scope = reader.EnterRead();
                var stored = reader._store.Rows.Keys(null).ToHashSet();
                var indexed = reader._index.LiveKeys();
                var onlyStored = stored.Where(k => !indexed.Contains(k)).Order().ToList();
                var onlyIndexed = indexed.Where(k => !stored.Contains(k)).Order().ToList();
                if (onlyStored.Count == 0 && onlyIndexed.Count == 0) return stored.Count;
                string Keys(List<ulong> keys) => string.Join(", ", keys.Take(5)) + (keys.Count > 5 ? ", …" : "");
                if (onlyStored.Count > 0)
                    _problems.Add(new IntegrityProblem(Relative(path),
                        $"it holds {onlyStored.Count} points (internal keys {Keys(onlyStored)}) that the vector index does not hold at record {reader._readSequence}.",
                        $"the vectors of those {onlyStored.Count} points: searches cannot find them"));
                if (onlyIndexed.Count > 0)
                    _problems.Add(new IntegrityProblem(Relative(path),
                        $"it lacks {onlyIndexed.Count} points (internal keys {Keys(onlyIndexed)}) that the vector index holds live at record {reader._readSequence}.",
                        $"the ids and payloads of those {onlyIndexed.Count} points: searches skip them, so they may return fewer than k hits"));
                return null;
            }
            finally
            {
                reader.Close(checkpoint: false);
            }
        }
    }
}
