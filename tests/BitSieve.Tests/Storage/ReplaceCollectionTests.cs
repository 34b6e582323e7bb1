using BitSieve.Storage;

namespace BitSieve.Tests.Storage;

/// <summary>
/// <see cref="Database.ReplaceCollection"/>: the swap a re-index ends with. A crash between its two renames leaves the
/// old collection under its name (and the replacement under its own); a crash after them leaves the new one. Runs with
/// the power-loss tests, alone: the crashes are a <see cref="StorageFiles"/> installed process-wide.
/// </summary>
[Collection(PowerLossTests.Name)]
public sealed class ReplaceCollectionTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-replace-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>"docs" with 50 points numbered from 0, "docs-new" with 30 numbered from 1000.</summary>
    private void CreateBoth()
    {
        using var db = Database.Open(_dir);
        db.CreateCollection("docs", new CollectionOptions { Dimension = Dim }).Upsert(DatabaseTests.Points(50, seed: 1));
        db.CreateCollection("docs-new", new CollectionOptions { Dimension = Dim }).Upsert(DatabaseTests.Points(30, seed: 2, firstId: 1000));
    }

    private static ulong[] Ids(Collection collection) =>
        [.. collection.Scroll(null, 1000).Points.Select(p => p.Id.Number).Order()];

    private string[] StagingFolders() =>
        [.. Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "collections"), ".*").Select(Path.GetFileName).OfType<string>()];

    [Fact]
    public void Replace_puts_the_new_collection_under_the_name_and_frees_the_other_name()
    {
        CreateBoth();
        using (var db = Database.Open(_dir))
        {
            var docs = db.ReplaceCollection("docs", "docs-new");
            Assert.Equal(Enumerable.Range(1000, 30).Select(i => (ulong)i), Ids(docs));
            Assert.False(db.CollectionExists("docs-new"));
            Assert.Equal(["docs"], db.CollectionNames());
            Assert.Same(docs, db.GetCollection("docs"));
        }
        using (var db = Database.Open(_dir))
            Assert.Equal(Enumerable.Range(1000, 30).Select(i => (ulong)i), Ids(db.GetCollection("docs")));
        Assert.Empty(StagingFolders());
    }

    [Fact]
    public void Replace_into_a_free_name_renames_and_a_missing_replacement_changes_nothing()
    {
        CreateBoth();
        using var db = Database.Open(_dir);
        Assert.Throws<KeyNotFoundException>(() => db.ReplaceCollection("docs", "absent"));
        Assert.Throws<ArgumentException>(() => db.ReplaceCollection("docs", "docs"));
        Assert.Equal(50, db.GetCollection("docs").Count);
        Assert.Equal(30, db.ReplaceCollection("other", "docs-new").Count);
        Assert.Equal(["docs", "other"], db.CollectionNames());
    }

    [Theory]
    [InlineData(1)] // the old collection renamed away, the replacement not yet in place
    [InlineData(0)] // before the first rename, with the journal written
    public void A_crash_before_the_second_rename_leaves_the_old_collection_and_the_replacement_as_they_were(int movesBeforeCrash)
    {
        CreateBoth();
        var db = Database.Open(_dir);
        var previous = StorageFiles.Current;
        StorageFiles.Current = new CrashingFiles(movesBeforeCrash);
        try
        {
            Assert.Throws<IOException>(() => db.ReplaceCollection("docs", "docs-new"));
        }
        finally
        {
            StorageFiles.Current = previous;
        }
        db.Close(checkpoint: false);

        using (db = Database.Open(_dir))
        {
            Assert.Equal(Enumerable.Range(0, 50).Select(i => (ulong)i), Ids(db.GetCollection("docs")));
            Assert.Equal(Enumerable.Range(1000, 30).Select(i => (ulong)i), Ids(db.GetCollection("docs-new")));
        }
        Assert.Empty(StagingFolders());
    }

    [Fact]
    public void A_crash_after_both_renames_is_finished_on_the_next_open()
    {
        CreateBoth();
        var db = Database.Open(_dir);
        var previous = StorageFiles.Current;
        StorageFiles.Current = new CrashingFiles(movesBeforeCrash: 2);
        try
        {
            Assert.Throws<IOException>(() => db.ReplaceCollection("docs", "docs-new"));
        }
        finally
        {
            StorageFiles.Current = previous;
        }
        db.Close(checkpoint: false);
        Assert.Contains(Database.ReplacementJournal, StagingFolders());

        using (db = Database.Open(_dir))
        {
            Assert.Equal(Enumerable.Range(1000, 30).Select(i => (ulong)i), Ids(db.GetCollection("docs")));
            Assert.Equal(["docs"], db.CollectionNames());
        }
        Assert.Empty(StagingFolders());
    }

    [Fact]
    public void A_damaged_journal_is_reported_and_nothing_is_moved()
    {
        CreateBoth();
        File.WriteAllText(Path.Combine(_dir, "collections", Database.ReplacementJournal), "docs\n");
        var error = Assert.Throws<InvalidDataException>(() => Database.Open(_dir));
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_dir, "collections", "docs")));
        Assert.True(Directory.Exists(Path.Combine(_dir, "collections", "docs-new")));
        // The failed open holds no lock: once the journal is dealt with, the database opens.
        File.Delete(Path.Combine(_dir, "collections", Database.ReplacementJournal));
        using var db = Database.Open(_dir);
        Assert.Equal(50, db.GetCollection("docs").Count);
    }

    /// <summary>
    /// The disk as a process that dies after <c>movesBeforeCrash</c> directory renames: the next rename, and every file
    /// operation after it, throws (a dead process changes nothing more), except deleting a folder, which only fails.
    /// </summary>
    private sealed class CrashingFiles(int movesBeforeCrash) : StorageFiles
    {
        private int _moves;
        private bool _dead;

        private void Step()
        {
            if (_dead) throw new IOException("crashed");
        }

        public override void MoveDirectory(string source, string destination)
        {
            Step();
            if (_moves++ == movesBeforeCrash)
            {
                _dead = true;
                Step();
            }
            base.MoveDirectory(source, destination);
        }

        public override void SyncDirectory(string directory)
        {
            Step();
            base.SyncDirectory(directory);
            if (_moves == movesBeforeCrash && movesBeforeCrash == 2) _dead = true;
        }

        public override void Delete(string path)
        {
            Step();
            base.Delete(path);
        }

        public override void DeleteDirectory(string path)
        {
            Step();
            base.DeleteDirectory(path);
        }
    }
}
