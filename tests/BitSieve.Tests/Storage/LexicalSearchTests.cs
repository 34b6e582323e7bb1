using System.Text.Json.Nodes;
using BitSieve.Filters;
using BitSieve.Search;
using BitSieve.Tests.Engine;

namespace BitSieve.Tests.Storage;

/// <summary>BM25 over a collection's text field (English and Japanese), kept in step with writes, and hybrid fusion.</summary>
public sealed class LexicalSearchTests : IDisposable
{
    private const int Dim = 8;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-lexical-" + Guid.NewGuid().ToString("N"));

    private static readonly string[] Texts =
    [
        "The write-ahead log keeps every acknowledged write.",
        "Compaction rewrites the columns without tombstones.",
        "東京は日本の首都です。",
        "京都には古いお寺がたくさんあります。",
        "犬が公園を走っています。",
        "Packages are installed with apt on Debian.",
    ];

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private Collection Build(Database db)
    {
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        var vectors = TestData.Gaussian(Texts.Length, Dim, seed: 4);
        c.Upsert(Texts.Select((t, i) => new Point((ulong)i, vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = t, ["lang"] = i is >= 2 and <= 4 ? "ja" : "en" })).ToList());
        c.CreatePayloadIndex("text", "text");
        return c;
    }

    [Theory]
    [InlineData("tombstones", 1UL)]
    [InlineData("package", 5UL)] // stemmed: packages
    [InlineData("東京", 2UL)]
    [InlineData("京都", 3UL)]
    [InlineData("犬", 4UL)]
    public void Text_search_finds_english_and_japanese_words(string query, ulong expected)
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var hits = c.SearchText(query, k: 3).Hits;
        Assert.NotEmpty(hits);
        Assert.Equal(expected, hits[0].Id.Number);
        Assert.Equal(Texts[(int)expected], hits[0].Payload!["text"]!.GetValue<string>());
    }

    [Fact]
    public void The_lexical_index_follows_writes_and_recovery()
    {
        var db = Database.Open(_dir);
        var c = Build(db);
        c.Delete([2UL]);
        c.SetPayload(PointSelector.ByIds([5UL]), new JsonObject { ["text"] = "Nothing about software here." });
        c.Upsert([new Point(9UL, TestData.Gaussian(1, Dim, 5), new JsonObject { ["text"] = "東京タワーは高い。" })]);
        Assert.Equal([9UL], c.SearchText("東京").Hits.Select(h => h.Id.Number));
        Assert.Empty(c.SearchText("packages").Hits);
        db.Close(checkpoint: false); // the log replays the writes into the lexical index on reopen
        using var reopened = Database.Open(_dir);
        var r = reopened.GetCollection("c");
        Assert.Equal([9UL], r.SearchText("東京").Hits.Select(h => h.Id.Number));
        Assert.Equal(["c"], reopened.CollectionNames());
        Assert.Equal("text", r.Info().PayloadIndexes["text"]);
    }

    [Fact]
    public void Filters_apply_to_text_and_hybrid_search()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var english = Filter.Parse("""{"must":[{"key":"lang","match":{"value":"en"}}]}""");
        Assert.Empty(c.SearchText("東京", filter: english).Hits);
        var query = TestData.Gaussian(1, Dim, seed: 9);
        var hybrid = c.SearchHybrid(query, "東京 tombstones", new SearchOptions { K = 3 }, english).Hits;
        Assert.Equal(3, hybrid.Count);
        Assert.All(hybrid, h => Assert.Equal("en", h.Payload!["lang"]!.GetValue<string>()));
        Assert.Equal(1UL, hybrid[0].Id.Number); // first in the lexical list, which fusion rewards
    }

    [Fact]
    public void Hybrid_fuses_ranks_from_both_lists()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        // The query vector is point 0's own vector: rank 1 in the vector list; "京都" puts point 3 first lexically.
        var v = c.Retrieve([0UL], withVector: true)[0].Vector!;
        var hits = c.SearchHybrid(v, "京都", FusionRule.ReciprocalRank, new SearchOptions { K = 6 }).Hits;
        Assert.Contains(hits.Take(2), h => h.Id.Number == 0);
        Assert.Contains(hits.Take(2), h => h.Id.Number == 3);
        Assert.True(hits[0].Score <= 2.0 / (Collection.RrfK + 1));
    }

    [Fact]
    public void Confidence_fusion_weighs_bm25_by_the_share_of_the_attainable_score_its_top_hit_reaches()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var v = c.Retrieve([0UL], withVector: true)[0].Vector!;
        // "京都" is one bigram, held by point 3 alone of 6: idf = ln(1 + (6 − 1 + 0.5) / (1 + 0.5)); the attainable
        // score is idf · (k1 + 1). At vector weight 0 the top hit's fused score is BM25's confidence times its
        // min-max part, 1: its BM25 score divided by the attainable score.
        double attainable = Math.Log(1 + 5.5 / 1.5) * 2.2;
        double bm25 = c.SearchText("京都", k: 1).Hits[0].Score;
        var top = c.SearchHybrid(v, "京都", FusionRule.Confidence, new SearchOptions { K = 6, Exhaustive = true }, vectorWeight: 0).Hits[0];
        Assert.Equal(3UL, top.Id.Number);
        Assert.Equal(bm25 / attainable, top.Score, 5);
        Assert.InRange(top.Score, 0.01, 1);

        // Weight 1: the query vector is point 0's own (cosine 1, the vector list sure of its top hit), and point 0
        // holds no 京都: it scores 1 · 1 + BM25's 0; point 3 scores its vector part (in [0, 1)) + BM25's confidence.
        var both = c.SearchHybrid(v, "京都", FusionRule.Confidence, new SearchOptions { K = 6, Exhaustive = true }).Hits;
        Assert.Equal(1, both.Single(h => h.Id.Number == 0).Score, 5);
        Assert.InRange(both.Single(h => h.Id.Number == 3).Score, top.Score - 1e-5, top.Score + 1);
    }

    [Fact]
    public void Hybrid_with_vector_weight_zero_ranks_bm25_hits_first_then_fills_up_with_vector_hits()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        var v = c.Retrieve([0UL], withVector: true)[0].Vector!;
        var vectorOrder = c.Search(v, new SearchOptions { K = 6, Exhaustive = true }).Hits.Select(h => h.Id.Number).ToList();
        Assert.Equal(0UL, vectorOrder[0]);

        // "京都" matches point 3 only: it comes first, then every other point in vector order.
        foreach (var rule in Enum.GetValues<FusionRule>())
        {
            var hits = c.SearchHybrid(v, "京都", rule, new SearchOptions { K = 6, Exhaustive = true }, vectorWeight: 0).Hits;
            Assert.Equal([3UL, .. vectorOrder.Where(id => id != 3)], hits.Select(h => h.Id.Number));
        }
        var rrf = c.SearchHybrid(v, "京都", FusionRule.ReciprocalRank, new SearchOptions { K = 6, Exhaustive = true }, vectorWeight: 0).Hits;
        Assert.Equal(1.0 / (Collection.RrfK + 1), rrf[0].Score, 6);
        Assert.All(rrf.Skip(1), h => Assert.Equal(0, h.Score));

        // Weight 1 under equal-vote RRF: every point is in the vector list; point 3 adds BM25's first place to its vector term, then point 0.
        var equal = c.SearchHybrid(v, "京都", FusionRule.ReciprocalRank, new SearchOptions { K = 6, Exhaustive = true }).Hits;
        Assert.Equal([3UL, 0UL], equal.Take(2).Select(h => h.Id.Number));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchHybrid(v, "京都", vectorWeight: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SearchHybrid(v, "京都", vectorWeight: double.NaN));
    }

    [Fact]
    public void Text_search_scores_textbook_bm25_with_the_non_negative_idf()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("bm25", new CollectionOptions { Dimension = Dim });
        // "apt" is in 4 of 5 rows: FTS5's own idf, ln((5 − 4 + 0.5) / (4 + 0.5)), is negative and floored at 10⁻⁶, so
        // its bm25() gives every row nearly 0; the textbook idf is ln(1 + 1.5 / 4.5).
        string[] texts = ["apt apt", "apt", "apt tools and more words", "apt", "nothing here"];
        var vectors = TestData.Gaussian(texts.Length, Dim, seed: 6);
        c.Upsert(texts.Select((t, i) => new Point((ulong)i, vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = t })).ToList());
        c.CreatePayloadIndex("text", "text");
        double idf = Math.Log(1 + 1.5 / 4.5), average = (2 + 1 + 5 + 1 + 2) / 5.0;
        double Part(int tf, int length) => idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average));
        var hits = c.SearchText("apt", k: 5).Hits;
        Assert.Equal([0UL, 1UL, 3UL, 2UL], hits.Select(h => h.Id.Number)); // 1 and 3 tie: the smaller key first
        Assert.Equal(Part(2, 2), hits[0].Score, 5);
        Assert.Equal(Part(1, 1), hits[1].Score, 5);
        Assert.Equal(Part(1, 5), hits[3].Score, 5);
    }

    [Fact]
    public void Text_search_without_a_text_index_is_a_clear_error()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("plain", new CollectionOptions { Dimension = Dim });
        var e = Assert.Throws<InvalidOperationException>(() => c.SearchText("x"));
        Assert.Contains("text", e.Message, StringComparison.Ordinal);
    }
}
