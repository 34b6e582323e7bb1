using System.Text.Json.Nodes;
using BitSieve.Storage;
using BitSieve.Tests.Engine;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Storage;

/// <summary>
/// Lexical search is Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N − n + 0.5) / (n + 0.5))) over the index's own
/// terms, scored exactly; and a text index of the earlier form is rebuilt when the database opens for writing.
/// </summary>
public sealed class LexicalBm25Tests : IDisposable
{
    private const int Dim = 4;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitsieve-bm25-" + Guid.NewGuid().ToString("N"));

    // Terms (FtsLexer): 0: 東京 京都 都の の天 天気 (5; the closing 気 is an index entry, not a term); 1: 東京 package (2);
    // 2: package manager (2); 3: 天気 予報 weather (3). N = 4, avgdl = 12 / 4 = 3.
    private static readonly string[] Texts = ["東京都の天気", "東京 packages", "package manager", "天気 予報 weather"];

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Collection Build(Database db)
    {
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        var vectors = TestData.Gaussian(Texts.Length, Dim, seed: 3);
        c.Upsert(Texts.Select((t, i) => new Point((ulong)i, vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = t })).ToList());
        c.CreatePayloadIndex("text", "text");
        return c;
    }

    /// <summary>One term's BM25 part in a document of <paramref name="length"/> terms (tf = 1, N = 4, n = 2, avgdl = 3).</summary>
    private static double Part(int length) => Math.Log(1 + (4 - 2 + 0.5) / (2 + 0.5)) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * length / 3.0));

    [Fact]
    public void Scores_are_textbook_bm25_with_document_lengths_in_terms()
    {
        using var db = Database.Open(_dir);
        var c = Build(db);
        // 東京: documents 0 (5 terms) and 1 (2 terms). FTS5's bm25() would take 6 and 3 tokens, avgdl 15 / 4.
        var hits = c.SearchText("東京", k: 4).Hits;
        Assert.Equal([1UL, 0UL], hits.Select(h => h.Id.Number));
        Assert.Equal(Part(2), hits[0].Score, 5);
        Assert.Equal(Part(5), hits[1].Score, 5);

        // packages = package: documents 1 and 2, 2 terms each, tied (smaller id first); plus 天気 in 0 and 3.
        hits = c.SearchText("Packages 天気", k: 4).Hits;
        Assert.Equal([1UL, 2UL, 3UL, 0UL], hits.Select(h => h.Id.Number));
        Assert.Equal(Part(2), hits[0].Score, 5);
        Assert.Equal(Part(2), hits[1].Score, 5);
        Assert.Equal(Part(3), hits[2].Score, 5);
        Assert.Equal(Part(5), hits[3].Score, 5);
    }

    [Fact]
    public void Tied_scores_are_ordered_by_point_id_not_by_the_order_of_writes()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.CreatePayloadIndex("text", "text");
        var vectors = TestData.Gaussian(3, Dim, seed: 5);
        // Written in the order 7, 3, 5: the same text for 7 and 3, so the same score; 5 holds the word once in more terms.
        ulong[] ids = [7, 3, 5];
        string[] texts = ["tombstone compaction", "tombstone compaction", "tombstone compaction of columns"];
        for (int i = 0; i < ids.Length; i++)
            c.Upsert([new Point(ids[i], vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = texts[i] })]);
        Assert.Equal([3UL, 7UL, 5UL], c.SearchText("tombstones", k: 3).Hits.Select(h => h.Id.Number));
        // k = 1 cuts inside the tie: the smaller id still wins.
        Assert.Equal([3UL], c.SearchText("tombstones", k: 1).Hits.Select(h => h.Id.Number));
    }

    [Fact]
    public void A_one_character_query_run_matches_one_character_runs_beside_other_terms_and_every_occurrence_alone()
    {
        using var db = Database.Open(_dir);
        var c = db.CreateCollection("c", new CollectionOptions { Dimension = Dim });
        c.CreatePayloadIndex("text", "text");
        // 0: 犬 inside the run 子犬を飼う; 1: 犬 as a run of its own; 2: neither.
        string[] texts = ["子犬を飼う", "犬 と 猫", "apt の使い方"];
        var vectors = TestData.Gaussian(texts.Length, Dim, seed: 7);
        c.Upsert(texts.Select((t, i) => new Point((ulong)i, vectors.AsMemory(i * Dim, Dim), new JsonObject { ["text"] = t })).ToList());

        // Beside the word apt, 犬 is a term like the textbook BM25's: the one-character run of 1, not the 犬 of 子犬.
        Assert.Equal([1UL, 2UL], c.SearchText("犬 apt", k: 3).Hits.Select(h => h.Id.Number).Order());
        // Alone, 犬 finds every occurrence: the run of its own and the end of 子犬 (one occurrence each, equal scores
        // but for the lengths: 1 holds 3 terms, 0 holds 4).
        Assert.Equal([1UL, 0UL], c.SearchText("犬", k: 3).Hits.Select(h => h.Id.Number));
    }

    [Fact]
    public void A_text_index_of_the_first_term_form_is_rebuilt_on_a_writable_open_and_refused_by_a_reader()
    {
        var db = Database.Open(_dir);
        var expected = Build(db).SearchText("東京 packages 気", k: 4).Hits.Select(h => (h.Id.Number, h.Score)).ToList();
        db.Dispose();
        // The first form of the current terms: a CJK run closed by its bare last character, no lexical_form row.
        string points = Directory.GetFiles(_dir, PointStore.FileName, SearchOption.AllDirectories).Single();
        using (var connection = new SqliteConnection($"Data Source={points};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM meta WHERE name = 'lexical_form'; DELETE FROM lexical; INSERT INTO lexical(rowid, body) VALUES (1, '東京 京都 都の の天 天気 気');";
            command.ExecuteNonQuery();
        }

        using (var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true }))
        {
            var error = Assert.Throws<InvalidOperationException>(() => reader.GetCollection("c").SearchText("東京"));
            Assert.Contains("open the database once for writing", error.Message, StringComparison.Ordinal);
        }

        using var reopened = Database.Open(_dir);
        Assert.Equal(expected, reopened.GetCollection("c").SearchText("東京 packages 気", k: 4).Hits.Select(h => (h.Id.Number, h.Score)));
    }

    [Fact]
    public void A_text_index_of_the_earlier_form_is_rebuilt_on_a_writable_open_and_refused_by_a_reader()
    {
        var db = Database.Open(_dir);
        var expected = Build(db).SearchText("東京 packages", k: 4).Hits.Select(h => (h.Id.Number, h.Score)).ToList();
        db.Dispose();
        // The earlier form: Porter stemming inside FTS5, no term counts, no instance view.
        string points = Directory.GetFiles(_dir, PointStore.FileName, SearchOption.AllDirectories).Single();
        using (var connection = new SqliteConnection($"Data Source={points};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE lexical_instances; DROP TABLE lexical_lengths; DROP TABLE lexical;" +
                " CREATE VIRTUAL TABLE lexical USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 2');" +
                " INSERT INTO lexical(rowid, body) VALUES (1, '東京 京 packages');";
            command.ExecuteNonQuery();
        }

        using (var reader = Database.Open(_dir, new DatabaseOptions { ReadOnly = true }))
        {
            var error = Assert.Throws<InvalidOperationException>(() => reader.GetCollection("c").SearchText("東京"));
            Assert.Contains("open the database once for writing", error.Message, StringComparison.Ordinal);
        }

        using var reopened = Database.Open(_dir);
        Assert.Equal(expected, reopened.GetCollection("c").SearchText("東京 packages", k: 4).Hits.Select(h => (h.Id.Number, h.Score)));
    }
}
