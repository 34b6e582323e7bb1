using BitSieve.Storage;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>Damage that today's opens cannot see: a changed manifest value, a damaged original read by compaction.</summary>
public sealed class IntegrityTests
{
    private const int Dim = 24;

    /// <summary>A saved collection "c" of 600 points (centroid trained at 100), every write checkpointed.</summary>
    private static TempDirectory Saved()
    {
        var dir = new TempDirectory();
        using var db = Database.Open(dir.Path);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim, Metric = Metric.Dot, TrainingSize = 100 });
        c.Upsert(DatabaseTests.Points(600, seed: 3, dim: Dim));
        return dir;
    }

    private static string IndexDir(TempDirectory dir) => Path.Combine(dir.Path, "collections", "c", "index");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_changed_digit_in_the_centroid_is_reported_naming_the_manifest_never_answered(bool readOnly)
    {
        using var dir = Saved();
        string path = Path.Combine(IndexDir(dir), "manifest.json");
        string json = File.ReadAllText(path);
        // The first significant digit of the first centroid component: every code's bound is then computed around
        // another centre than the codes were, so an "exact" search would prune on unsound bounds.
        int at = json.IndexOf("\"centroid\"", StringComparison.Ordinal);
        while (json[at] is < '1' or > '9') at++;
        File.WriteAllText(path, json[..at] + (char)('1' + (json[at] - '1' + 4) % 9) + json[(at + 1)..]);

        var query = TestData.Gaussian(1, Dim, seed: 5);
        var e = Record.Exception(() =>
        {
            using var db = Database.Open(dir.Path, new DatabaseOptions { ReadOnly = readOnly });
            db.GetCollection("c").Search(query, new SearchOptions { K = 10, Quality = Quality.Exact });
        });
        Assert.True(e is CorruptFileException, $"opened and searched a collection whose centroid was changed: {e}");
        Assert.Contains("manifest.json", e!.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compaction_over_a_damaged_original_fails_and_leaves_the_saved_index_as_it_was()
    {
        using var dir = Saved();
        string index = IndexDir(dir);
        string segment = Directory.EnumerateFiles(index, "originals.*.col").Single();
        // One float of row 17, past the 64-byte header: a valid number, so only the checksum can tell.
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.Position = ColumnFile.HeaderSize + (17 * Dim + 3) * sizeof(float) + 1;
            int b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0x10));
        }
        var before = Directory.EnumerateFiles(index).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();

        using (var db = Database.Open(dir.Path))
        {
            var c = db.GetCollection("c"); // opening does not read the originals: it stays cheap
            var e = Assert.Throws<CorruptFileException>(c.Compact);
            Assert.Contains(Path.GetFileName(segment), e.Message, StringComparison.Ordinal);
            Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
            db.Close(checkpoint: false);
        }
        var after = Directory.EnumerateFiles(index).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();
        Assert.Equal(before.Select(f => f.f), after.Select(f => f.f));
        for (int i = 0; i < before.Count; i++) Assert.True(before[i].Item2.AsSpan().SequenceEqual(after[i].Item2), $"{before[i].f} changed");
    }
}
