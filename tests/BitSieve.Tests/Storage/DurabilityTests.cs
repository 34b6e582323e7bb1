using BitSieve.Storage;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage;

/// <summary>Steps that make writes durable fail loudly rather than pretend: SQLite's checkpoint, the directory fsync.</summary>
public sealed class DurabilityTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-durable-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_checkpoint_that_SQLite_reports_busy_fails_and_keeps_the_log()
    {
        string collection = Path.Combine(_dir, "collections", "c");
        string wal = Path.Combine(collection, WriteAheadLog.FileName);
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.Upsert(DatabaseTests.Points(100, seed: 1));
        long logged = new FileInfo(wal).Length;

        // Another connection holds a read transaction on points.db: SQLite cannot truncate its WAL and says "busy".
        using (HoldReadTransaction(collection, expectedCount: 100))
        {
            var e = Assert.ThrowsAny<IOException>(c.Checkpoint);
            Assert.Contains("busy", e.Message, StringComparison.Ordinal);
            Assert.Contains(PointStore.FileName, e.Message, StringComparison.Ordinal);
            Assert.Equal(logged, new FileInfo(wal).Length);
        }

        c.Checkpoint();
        Assert.True(new FileInfo(wal).Length < logged);
        Assert.Equal(100, c.Count);
    }

    [Fact]
    public void A_write_whose_checkpoint_SQLite_reports_busy_still_succeeds_and_the_next_write_checkpoints()
    {
        string collection = Path.Combine(_dir, "collections", "c");
        string wal = Path.Combine(collection, WriteAheadLog.FileName);
        // A floor of one byte: every write makes a checkpoint due (when the log outgrows the saved index).
        using var db = Database.Open(_dir, new DatabaseOptions { CheckpointFloorBytes = 1 });
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.Upsert(DatabaseTests.Points(100, seed: 1));

        using (HoldReadTransaction(collection, expectedCount: 100))
        {
            // The write is durable before its checkpoint is tried: SQLite's "busy" must not turn it into an error.
            long before = new FileInfo(wal).Length;
            c.Upsert(DatabaseTests.Points(1900, seed: 2, firstId: 100));
            Assert.Equal(2000, c.Count);
            Assert.True(new FileInfo(wal).Length > before, "the log keeps the write whose checkpoint could not run");
        }

        c.Upsert(DatabaseTests.Points(1, seed: 3, firstId: 2000));
        Assert.Equal(2001, c.Count);
        Assert.True(new FileInfo(wal).Length < 4096, "once the reader is gone, the next write's checkpoint empties the log");
    }

    /// <summary>Another connection's read transaction on a collection's points.db, open until disposed.</summary>
    private static SqliteConnection HoldReadTransaction(string collection, long expectedCount)
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
