using BitSieve.Ingest.Scanning;

namespace BitSieve.Ingest.Tests.Scanning;

public class ChangeSetTests
{
    private static ScannedFile File(string path, string hash) => new(path, "/root/" + path, 1, DateTime.UnixEpoch, hash);

    [Fact]
    public void Added_changed_unchanged_deleted_and_moved()
    {
        var previous = new Dictionary<string, string>
        {
            ["same.txt"] = "h1",
            ["edited.md"] = "h2",
            ["old/name.html"] = "h3",
            ["gone.pdf"] = "h4",
        };
        ScannedFile[] current =
        [
            File("same.txt", "h1"),
            File("edited.md", "h2b"),
            File("new/name.html", "h3"),
            File("fresh.txt", "h5"),
        ];
        ChangeSet changes = ChangeSet.Compute(previous, current);
        Assert.Equal(["fresh.txt"], changes.Added.Select(f => f.RelativePath));
        Assert.Equal(["edited.md"], changes.Changed.Select(f => f.RelativePath));
        Assert.Equal(["same.txt"], changes.Unchanged.Select(f => f.RelativePath));
        Assert.Equal(["gone.pdf"], changes.Deleted);
        FileMove move = Assert.Single(changes.Moved);
        Assert.Equal(("old/name.html", "new/name.html"), (move.FromPath, move.To.RelativePath));
        Assert.Empty(changes.Unreadable);
        Assert.False(changes.IsEmpty);
    }

    [Fact]
    public void A_copy_is_an_addition_not_a_move()
    {
        var previous = new Dictionary<string, string> { ["a.txt"] = "h" };
        ChangeSet changes = ChangeSet.Compute(previous, [File("a.txt", "h"), File("copy.txt", "h")]);
        Assert.Equal(["copy.txt"], changes.Added.Select(f => f.RelativePath));
        Assert.Empty(changes.Moved);
    }

    [Fact]
    public void Identical_files_pair_up_one_to_one_in_path_order()
    {
        var previous = new Dictionary<string, string> { ["p2.txt"] = "h", ["p1.txt"] = "h" };
        ChangeSet changes = ChangeSet.Compute(previous, [File("q.txt", "h")]);
        FileMove move = Assert.Single(changes.Moved);
        Assert.Equal(("p1.txt", "q.txt"), (move.FromPath, move.To.RelativePath));
        Assert.Equal(["p2.txt"], changes.Deleted);
        Assert.Empty(changes.Added);
    }

    [Fact]
    public void Unreadable_known_files_are_kept_not_deleted()
    {
        var previous = new Dictionary<string, string> { ["locked.txt"] = "h", ["gone.txt"] = "g" };
        ChangeSet changes = ChangeSet.Compute(previous, [], ["locked.txt", "never-indexed.txt"]);
        Assert.Equal(["locked.txt"], changes.Unreadable);
        Assert.Equal(["gone.txt"], changes.Deleted);
    }

    [Fact]
    public void Nothing_to_do_is_empty()
    {
        var previous = new Dictionary<string, string> { ["a.txt"] = "H" };
        Assert.True(ChangeSet.Compute(previous, [File("a.txt", "h")]).IsEmpty); // hex case does not matter
        Assert.True(ChangeSet.Compute(new Dictionary<string, string>(), []).IsEmpty);
    }

    [Fact]
    public void Works_on_a_real_scan()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "alpha");
        dir.Write("b.txt", "beta");
        var scanner = new FolderScanner();
        var state = scanner.Scan(dir.Path).Files.ToDictionary(f => f.RelativePath, f => f.Hash);

        System.IO.File.Move(Path.Combine(dir.Path, "b.txt"), Path.Combine(dir.Path, "renamed.txt"));
        dir.Write("a.txt", "alpha 2");
        dir.Write("c.md", "new");
        ChangeSet changes = ChangeSet.Compute(state, scanner.Scan(dir.Path));
        Assert.Equal(["c.md"], changes.Added.Select(f => f.RelativePath));
        Assert.Equal(["a.txt"], changes.Changed.Select(f => f.RelativePath));
        Assert.Equal(("b.txt", "renamed.txt"), (changes.Moved[0].FromPath, changes.Moved[0].To.RelativePath));
        Assert.Empty(changes.Deleted);
    }

    [Fact]
    public void Duplicate_paths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ChangeSet.Compute(new Dictionary<string, string>(), [File("a", "1"), File("a", "2")]));
    }
}
