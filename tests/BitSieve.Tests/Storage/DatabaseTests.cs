using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>Durable collections: writes, reopen, payloads, scroll, compaction, the writer's lock.</summary>
public sealed class DatabaseTests : IDisposable
{
    private const int Dim = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-db-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    internal static List<Point> Points(int count, int seed, ulong firstId = 0, int dim = Dim)
    {
        var vectors = TestData.Gaussian(count, dim, seed);
        return Enumerable.Range(0, count).Select(i => new Point(firstId + (ulong)i, vectors.AsMemory(i * dim, dim),
            new JsonObject { ["n"] = (long)firstId + i, ["tag"] = i % 3 == 0 ? "a" : "b" })).ToList();
    }

    [Fact]
    public void Writes_survive_a_reopen_with_ids_payloads_and_vectors()
    {
        var points = Points(1500, seed: 1);
        var uuid = Guid.Parse("6f1a0b3e-1111-4c4d-9e9e-123456789abc");
        using (var db = Database.Open(_dir))
        {
            var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
            c.Upsert(points);
            c.Upsert([new Point(uuid, TestData.Gaussian(1, Dim, 9), new JsonObject { ["kind"] = "uuid" })]);
            Assert.Equal(2, c.Delete([5UL, 6UL, 123456UL]));
            Assert.Equal(1, c.SetPayload(PointSelector.ByIds([7UL]), new JsonObject { ["extra"] = true }));
            Assert.Equal(1500 - 2 + 1, c.Count);
        }
        using (var db = Database.Open(_dir))
        {
            var c = db.GetCollection("docs");
            Assert.Equal(1499, c.Count);
            Assert.Equal(1499, c.CountPoints());
            var got = c.Retrieve([7UL, 5UL, uuid], withVector: true);
            Assert.Equal(2, got.Count);
            Assert.Equal(7UL, got[0].Id.Number);
            Assert.True(got[0].Payload!["extra"]!.GetValue<bool>());
            Assert.Equal("b", got[0].Payload!["tag"]!.GetValue<string>());
            Assert.Equal(uuid, got[1].Id.Uuid);
            // Cosine stores normalized vectors.
            var expected = points[7].Vector.ToArray();
            TestData.Normalize(expected);
            Assert.Equal(expected.Length, got[0].Vector!.Length);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[0].Vector![i], 1e-6f);

            var hits = c.Search(points[100].Vector.Span, new SearchOptions { K = 3, Quality = Quality.Exact });
            Assert.Equal(100UL, hits.Hits[0].Id.Number);
            Assert.Equal(100L, hits.Hits[0].Payload!["n"]!.GetValue<long>());
        }
    }

    [Fact]
    public void Writes_are_recovered_from_the_log_when_the_process_did_not_close()
    {
        var points = Points(600, seed: 2);
        var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(points);
        c.Delete([1UL]);
        c.OverwritePayload(PointSelector.ByIds([2UL]), new JsonObject { ["only"] = 1 });
        Assert.True(new FileInfo(Path.Combine(_dir, "collections", "docs", "wal.log")).Length > 600 * Dim * 4);
        // Simulate a crash: release the lock without the closing checkpoint.
        c.Close(checkpoint: false);
        db.Dispose();

        using var reopened = Database.Open(_dir);
        var r = reopened.GetCollection("docs");
        Assert.Equal(599, r.Count);
        Assert.Empty(r.Retrieve([1UL]));
        Assert.Equal("{\"only\":1}", r.Retrieve([2UL])[0].Payload!.ToJsonString());
    }

    [Fact]
    public void Upsert_replaces_and_bad_input_changes_nothing()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        c.Upsert(Points(10, seed: 3));
        var bad = Points(3, seed: 4, firstId: 100);
        bad.Add(new Point(200UL, new float[Dim - 1]));
        Assert.Throws<ArgumentException>(() => c.Upsert(bad));
        var nan = Points(1, seed: 5, firstId: 300);
        nan[0].Vector.ToArray();
        var nanVector = new float[Dim];
        nanVector[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => c.Upsert([new Point(301UL, nanVector)]));
        Assert.Equal(10, c.Count);

        var replacement = Points(1, seed: 6, firstId: 4);
        c.Upsert([new Point(4UL, replacement[0].Vector, new JsonObject { ["v"] = 2 })]);
        Assert.Equal(10, c.Count);
        Assert.Equal("{\"v\":2}", c.Retrieve([4UL])[0].Payload!.ToJsonString());
        Assert.Equal(1, c.Info().Tombstones);
    }

    [Fact]
    public void Scroll_pages_through_every_point_in_id_order()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        var points = Points(250, seed: 7);
        points.Add(new Point(ulong.MaxValue, TestData.Gaussian(1, Dim, 8)));
        points.Add(new Point(Guid.NewGuid(), TestData.Gaussian(1, Dim, 9)));
        c.Upsert(points);
        var seen = new List<PointId>();
        PointId? offset = null;
        do
        {
            var page = c.Scroll(offset, limit: 37);
            seen.AddRange(page.Points.Select(p => p.Id));
            offset = page.NextOffset;
        }
        while (offset is not null);
        Assert.Equal(252, seen.Count);
        Assert.Equal(seen.Order().ToList(), seen);
        Assert.Equal(ulong.MaxValue, seen[250].Number);
        Assert.True(seen[251].IsUuid);
    }

    [Fact]
    public void Compaction_drops_tombstones_and_keeps_every_live_point()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("docs", new CollectionOptions { Dimension = Dim });
        var points = Points(2000, seed: 10);
        c.Upsert(points);
        c.Delete(Enumerable.Range(0, 1000).Select(i => (PointId)(ulong)(2 * i)));
        Assert.Equal(1000, c.Info().Tombstones);
        var before = c.Search(points[501].Vector.Span, new SearchOptions { K = 5, Quality = Quality.Exact });
        c.Compact();
        var info = c.Info();
        Assert.Equal(0, info.Tombstones);
        Assert.Equal(1000, info.Count);
        Assert.Equal(0, info.FileBytes["wal"] - 32);
        var after = c.Search(points[501].Vector.Span, new SearchOptions { K = 5, Quality = Quality.Exact });
        Assert.Equal(before.Hits.Select(h => h.Id), after.Hits.Select(h => h.Id));
        Assert.Equal(501UL, after.Hits[0].Id.Number);
    }

    [Fact]
    public void A_second_writer_is_refused_with_the_holder_named_and_readers_may_share()
    {
        using var db = Database.Open(_dir);
        db.CreateCollection("docs", new CollectionOptions { Dimension = Dim }).Upsert(Points(20, seed: 11));
        db.GetCollection("docs").Checkpoint();
        var e = Assert.Throws<DatabaseLockedException>(() => Database.Open(_dir));
        Assert.Contains($"process {Environment.ProcessId}", e.Message);

        using var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true });
        var c = reader.GetCollection("docs");
        Assert.Equal(20, c.Count);
        Assert.Throws<InvalidOperationException>(() => c.Delete([1UL]));
    }

    [Fact]
    public void Collections_are_created_listed_and_deleted()
    {
        using var db = Database.Open(_dir);
        db.CreateCollection("b", new CollectionOptions { Dimension = 4 });
        db.CreateCollection("a", new CollectionOptions { Dimension = 8, Metric = Metric.Dot });
        Assert.Equal(["a", "b"], db.CollectionNames());
        Assert.Throws<InvalidOperationException>(() => db.CreateCollection("a", new CollectionOptions { Dimension = 8 }));
        Assert.Throws<ArgumentException>(() => db.CreateCollection("../evil", new CollectionOptions { Dimension = 8 }));
        Assert.Throws<KeyNotFoundException>(() => db.GetCollection("missing"));
        Assert.True(db.DeleteCollection("a"));
        Assert.False(db.DeleteCollection("a"));
        Assert.Equal(["b"], db.CollectionNames());
    }
}
