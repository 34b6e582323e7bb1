using BitSieve.Storage;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Steps that make writes durable: a checkpoint that readers keep from emptying SQLite's WAL fsyncs that WAL before the
/// log is emptied, and a directory fsync fails loudly rather than pretend. Runs with the power-loss tests, alone: one
/// test installs a <see cref="StorageFiles"/> of its own process-wide.
/// </summary>
[Collection(PowerLossTests.Name)]
public sealed class DurabilityTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-durable-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_checkpoint_beside_a_reader_holding_one_long_snapshot_empties_the_log_and_leaves_every_write_in_the_fsynced_SQLite_WAL()
    {
        string collection = Path.Combine(_dir, "collections", "c");
        string wal = Path.Combine(collection, WriteAheadLog.FileName);
        string points = Path.Combine(collection, PointStore.FileName);
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot });
        c.Upsert(DatabaseTests.Points(100, seed: 1));
        c.Checkpoint();
        // What a power loss leaves of points.db at worst from here on: SQLite synced it at that checkpoint, and nothing
        // a later checkpoint copies into it is synced until a checkpoint gets through the whole WAL.
        byte[] durablePoints = ReadShared(points);

        var recorder = new WalSyncRecorder(collection);
        var previous = StorageFiles.Current;
        StorageFiles.Current = recorder;
        try
        {
            using (HoldReadTransaction(collection, expectedCount: 100))
            {
                c.Upsert(DatabaseTests.Points(50, seed: 2, firstId: 100));
                c.Delete([new PointId(7)]);
                long logged = new FileInfo(wal).Length;

                // The reader keeps SQLite from emptying its WAL, which still holds the writes after its snapshot: the
                // checkpoint fsyncs that WAL instead, and only then empties the log.
                c.Checkpoint();
                Assert.True(new FileInfo(wal).Length < logged, "the log is emptied although SQLite could not empty its WAL");
                Assert.True(new FileInfo(points + "-wal").Length > 0, "SQLite's WAL keeps the frames its reader may still need");
                Assert.Equal(["sync points.db-wal", "sync directory c", "replace wal.log", "sync directory c"], recorder.Steps.Where(step => !step.Contains(".col", StringComparison.Ordinal) && !step.Contains("manifest", StringComparison.Ordinal) && !step.Contains("index", StringComparison.Ordinal)));
                Assert.NotNull(recorder.Wal);

                // A write after the checkpoint goes to the emptied log (fsynced) and to SQLite's WAL (not fsynced).
                c.Upsert(DatabaseTests.Points(5, seed: 3, firstId: 200));
                Assert.Equal(154, c.Count);

                // Power loss now: points.db as SQLite last synced it, its WAL as the checkpoint fsynced it (no -shm: SQLite
                // rebuilds it from the WAL), BitSieve's own files as they are (every change to them is fsynced). SQLite
                // replays the WAL's frames, the log replays the write after the checkpoint.
                string copy = Path.Combine(_dir, "after-power-loss");
                string copied = Path.Combine(copy, "collections", "c");
                CopyDirectory(Path.Combine(collection, "index"), Path.Combine(copied, "index"));
                File.Copy(wal, Path.Combine(copied, WriteAheadLog.FileName));
                File.WriteAllBytes(Path.Combine(copied, PointStore.FileName), durablePoints);
                File.WriteAllBytes(Path.Combine(copied, PointStore.FileName + "-wal"), recorder.Wal);
                using (var recovered = Database.Open(copy))
                {
                    var r = recovered.GetCollection("c");
                    Assert.Equal(154, r.Count);
                    var expected = DatabaseTests.Points(100, seed: 1).Concat(DatabaseTests.Points(50, seed: 2, firstId: 100)).Concat(DatabaseTests.Points(5, seed: 3, firstId: 200))
                        .Where(p => p.Id.Number != 7).ToList();
                    var found = r.Retrieve(expected.Select(p => p.Id), withPayload: true, withVector: true).ToDictionary(p => p.Id);
                    Assert.All(expected, p => Assert.Equal(p.Vector.ToArray(), found[p.Id].Vector));
                    Assert.All(expected, p => Assert.Equal(p.Payload!.ToJsonString(), found[p.Id].Payload!.ToJsonString()));
                }
            }
        }
        finally
        {
            StorageFiles.Current = previous;
        }

        // Once the reader has finished, the next checkpoint empties SQLite's WAL too.
        c.Checkpoint();
        Assert.Equal(0, new FileInfo(points + "-wal").Length);
        Assert.Equal(154, c.Count);
    }

    [Fact]
    public void A_write_whose_checkpoint_finds_a_reader_in_SQLite_s_WAL_still_empties_the_log()
    {
        string collection = Path.Combine(_dir, "collections", "c");
        string wal = Path.Combine(collection, WriteAheadLog.FileName);
        // A floor of one byte: every write makes a checkpoint due (when the log outgrows the saved index).
        using var db = Database.Open(_dir, new DatabaseOptions { CheckpointFloorBytes = 1 });
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.Upsert(DatabaseTests.Points(100, seed: 1));

        using (HoldReadTransaction(collection, expectedCount: 100))
        {
            c.Upsert(DatabaseTests.Points(1900, seed: 2, firstId: 100));
            Assert.Equal(2000, c.Count);
            Assert.True(new FileInfo(wal).Length < 4096, "the write's checkpoint empties the log although a reader holds SQLite's WAL");
        }

        c.Upsert(DatabaseTests.Points(1, seed: 3, firstId: 2000));
        Assert.Equal(2001, c.Count);
        // A crash now (no closing checkpoint): SQLite's WAL holds what the log no longer does.
        db.Close(checkpoint: false);
        using var reopened = Database.Open(_dir);
        Assert.Equal(2001, reopened.GetCollection("c").Count);
    }

    [Fact]
    public void A_created_collection_s_points_database_holds_its_tables_in_points_db_itself_not_only_in_SQLite_s_unsynced_WAL()
    {
        // points.db alone — what SQLite's checkpoint fsynced before the collection was renamed into place — is a whole
        // points database (SQLite commits the new schema to its WAL without an fsync). Read before the database closes:
        // closing checkpoints.
        string alone = Path.Combine(_dir, "points-alone.db");
        using (var db = Database.Open(_dir))
        {
            db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
            File.WriteAllBytes(alone, ReadShared(Path.Combine(_dir, "collections", "c", PointStore.FileName)));
        }
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = alone, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_schema WHERE name = 'points')";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(0x42535650, reader.GetInt64(0));
        Assert.Equal(1, reader.GetInt64(1));
    }

    /// <summary>
    /// Records, under one collection, the fsyncs of SQLite's WAL and of directories and the renames (in order), and what the
    /// WAL held at its last fsync: what a power loss leaves of it.
    /// </summary>
    private sealed class WalSyncRecorder(string collection) : StorageFiles
    {
        private readonly Lock _gate = new();

        public List<string> Steps { get; } = [];

        public byte[]? Wal { get; private set; }

        public override void SyncFile(string path)
        {
            base.SyncFile(path);
            if (!path.StartsWith(collection, StringComparison.Ordinal)) return;
            lock (_gate)
            {
                Wal = ReadShared(path);
                Steps.Add("sync " + Path.GetFileName(path));
            }
        }

        public override void SyncDirectory(string directory)
        {
            base.SyncDirectory(directory);
            if (directory.StartsWith(collection, StringComparison.Ordinal)) lock (_gate) Steps.Add("sync directory " + Path.GetFileName(directory));
        }

        public override void Replace(string source, string destination)
        {
            base.Replace(source, destination);
            if (destination.StartsWith(collection, StringComparison.Ordinal)) lock (_gate) Steps.Add("replace " + Path.GetFileName(destination));
        }
    }

    /// <summary>A file's bytes, read while SQLite has it open.</summary>
    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source)) File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
    }

    /// <summary>Another connection's read transaction on a collection's points.db, open until disposed.</summary>
    internal static SqliteConnection HoldReadTransaction(string collection, long expectedCount)
    {
        var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(collection, PointStore.FileName), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        other.Open();
        var transaction = other.BeginTransaction(); // disposed with the connection
        using var command = other.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM points";
        Assert.Equal(expectedCount, command.ExecuteScalar());
        return other;
    }

    [Fact]
    public void A_directory_that_cannot_be_synced_is_an_error()
    {
        if (OperatingSystem.IsWindows()) return; // no directory fsync there; see DurableDirectory
        string missing = Path.Combine(_dir, "not-there");
        var e = Assert.ThrowsAny<IOException>(() => DurableDirectory.Sync(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_directory_syncs()
    {
        Directory.CreateDirectory(_dir);
        DurableDirectory.Sync(_dir);
    }
}
