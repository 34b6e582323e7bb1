namespace BitSieve.Cli.Tests.Retrieval;

/// <summary>The textbook BM25 reference itself, on a corpus small enough to score by hand.</summary>
public sealed class Bm25ReferenceTests
{
    private const double Tolerance = 1e-12;

    private static Bm25Reference Corpus()
    {
        var bm25 = new Bm25Reference();
        bm25.Add("Cats chase mice.");              // cat chase mice: 3 terms
        bm25.Add("Dogs chase cats, and cats run."); // dog chase cat and cat run: 6 terms
        bm25.Add("犬が走る");                        // 犬が が走 走る: 3 bigrams
        return bm25;                                 // N = 3, avgdl = 4
    }

    [Fact]
    public void Terms_are_stemmed_words_and_cjk_bigrams()
    {
        Assert.Equal(["cat", "chase", "mice"], Bm25Reference.Terms("Cats chase mice."));
        Assert.Equal(["犬が", "が走", "走る", "dog", "犬"], Bm25Reference.Terms("犬が走る DOGS 犬"));
        Assert.Equal("query", Bm25Reference.SStem("queries"));
        Assert.Equal("boxe", Bm25Reference.SStem("boxes"));
        Assert.Equal("class", Bm25Reference.SStem("class"));
        Assert.Equal("corpus", Bm25Reference.SStem("corpus"));
    }

    [Fact]
    public void Scores_match_the_formula_computed_by_hand()
    {
        var bm25 = Corpus();
        // "cat": n = 2 of N = 3, idf = ln(1 + 1.5 / 2.5) = ln 1.6.
        Assert.Equal(Math.Log(1.6), bm25.Idf("cat"), Tolerance);
        // d0: tf 1, |d| 3: K = 1.2 · (0.25 + 0.75 · 3/4) = 0.975, score = ln 1.6 · 2.2 / 1.975.
        Assert.Equal(Math.Log(1.6) * 2.2 / 1.975, bm25.Score(0, "cat"), Tolerance);
        // d1: tf 2, |d| 6: K = 1.2 · (0.25 + 0.75 · 6/4) = 1.65, score = ln 1.6 · 2 · 2.2 / 3.65.
        Assert.Equal(Math.Log(1.6) * 4.4 / 3.65, bm25.Score(1, "cats"), Tolerance);
        // "走る犬" → 走る (n = 1: idf ln(1 + 2.5 / 1.5) = ln 8/3) and る犬 (in no document).
        Assert.Equal(Math.Log(8.0 / 3) * 2.2 / 1.975, bm25.Score(2, "走る犬"), Tolerance);
        // "chase cats": both terms in d0 and d1; chase n = 2 as well.
        Assert.Equal(Math.Log(1.6) * (2.2 / 1.975 + 2.2 / 1.975), bm25.Score(0, "chase cats"), Tolerance);

        var hits = bm25.Search("cat", 10);
        Assert.Equal([1, 0], hits.Select(h => h.Document));
        Assert.Empty(bm25.Search("bird", 10));
    }
}
