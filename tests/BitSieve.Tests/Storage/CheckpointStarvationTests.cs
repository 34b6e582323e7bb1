using BitSieve.Storage;
using BitSieve.Tests.Engine;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Readers searching back to back must not starve checkpoints: while some read transaction of <c>points.db</c> is
/// always open, SQLite cannot empty its WAL, yet every checkpoint and compaction succeeds and empties the collection's
/// log (SQLite's WAL is fsynced instead), and SQLite's WAL is emptied again once readers move on. Bounded by rounds,
/// not by time.
/// </summary>
public sealed class CheckpointStarvationTests(ITestOutputHelper output)
{
    private const int Dim = 16;

    [Fact]
    public void Checkpoints_and_compactions_succeed_while_overlapping_readers_always_hold_a_snapshot_older_than_the_last_write()
    {
        const int Rounds = 4, Batch = 50;
        using var dir = new TempDirectory();
        string collection = Path.Combine(dir.Path, "collections", "c");
        string log = Path.Combine(collection, WriteAheadLog.FileName), sqliteWal = Path.Combine(collection, PointStore.FileName + "-wal");
        long expected = 100;
        using (var db = Database.Open(dir.Path))
        {
            var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
            c.Upsert(DatabaseTests.Points(100, seed: 1));
            c.Checkpoint();

            // Readers take turns, each beginning its snapshot before the previous one ends (searches back to back on two
            // threads or processes): at every checkpoint one snapshot predates the writer's last write, so SQLite can
            // never copy its whole WAL into points.db, however long the checkpoint waits.
            var readers = new Queue<SqliteConnection>();
            readers.Enqueue(DurabilityTests.HoldReadTransaction(collection, expected));
            try
            {
                for (int round = 1; round <= Rounds; round++)
                {
                    c.Upsert(DatabaseTests.Points(Batch, seed: round + 1, firstId: (ulong)round * 1000));
                    expected += Batch;
                    var next = DurabilityTests.HoldReadTransaction(collection, expected);
                    if (round % 2 == 0) c.Compact();
                    else c.Checkpoint();
                    Assert.True(new FileInfo(log).Length < 4096, $"round {round}: the log is not emptied ({new FileInfo(log).Length} bytes)");
                    output.WriteLine($"round {round}: points.db-wal {new FileInfo(sqliteWal).Length} bytes after the checkpoint");
                    readers.Dequeue().Dispose();
                    readers.Enqueue(next);
                }
            }
            finally
            {
                while (readers.TryDequeue(out var reader)) reader.Dispose();
            }

            // The readers have moved on: SQLite's WAL is copied into points.db and emptied.
            c.Checkpoint();
            Assert.Equal(0, new FileInfo(sqliteWal).Length);
        }

        using var reopened = Database.Open(dir.Path);
        Assert.Equal(expected, reopened.GetCollection("c").Count);
    }

    [Fact]
    public async Task SQLite_s_WAL_stays_bounded_while_readers_search_back_to_back_and_the_writer_imports_and_checkpoints()
    {
        const int Rounds = 12, Batch = 200, Readers = 3;
        using var dir = new TempDirectory();
        string sqliteWal = Path.Combine(dir.Path, "collections", "c", PointStore.FileName + "-wal");
        using var writerDb = Database.Open(dir.Path);
        var writer = writerDb.CreateCollection("c", new CollectionOptions { Dimension = Dim, TrainingSize = 100 });
        writer.Upsert(DatabaseTests.Points(Batch, seed: 1));
        writer.Checkpoint();

        using var readerDb = Database.Open(dir.Path, new DatabaseOptions { ReadOnly = true });
        var reader = readerDb.GetCollection("c");
        var query = TestData.Gaussian(1, Dim, seed: 2);
        long searches = 0;
        using var stop = new CancellationTokenSource();
        var searching = Enumerable.Range(0, Readers).Select(_ => Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(10, reader.Search(query, new SearchOptions { K = 10 }, withPayload: false).Hits.Count);
                Interlocked.Increment(ref searches);
            }
        }, TaskCreationOptions.LongRunning)).ToList();

        // Per round: the WAL's size after the import (frames of one round on top of what the last checkpoint left) and
        // after the checkpoint.
        var sizes = new List<(long Written, long Checkpointed)>();
        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                writer.Upsert(DatabaseTests.Points(Batch, seed: round + 1, firstId: (ulong)round * 1000));
                long written = new FileInfo(sqliteWal).Length;
                writer.Checkpoint();
                sizes.Add((written, new FileInfo(sqliteWal).Length));
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(searching);
        }
        output.WriteLine($"{Interlocked.Read(ref searches)} searches; points.db-wal after each import / checkpoint: " +
            string.Join(", ", sizes.Select(s => $"{s.Written / 1024} / {s.Checkpointed / 1024} KiB")));
        // Readers that each hold a snapshot for one search leave SQLite room to empty its WAL: it holds what one round
        // writes, plus what at most one earlier checkpoint had to leave there, never the whole import.
        long oneRound = sizes.Max(s => s.Written - s.Checkpointed);
        Assert.True(sizes.Max(s => s.Written) <= 2 * oneRound + 64 * 1024, $"SQLite's WAL grew to {sizes.Max(s => s.Written)} bytes; one round writes about {oneRound}");
        Assert.True(sizes.Count(s => s.Checkpointed == 0) >= Rounds / 2, $"SQLite's WAL was emptied by only {sizes.Count(s => s.Checkpointed == 0)} of {Rounds} checkpoints");
        Assert.Equal(Batch * (Rounds + 1), reader.Count);
    }
}
