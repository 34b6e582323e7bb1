using System.Text;
using BitSieve.Ingest.Scanning;

namespace BitSieve.Ingest.Tests.Scanning;

public class FolderScannerTests
{
    private static string Hash(string content) => FolderScanner.HashBytes(Encoding.UTF8.GetBytes(content));

    [Fact]
    public void Lists_supported_files_with_relative_paths_hashes_and_sizes()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "alpha");
        dir.Write("sub/b.md", "# beta");
        dir.Write("sub/deep/c.HTML", "<p>gamma</p>");
        dir.Write("doc.pdf", "%PDF-");
        dir.Write("notes.docx", "ignored");
        dir.Write("README", "ignored");
        dir.Write(".hidden.txt", "ignored");
        dir.Write(".git/info.txt", "ignored");
        dir.Write(".bitsieve/chunks.txt", "ignored");
        dir.Write("sub/.cache/x.md", "ignored");

        FolderScan scan = new FolderScanner().Scan(dir.Path);
        Assert.Equal(["a.txt", "doc.pdf", "sub/b.md", "sub/deep/c.HTML"], scan.Files.Select(f => f.RelativePath));
        ScannedFile a = scan.Files[0];
        Assert.Equal(Hash("alpha"), a.Hash);
        Assert.Equal(32, a.Hash.Length);
        Assert.Equal(5, a.Size);
        Assert.Equal(Path.Combine(dir.Path, "a.txt"), a.FullPath);
        Assert.Equal(File.GetLastWriteTimeUtc(a.FullPath), a.LastWriteUtc);
        Assert.Empty(scan.Problems);
        Assert.Equal(4, scan.Rehashed);
    }

    [Fact]
    public void Hidden_entries_can_be_included_but_the_database_folder_never_is()
    {
        using var dir = new TempDirectory();
        dir.Write(".notes/a.txt", "a");
        dir.Write(".bitsieve/b.txt", "b");
        FolderScan scan = new FolderScanner(new FolderScanOptions { SkipHidden = false }).Scan(dir.Path);
        Assert.Equal([".notes/a.txt"], scan.Files.Select(f => f.RelativePath));
    }

    [Fact]
    public void Known_fingerprints_skip_rehashing_unchanged_files()
    {
        using var dir = new TempDirectory();
        dir.Write("a.txt", "alpha");
        dir.Write("b.txt", "beta");
        var scanner = new FolderScanner();
        FolderScan first = scanner.Scan(dir.Path);
        var known = first.Files.ToDictionary(f => f.RelativePath, f => f.Fingerprint);

        FolderScan second = scanner.Scan(dir.Path, known);
        Assert.Equal(0, second.Rehashed);
        Assert.Equal(first.Files.Select(f => f.Hash), second.Files.Select(f => f.Hash));

        string b = dir.Write("b.txt", "beta, longer now");
        FolderScan third = scanner.Scan(dir.Path, known);
        Assert.Equal(1, third.Rehashed);
        Assert.Equal(Hash("beta, longer now"), third.Files[1].Hash);
        Assert.Equal(FolderScanner.HashFile(b), third.Files[1].Hash);
    }

    [Fact]
    public void A_missing_root_throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new FolderScanner().Scan(Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid())));
    }

    [Fact]
    public void Links_to_folders_are_not_followed_and_broken_links_are_problems()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var dir = new TempDirectory();
        dir.Write("docs/a.txt", "a");
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "docs", "loop"), dir.Path);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "broken.txt"), Path.Combine(dir.Path, "missing.txt"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link.md"), Path.Combine(dir.Path, "docs", "a.txt"));

        FolderScan scan = new FolderScanner().Scan(dir.Path);
        Assert.Equal(["docs/a.txt", "link.md"], scan.Files.Select(f => f.RelativePath));
        Assert.Equal(scan.Files[0].Hash, scan.Files[1].Hash);
        Assert.Equal("broken.txt", Assert.Single(scan.Problems).RelativePath);
    }
}
