using BitSieve.Storage;

namespace BitSieve.Tests.Storage;

/// <summary>Damaged, truncated or foreign files of a database: a clear error naming the file, or (a torn log tail) recovery.</summary>
public sealed class CorruptionTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-corrupt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string CollectionDir => Path.Combine(_dir, "collections", "c");

    private string WalPath => Path.Combine(CollectionDir, "wal.log");

    /// <summary>A collection with a checkpoint of 300 points and 3 more batches in the log only.</summary>
    private void Build()
    {
        var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.Upsert(DatabaseTests.Points(300, seed: 1));
        c.Checkpoint();
        for (int b = 0; b < 3; b++) c.Upsert(DatabaseTests.Points(50, seed: 2 + b, firstId: 1000 + (ulong)b * 100));
        db.Close(checkpoint: false);
    }

    private long OpenCount()
    {
        using var db = Database.Open(_dir);
        return db.GetCollection("c").Count;
    }

    private void AssertCorrupt(string file)
    {
        var e = Assert.ThrowsAny<Exception>(() => OpenCount());
        Assert.True(e is CorruptFileException or FileNotFoundException, $"{e.GetType().Name}: {e.Message}");
        Assert.Contains(Path.GetFileName(file), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_intact_database_opens_with_every_point()
    {
        Build();
        Assert.Equal(450, OpenCount());
    }

    [Fact]
    public void A_torn_last_log_record_is_discarded_and_the_rest_recovered()
    {
        Build();
        // What a crash in the middle of appending record 6 leaves: its header and the first part of its payload.
        var header = new byte[24];
        BitConverter.TryWriteBytes(header.AsSpan(0), 5000);
        header[4] = 1;
        BitConverter.TryWriteBytes(header.AsSpan(8), 6L);
        using (var stream = new FileStream(WalPath, FileMode.Append))
        {
            stream.Write(header);
            stream.Write(new byte[700].Select((_, i) => (byte)i).ToArray());
        }
        Assert.Equal(450, OpenCount());
        Assert.Equal(450, OpenCount());
    }

    [Fact]
    public void Zeros_after_the_last_record_are_a_torn_tail()
    {
        Build();
        using (var stream = new FileStream(WalPath, FileMode.Append)) stream.Write(new byte[4096]);
        Assert.Equal(450, OpenCount());
    }

    [Fact]
    public void A_damaged_record_followed_by_more_log_is_an_error_naming_the_log()
    {
        Build();
        FlipByte(WalPath, 32 + 24 + 40); // inside the first record's payload
        AssertCorrupt(WalPath);
    }

    [Fact]
    public void A_damaged_length_in_a_middle_log_record_is_reported_by_readers_and_writers_and_changes_nothing()
    {
        // Nine acknowledged batches in the log only (a crash before any checkpoint), then one byte of the third
        // record's length field changed so that it points past the end of the file.
        var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        for (int b = 0; b < 9; b++) c.Upsert(DatabaseTests.Points(20, seed: 10 + b, firstId: (ulong)b * 100));
        db.Close(checkpoint: false);
        long third = LogFile.RecordOffsets(WalPath)[2];
        using (var stream = new FileStream(WalPath, FileMode.Open))
        {
            stream.Position = third + 2;
            int b = stream.ReadByte();
            stream.Position = third + 2;
            stream.WriteByte((byte)(b ^ 0x01));
        }
        var before = LogFile.Snapshot(CollectionDir);

        var read = Assert.Throws<CorruptFileException>(() =>
        {
            using var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true });
            return reader.GetCollection("c").Count;
        });
        Assert.Equal(WalPath, read.FilePath);
        LogFile.AssertUnchanged(before, CollectionDir);

        var write = Assert.Throws<CorruptFileException>(() => OpenCount());
        Assert.Equal(WalPath, write.FilePath);
        LogFile.AssertUnchanged(before, CollectionDir);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_missing_log_beside_a_points_database_that_applied_records_is_an_error_naming_it(bool checkpointed)
    {
        Build();
        if (checkpointed) Database.Open(_dir).Dispose();
        File.Delete(WalPath);
        var before = LogFile.Snapshot(CollectionDir);
        var read = Assert.Throws<CorruptFileException>(() =>
        {
            using var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true });
            return reader.GetCollection("c").Count;
        });
        Assert.Equal(WalPath, read.FilePath);
        var write = Assert.Throws<CorruptFileException>(() => OpenCount());
        Assert.Equal(WalPath, write.FilePath);
        Assert.Contains("missing", write.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(WalPath));
        LogFile.AssertUnchanged(before, CollectionDir);
    }

    [Fact]
    public void A_version_1_log_left_by_an_older_build_is_replayed_and_rewritten_in_the_current_format()
    {
        Build();
        LogFile.RewriteAsVersion1(WalPath);
        Assert.Equal(1, LogFile.Version(WalPath));
        using (var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true }))
            Assert.Equal(450, reader.GetCollection("c").Count);
        Assert.Equal(1, LogFile.Version(WalPath));

        var db = Database.Open(_dir);
        var c = db.GetCollection("c");
        Assert.Equal(450, c.Count);
        Assert.Equal(WriteAheadLog.FormatVersion, LogFile.Version(WalPath));
        Assert.Equal(3, LogFile.RecordOffsets(WalPath).Count);
        c.Upsert(DatabaseTests.Points(10, seed: 9, firstId: 5000));
        db.Close(checkpoint: false);
        Assert.Equal(460, OpenCount());
    }

    [Theory]
    [InlineData("wal.log")]
    [InlineData("points.db")]
    [InlineData("index/manifest.json")]
    public void A_foreign_file_is_an_error_naming_it(string name)
    {
        Build();
        string path = Path.Combine(CollectionDir, name);
        File.WriteAllText(path, "this is not a BitSieve file, just some text that happens to be here\n");
        if (name == "points.db")
            foreach (string side in new[] { "-wal", "-shm" }) File.Delete(path + side);
        AssertCorrupt(path);
    }

    [Fact]
    public void A_damaged_schema_in_the_points_database_is_an_error_naming_it_on_open()
    {
        Build();
        using (var db = Database.Open(_dir)) db.GetCollection("c"); // checkpointed: SQLite's own WAL is empty, every page is read from points.db
        string path = Path.Combine(CollectionDir, "points.db");
        byte[] bytes = File.ReadAllBytes(path);
        // Every copy of the table's definition (a stale one may sit in a free page): the column "key" becomes "kez".
        int copies = 0;
        for (int at = bytes.AsSpan().IndexOf("key     INTEGER PRIMARY KEY"u8); at >= 0; at = bytes.AsSpan().IndexOf("key     INTEGER PRIMARY KEY"u8), copies++)
            bytes[at + 2] = (byte)'z';
        Assert.True(copies > 0);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CorruptFileException>(() =>
        {
            using var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true });
            return reader.GetCollection("c").Retrieve([1000UL]).Count;
        });
        Assert.Equal(path, e.FilePath);
        AssertCorrupt(path);
    }

    [Fact]
    public void Another_sqlite_database_is_not_taken_for_a_points_database()
    {
        Build();
        string path = Path.Combine(CollectionDir, "points.db");
        File.Delete(path);
        foreach (string side in new[] { "-wal", "-shm" }) File.Delete(path + side);
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE t(x); INSERT INTO t VALUES (1);";
            command.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        AssertCorrupt(path);
    }

    [Theory]
    [InlineData("points.db", 0.5)]
    [InlineData("points.db", 0.02)]
    [InlineData("wal.log", 0.0)]
    public void A_truncated_file_is_an_error_naming_it(string name, double keep)
    {
        Build();
        var db = Database.Open(_dir);
        db.GetCollection("c");
        db.Dispose(); // checkpoint: the points database holds everything, its SQLite WAL is folded in
        string path = Path.Combine(CollectionDir, name);
        long length = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength((long)(length * keep) + (name == "wal.log" ? 10 : 0));
        AssertCorrupt(path);
    }

    [Fact]
    public void A_bit_flip_in_a_column_file_is_an_error_naming_it()
    {
        Build();
        string signs = Directory.EnumerateFiles(Path.Combine(CollectionDir, "index"), "signs.*.col").Single();
        FlipByte(signs, new FileInfo(signs).Length - 10);
        AssertCorrupt(signs);
    }

    [Fact]
    public void A_truncated_originals_file_is_an_error_naming_it()
    {
        Build();
        string originals = Directory.EnumerateFiles(Path.Combine(CollectionDir, "index"), "originals.*.col").Single();
        using (var stream = new FileStream(originals, FileMode.Open)) stream.SetLength(stream.Length - Dim * 4);
        AssertCorrupt(originals);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x5A));
    }
}
