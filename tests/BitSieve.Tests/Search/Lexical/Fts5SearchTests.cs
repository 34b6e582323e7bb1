using BitSieve.Text;
using CsCheck;
using Microsoft.Data.Sqlite;

namespace BitSieve.Tests.Search.Lexical;

/// <summary>The lexer against a real SQLite FTS5 table (the e_sqlite3 bundled with Microsoft.Data.Sqlite).</summary>
public sealed class Fts5SearchTests : IDisposable
{
    private static readonly string[] Rows =
    [
        /* 1 */ "The Debian package manager installs packages with apt.",
        /* 2 */ "東京は日本の首都です。東京タワーがあります。",
        /* 3 */ "犬が好きです。猫も好き。",
        /* 4 */ "京都の寺は古い。",
        /* 5 */ "子犬を飼っています",
        /* 6 */ "ＡＢＣ１２ is written in full width",
        /* 7 */ "café culture in Paris",
        /* 8 */ "ｶﾀｶﾅ in half-width katakana",
        /* 9 */ "ガイドを読む",
        /* 10 */ "カイトを揚げる",
        /* 11 */ "Debian is a free operating system.",
        /* 12 */ "東京の天気は晴れ。",
    ];

    private readonly SqliteConnection _db = new("Data Source=:memory:");

    public Fts5SearchTests()
    {
        _db.Open();
        Execute($"CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = '{FtsLexer.RecommendedTokenizer}')");
        for (int i = 0; i < Rows.Length; i++)
        {
            using SqliteCommand insert = _db.CreateCommand();
            insert.CommandText = "INSERT INTO docs(rowid, body) VALUES ($id, $body)";
            insert.Parameters.AddWithValue("$id", i + 1);
            insert.Parameters.AddWithValue("$body", FtsLexer.ToIndexText(Rows[i]));
            insert.ExecuteNonQuery();
        }
    }

    public void Dispose() => _db.Dispose();

    private void Execute(string sql)
    {
        using SqliteCommand cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Row ids matching a user query, best bm25 first.</summary>
    private List<long> Search(string query, FtsMatchMode mode = FtsMatchMode.Any)
    {
        string match = FtsLexer.ToMatchQuery(query, mode);
        if (match.Length == 0)
            return [];
        using SqliteCommand cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT rowid FROM docs WHERE docs MATCH $q ORDER BY bm25(docs), rowid";
        cmd.Parameters.AddWithValue("$q", match);
        var ids = new List<long>();
        using SqliteDataReader reader = cmd.ExecuteReader();
        while (reader.Read())
            ids.Add(reader.GetInt64(0));
        return ids;
    }

    [Fact]
    public void The_bundled_sqlite_has_fts5()
    {
        using SqliteCommand cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT sqlite_compileoption_used('ENABLE_FTS5')";
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public void Japanese_two_character_words_match_their_bigram()
    {
        Assert.Equal([2, 12], Search("東京").Order());
        Assert.Equal([4], Search("京都"));
        Assert.Equal([2], Search("首都"));
    }

    [Fact]
    public void Japanese_one_character_words_match_anywhere_in_a_run()
    {
        // 犬 starts a bigram in row 3 and ends the run 子犬 in row 5.
        Assert.Equal([3, 5], Search("犬").Order());
        Assert.Equal([3], Search("猫"));
        Assert.Equal([3], Search("犬 猫").Take(1));
    }

    [Fact]
    public void Longer_japanese_queries_rank_rows_with_more_bigrams_first()
    {
        List<long> hits = Search("東京の天気");
        Assert.Equal(12, hits[0]);
        Assert.Contains(2L, hits);
        Assert.Equal([12], Search("東京の天気", FtsMatchMode.All));
    }

    [Fact]
    public void English_queries_are_stemmed_and_ranked_by_bm25()
    {
        Assert.Equal([1], Search("package"));
        Assert.Equal([1], Search("install"));
        Assert.Equal([1, 11], Search("Debian packages"));
        Assert.Equal([1], Search("Debian packages", FtsMatchMode.All));
    }

    [Fact]
    public void Width_and_accent_variants_match()
    {
        Assert.Equal([6], Search("abc12"));
        Assert.Equal([6], Search("ＡＢＣ１２"));
        Assert.Equal([7], Search("cafe"));
        Assert.Equal([8], Search("カタカナ"));
    }

    [Fact]
    public void Voiced_kana_are_not_folded_away()
    {
        // FtsLexer folds the accents of Latin letters only: ガイド (guide) and カイト (kite) stay apart.
        Assert.Equal([9], Search("ガイド"));
        Assert.Equal([10], Search("カイト"));
    }

    [Fact]
    public void Hostile_queries_run_without_syntax_errors()
    {
        foreach (string q in new[] { "\"", "NEAR(a b)", "body:x", "* OR", "-debian", "^debian", "a AND", "東京\" OR \"", "(", "{body}: x" })
            _ = Search(q);
        Assert.Equal([1, 11], Search("debian\" OR \"x").Order());
    }

    [Fact]
    public void Any_query_string_is_a_valid_match_expression()
    {
        Gen<string> queries = Gen.Frequency(
                (6, Gen.Char["\"*():^-+{}[]., \t\nANDORNOTEAR"]),
                (3, Gen.Char['a', 'z']),
                (3, Gen.Char['\u3040', '\u30FF']),
                (2, Gen.Char['\u4E00', '\u4E40']),
                (1, Gen.Char))
            .Array[0, 30]
            .Select(chars => new string(chars));
        queries.Sample(q =>
        {
            _ = Search(q);
            _ = Search(q, FtsMatchMode.All);
        }, iter: 300);
    }

    [Fact]
    public void Queries_without_searchable_characters_give_no_expression()
    {
        Assert.Equal("", FtsLexer.ToMatchQuery("。、！？ ... ---"));
        Assert.Empty(Search("。、！？"));
    }
}
