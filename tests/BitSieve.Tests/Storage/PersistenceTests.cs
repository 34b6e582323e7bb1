using System.Text;
using System.Text.Json.Nodes;
using BitSieve.Storage;

namespace BitSieve.Tests.Storage;

public class PersistenceTests
{
    private const int Dim = 40;

    public static TheoryData<Metric, int> MetricsAndBits => new()
    {
        { Metric.Cosine, 4 }, { Metric.Cosine, 8 },
        { Metric.Dot, 4 }, { Metric.Dot, 8 },
        { Metric.Euclidean, 4 }, { Metric.Euclidean, 8 },
    };

    private static float[] RandomVectors(Random rng, int n, float shift = 0.3f)
    {
        var v = new float[n * Dim];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) + shift;
        return v;
    }

    /// <summary>600 points (trained at 200), 50 deleted, 20 replaced.</summary>
    private static VectorIndex Build(Metric metric, int bits, int seed = 1, int trainingSize = 200)
    {
        var rng = new Random(seed);
        var c = VectorIndex.Create(new CollectionOptions { Dimension = Dim, Metric = metric, Bits = bits, TrainingSize = trainingSize, RotationSeed = 0xFEED_0000_0000_0001UL });
        var ids = Enumerable.Range(0, 600).Select(i => (ulong)i * 3 + 1).ToArray();
        c.UpsertBatch(ids, RandomVectors(rng, ids.Length));
        for (int i = 0; i < 50; i++) c.Delete(ids[i * 7]);
        for (int i = 0; i < 20; i++) c.Upsert(ids[i * 11 + 1], RandomVectors(rng, 1));
        return c;
    }

    private static void AssertSame(VectorIndex expected, VectorIndex actual, int seed = 99)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Options, actual.Options);
        Assert.Equal(expected.IsTrained, actual.IsTrained);
        Assert.Equal(expected.Centroid, actual.Centroid);
        Assert.Equal(expected.BytesPerVector, actual.BytesPerVector);
        for (ulong id = 0; id < 3000; id++)
        {
            Assert.Equal(expected.Contains(id), actual.Contains(id));
            if (expected.Contains(id)) Assert.Equal(expected.GetVector(id), actual.GetVector(id));
        }
        var queries = RandomVectors(new Random(seed), 8);
        for (int q = 0; q < 8; q++)
        {
            var query = queries.AsSpan(q * Dim, Dim);
            Assert.Equal(expected.Search(query, new SearchOptions { K = 10 }).Hits, actual.Search(query, new SearchOptions { K = 10 }).Hits);
            Assert.Equal(expected.Search(query, new SearchOptions { K = 5, Oversampling = 4 }).Hits, actual.Search(query, new SearchOptions { K = 5, Oversampling = 4 }).Hits);
            Assert.Equal(expected.SearchExact(query, 10).Hits, actual.SearchExact(query, 10).Hits);
        }
        var batchA = expected.SearchBatch(queries, new SearchOptions { K = 7 });
        var batchB = actual.SearchBatch(queries, new SearchOptions { K = 7 });
        for (int q = 0; q < batchA.Length; q++) Assert.Equal(batchA[q].Hits, batchB[q].Hits);
    }

    private static void Mutate(VectorIndex c, int seed)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, 150).Select(i => 5000UL + (ulong)i).ToArray();
        c.UpsertBatch(ids, RandomVectors(rng, ids.Length));
        c.Upsert(4, RandomVectors(rng, 1)); // replaces a saved point
        c.Delete(10);
        c.Delete(5003);
    }

    [Theory]
    [MemberData(nameof(MetricsAndBits))]
    public void RoundTripKeepsSearchesAndVectors(Metric metric, int bits)
    {
        using var dir = new TempDirectory();
        using var built = Build(metric, bits);
        built.Save(dir.Path);
        using (var opened = VectorIndex.Open(dir.Path))
        {
            AssertSame(built, opened);
            Assert.False(opened.Contains(1)); // deleted before the save

            // Writes after reopen go to the in-memory tail; save and reopen again.
            Mutate(built, 5);
            Mutate(opened, 5);
            AssertSame(built, opened);
            using var dir2 = new TempDirectory();
            opened.Save(dir2.Path);
            using var again = VectorIndex.Open(dir2.Path);
            AssertSame(built, again);
        }
    }

    [Fact]
    public void UntrainedAndEmptyCollectionsRoundTrip()
    {
        using var dir = new TempDirectory();
        using var untrained = Build(Metric.Dot, 4, trainingSize: 100_000);
        Assert.False(untrained.IsTrained);
        untrained.Save(dir.Path);
        using (var opened = VectorIndex.Open(dir.Path))
        {
            AssertSame(untrained, opened);
            Assert.False(opened.IsTrained);
        }

        using var emptyDir = new TempDirectory();
        using var empty = VectorIndex.Create(new CollectionOptions { Dimension = 3, Metric = Metric.Euclidean, RotationSeed = ulong.MaxValue });
        empty.Save(emptyDir.Path);
        using var reopened = VectorIndex.Open(emptyDir.Path);
        Assert.Equal(0, reopened.Count);
        Assert.Equal(empty.Options, reopened.Options);
        Assert.Empty(reopened.Search([1f, 2f, 3f]).Hits);
        reopened.Upsert(42, [1f, 2f, 3f]);
        Assert.Equal(42UL, Assert.Single(reopened.Search([1f, 2f, 3f]).Hits).Id);
    }

    [Fact]
    public void SavingIntoTheDirectoryItWasOpenedFromReplacesIt()
    {
        using var dir = new TempDirectory();
        using var built = Build(Metric.Cosine, 4);
        built.Save(dir.Path);
        using (var opened = VectorIndex.Open(dir.Path))
        {
            Mutate(built, 8);
            Mutate(opened, 8);
            opened.Save(dir.Path); // keeps the mapped segment of originals, adds one for the rows appended since, rewrites the rest
            AssertSame(built, opened);
            opened.Save(dir.Path); // nothing appended: no new segment
            AssertSame(built, opened);
        }
        var files = Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(8, files.Length);
        Assert.Contains("manifest.json", files);
        Assert.Contains("originals.000001.col", files);
        Assert.Contains("originals.000002.col", files);
        Assert.All(files, f => Assert.True(f is "manifest.json" or "originals.000001.col" or "originals.000002.col" || f!.EndsWith(".000003.col", StringComparison.Ordinal), f));
        using var reopened = VectorIndex.Open(dir.Path);
        AssertSame(built, reopened);
    }

    [Fact]
    public void SavingOverAnotherCollectionReplacesIt()
    {
        using var dir = new TempDirectory();
        using (var first = Build(Metric.Dot, 8, seed: 1)) first.Save(dir.Path);
        using var second = Build(Metric.Euclidean, 4, seed: 2);
        second.Save(dir.Path);
        Assert.Equal(7, Directory.GetFiles(dir.Path).Length);
        using var opened = VectorIndex.Open(dir.Path, verifyOriginals: false);
        AssertSame(second, opened);
    }

    [Fact]
    public async Task SearchesRunWhileSaving()
    {
        using var dir = new TempDirectory();
        using var built = Build(Metric.Cosine, 4);
        var q = RandomVectors(new Random(5), 1);
        var expected = built.Search(q).Hits;
        using var stop = new CancellationTokenSource();
        var searcher = Task.Run(() =>
        {
            int n = 0;
            while (!stop.IsCancellationRequested || n == 0)
            {
                Assert.Equal(expected, built.Search(q).Hits);
                n++;
            }
            return n;
        });
        for (int i = 0; i < 5; i++) built.Save(dir.Path);
        stop.Cancel();
        Assert.True(await searcher > 0);
        using var opened = VectorIndex.Open(dir.Path);
        AssertSame(built, opened);
    }

    [Fact]
    public void RetrainingAfterReopenStillWorks()
    {
        using var dir = new TempDirectory();
        using var built = Build(Metric.Euclidean, 8);
        built.Save(dir.Path);
        using var opened = VectorIndex.Open(dir.Path);
        opened.Compact();
        built.Compact();
        AssertSame(built, opened);
        // A big shift of the data forces a drift retrain on insert.
        var rng = new Random(3);
        var ids = Enumerable.Range(0, 400).Select(i => 9000UL + (ulong)i).ToArray();
        var vectors = RandomVectors(rng, ids.Length, shift: 4f);
        built.UpsertBatch(ids, vectors);
        opened.UpsertBatch(ids, vectors);
        Assert.Equal(built.Centroid, opened.Centroid, (a, b) => Math.Abs(a - b) < 1e-4f);
        var q = RandomVectors(new Random(4), 1, shift: 4f);
        Assert.Equal(built.SearchExact(q, 10).Hits, opened.SearchExact(q, 10).Hits);
        Assert.Equal(built.Search(q).Hits, opened.Search(q).Hits);
        Assert.Equal(built.SearchExact(q, 10).Hits.Select(h => h.Id), opened.Search(q).Hits.Select(h => h.Id));
    }

    // ---- corruption ----

    private static readonly string[] ColumnNames = ["signs", "refine", "factors", "ids", "deleted", "originals"];

    private static string ColumnPath(TempDirectory dir, string name) => Directory.GetFiles(dir.Path, name + ".*.col").Single();

    private static TempDirectory Saved()
    {
        var dir = new TempDirectory();
        using var c = Build(Metric.Cosine, 4);
        c.Save(dir.Path);
        return dir;
    }

    private static void AssertRejected(string directory, string fileName, bool allowNotFound = false)
    {
        var e = Record.Exception(() => VectorIndex.Open(directory).Dispose());
        Assert.NotNull(e);
        Assert.True(e is CorruptFileException || (allowNotFound && e is FileNotFoundException), e.ToString());
        Assert.Contains(fileName, e.Message);
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void TruncatedColumnIsRejected(string column)
    {
        using var dir = Saved();
        string path = ColumnPath(dir, column);
        var bytes = File.ReadAllBytes(path);
        foreach (int length in new[] { 0, 7, 40, 64, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            AssertRejected(dir.Path, Path.GetFileName(path));
        }
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void FlippedBitIsRejected(string column)
    {
        using var dir = Saved();
        string path = ColumnPath(dir, column);
        var original = File.ReadAllBytes(path);
        var rng = new Random(column.Length);
        var positions = new[] { 0, 9, 13, 17, 21, 26, 33, 44, 58, 64, original.Length - 1 }
            .Concat(Enumerable.Range(0, 10).Select(_ => rng.Next(64, original.Length)));
        foreach (int position in positions)
        {
            var bytes = (byte[])original.Clone();
            bytes[position] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bytes);
            AssertRejected(dir.Path, Path.GetFileName(path));
        }
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void ForeignOrMissingColumnIsRejected(string column)
    {
        using var dir = Saved();
        string path = ColumnPath(dir, column);
        var rng = new Random(7);
        var random = new byte[new FileInfo(path).Length];
        rng.NextBytes(random);
        File.WriteAllBytes(path, random);
        AssertRejected(dir.Path, Path.GetFileName(path));
        File.WriteAllText(path, "{\"hello\": \"a text file renamed\"}\n");
        AssertRejected(dir.Path, Path.GetFileName(path));
        // A valid column file of another kind (or another save) in its place.
        string other = ColumnPath(dir, column == "ids" ? "deleted" : "ids");
        File.Copy(other, path, overwrite: true);
        AssertRejected(dir.Path, Path.GetFileName(path));
        File.Delete(path);
        AssertRejected(dir.Path, Path.GetFileName(path), allowNotFound: true);
    }

    public static TheoryData<string> Columns => new(ColumnNames);

    [Fact]
    public void MissingManifestIsNamed()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => VectorIndex.Open(dir.Path));
        Assert.Contains("manifest.json", e.Message);
        Assert.Throws<FileNotFoundException>(() => VectorIndex.Open(dir.File("nothing-here")));
    }

    [Fact]
    public void DamagedManifestIsRejected()
    {
        using var dir = Saved();
        string path = dir.File("manifest.json");
        string json = File.ReadAllText(path);

        void Check(string text, string? expected = null, string file = "manifest.json")
        {
            File.WriteAllText(path, text);
            var e = Record.Exception(() => VectorIndex.Open(dir.Path).Dispose());
            Assert.True(e is CorruptFileException, $"{text[..Math.Min(80, text.Length)]}: {e}");
            Assert.Contains(file, e.Message);
            if (expected is not null) Assert.Contains(expected, e.Message);
        }

        // An edited manifest is sealed again (a version 1 or 2 one has no checksum), so each value check is reached.
        string Edit(Action<JsonObject> edit)
        {
            var node = JsonNode.Parse(json)!.AsObject();
            node.Remove("checksum");
            edit(node);
            string body = node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
            return node["version"] is JsonValue v && v.TryGetValue(out int version) && version < 3 ? body : Encoding.UTF8.GetString(Manifest.Seal(Encoding.UTF8.GetBytes(body)));
        }

        Check(json[..(json.Length / 2)]);
        Check("");
        Check("null");
        Check("[1,2,3]");
        Check("not json at all");
        Check(Encoding.Latin1.GetString(Enumerable.Range(0, 200).Select(i => (byte)(i * 37)).ToArray()));
        Check(Edit(m => m["version"] = 4), "written by a newer BitSieve");
        Check(json.Replace("\"trained\": true", "\"trained\": false", StringComparison.Ordinal), "checksum");
        Check(json[..^3] + "0\"\n}", "checksum");
        Check(json.Replace("\"version\": 3", "\"version\": 2", StringComparison.Ordinal), "its version was changed");
        Check(json + "\n", "does not end with its checksum");
        Check(Edit(m => m["columns"]!["ids"]!["file"] = "ids.000002.col"), "generation");
        Check(Edit(m => m["columns"]!["ids"]!["file"] = "signs.000001.col.bak"), "ids.<generation>.col");
        Check(Edit(m => m["originals"]![0]!["file"] = "wal.log"), "originals.<generation>.col");
        Check(Edit(m => m["version"] = 0));
        Check(Edit(m => m["format"] = "something-else"), "not a BitSieve collection manifest");
        Check(Edit(m => m["dimension"] = 41), "centroid");
        Check(Edit(m => m["dimension"] = 1_000_000), "dimension");
        Check(Edit(m => { m["dimension"] = 64; m["centroid"] = new JsonArray(Enumerable.Repeat(0, 64).Select(v => (JsonNode)v).ToArray()); }));
        Check(Edit(m => m["dimension"] = "forty"));
        Check(Edit(m => m["bits"] = 5), "bits");
        Check(Edit(m => m["metric"] = "manhattan"), "metric");
        Check(Edit(m => m["rotationSeed"] = "-1"), "rotation seed");
        Check(Edit(m => m["count"] = 601));
        Check(Edit(m => m["count"] = -1));
        Check(Edit(m => m["deletedCount"] = 49), "deleted");
        Check(Edit(m => m.Remove("centroid")));
        Check(Edit(m => m["columns"]!.AsObject().Remove("ids")), "ids");
        Check(Edit(m => m["columns"]!["ids"]!["file"] = "../ids.000001.col"));
        Check(Edit(m => m["columns"]!["ids"]!["file"] = m["columns"]!["signs"]!["file"]!.GetValue<string>()));
        Check(Edit(m => m["columns"]!["ids"]!["checksum"] = "0123456789abcdef"), "differs from the one in manifest.json", file: "ids.000001.col");
        Check(Edit(m => m["columns"]!["ids"]!["count"] = 3));
        Check(Edit(m => m["centroid"]![0] = 1e39));
        Check(Edit(m => m.Remove("originals")), "segments of originals");
        Check(Edit(m => m["originals"]!.AsArray().Clear()), "segments of originals");
        Check(Edit(m => m["originals"]![0]!["count"] = 24), "segments of originals");
        Check(Edit(m => m["originals"]![0]!["file"] = m["columns"]!["ids"]!["file"]!.GetValue<string>()));
        Check(Edit(m => m["originals"]![0]!["checksum"] = "0123456789abcdef"), "differs from the one in manifest.json", file: "originals.000001.col");

        // Version 1 listed the originals as one column file: it still opens.
        File.WriteAllText(path, Edit(m =>
        {
            m["version"] = 1;
            var segment = m["originals"]![0]!.DeepClone();
            m.Remove("originals");
            m["columns"]!["originals"] = segment;
        }));
        using (var v1 = VectorIndex.Open(dir.Path))
        using (var expected = Build(Metric.Cosine, 4))
            AssertSame(expected, v1);

        File.WriteAllText(path, json);
        using var ok = VectorIndex.Open(dir.Path);
        using var built = Build(Metric.Cosine, 4);
        AssertSame(built, ok);
    }
}
