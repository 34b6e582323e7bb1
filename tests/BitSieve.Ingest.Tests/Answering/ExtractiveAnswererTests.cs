using BitSieve.Ingest.Answering;

namespace BitSieve.Ingest.Tests.Answering;

/// <summary>The extractive answer on small corpora where the sentence that answers is known.</summary>
public sealed class ExtractiveAnswererTests
{
    private static readonly AnswerPassage[] English =
    [
        new("guide/tls.md", ["Security", "TLS"], """
            # TLS

            The server speaks plain HTTP. Put a proxy that terminates TLS in front of it before exposing it.
            Certificates are verified by the proxy, never by the server itself. Rotate them every ninety days.
            """, 0.9f),
        new("guide/install.md", ["Install"], "Install the tool with dotnet tool install. It needs the .NET 10 runtime. The server starts with bitsieve serve.", 0.7f),
        new("notes/pasta.txt", [], "Boil the pasta for nine minutes. Certificates of quality hang in the kitchen.", 0.1f),
    ];

    [Fact]
    public void The_sentence_that_answers_an_English_question_is_chosen_and_its_terms_marked()
    {
        var answer = ExtractiveAnswerer.Answer("Who verifies the certificates?", English);
        var best = answer.Sentences[0];
        Assert.Equal("Certificates are verified by the proxy, never by the server itself.", best.Text);
        Assert.Equal(1, best.Passage);
        Assert.Equal("**Certificates** are **verified** by the proxy, never by the server itself.", best.Highlight(HighlightStyle.Markdown));
        Assert.Equal("\u001b[1mCertificates\u001b[22m are \u001b[1mverified\u001b[22m by the proxy, never by the server itself.", best.Highlight(HighlightStyle.Ansi));
        Assert.StartsWith("**Certificates** are **verified** by the proxy, never by the server itself. [1]", answer.Format(HighlightStyle.Markdown), StringComparison.Ordinal);
    }

    [Fact]
    public void Another_question_over_the_same_passages_finds_its_own_sentence()
    {
        var answer = ExtractiveAnswerer.Answer("Which runtime does the tool need?", English);
        Assert.Equal("It needs the .NET 10 runtime.", answer.Sentences[0].Text);
        Assert.Equal(2, answer.Sentences[0].Passage);
    }

    [Fact]
    public void The_passage_rank_breaks_an_even_match_toward_the_better_passage()
    {
        AnswerPassage[] passages =
        [
            new("a.md", [], "The cache lives in the home folder.", 1f),
            new("b.md", [], "The cache lives in the temp folder.", 0.5f),
        ];
        Assert.Equal("The cache lives in the home folder.", ExtractiveAnswerer.Answer("where does the cache live?", passages).Sentences[0].Text);
        Assert.Equal("The cache lives in the temp folder.", ExtractiveAnswerer.Answer("where does the cache live?", [passages[1], passages[0]]).Sentences[0].Text);
        // The prior's weight decides how much better a lower passage's sentence must match: by BM25 alone the second
        // passage's sentence wins (it also has "lives"); a heavy prior keeps the first passage's.
        var weak = new AnswerPassage("c.md", [], "The cache folder.", 1f);
        var strong = new AnswerPassage("d.md", [], "The cache lives in the cache folder.", 0.5f);
        Assert.Equal("The cache folder.", ExtractiveAnswerer.Answer("cache live", [weak, strong], new ExtractiveAnswerOptions { RankWeight = 5 }).Sentences[0].Text);
        Assert.Equal("The cache lives in the cache folder.", ExtractiveAnswerer.Answer("cache live", [weak, strong], new ExtractiveAnswerOptions { RankWeight = 0 }).Sentences[0].Text);
    }

    [Fact]
    public void Headings_are_not_answers_and_a_question_matching_nothing_has_no_answer()
    {
        Assert.Empty(ExtractiveAnswerer.Answer("volcanoes erupting", English).Sentences);
        Assert.DoesNotContain(ExtractiveAnswerer.Answer("TLS", English).Sentences, s => s.Text.StartsWith('#'));
    }

    [Fact]
    public void The_sentence_that_answers_a_Japanese_question_is_chosen()
    {
        AnswerPassage[] passages =
        [
            new("ja/tls.md", ["TLS"], "サーバーは平文の HTTP を話します。証明書の有効期限は openssl x509 -enddate で確認できます。証明書は九十日ごとに更新してください。", 1f),
            new("ja/install.md", ["インストール"], "ツールは dotnet tool install で入れます！実行には .NET 10 が必要です。", 0.8f),
        ];
        var answer = ExtractiveAnswerer.Answer("証明書の有効期限はどうやって確認しますか？", passages);
        var best = answer.Sentences[0];
        Assert.Equal("証明書の有効期限は openssl x509 -enddate で確認できます。", best.Text);
        Assert.Equal("**証明書**の**有効期限**は openssl x509 -enddate で**確認**できます。", best.Highlight(HighlightStyle.Markdown));

        var runtime = ExtractiveAnswerer.Answer("実行に必要なものは？", passages);
        Assert.Equal("実行には .NET 10 が必要です。", runtime.Sentences[0].Text);
    }

    [Theory]
    [InlineData("installing", "install")]
    [InlineData("installed", "install")]
    [InlineData("installs", "install")]
    [InlineData("verify", "verifi")]
    [InlineData("verified", "verifi")]
    [InlineData("certificates", "certificat")]
    [InlineData("certificate", "certificat")]
    [InlineData("process", "process")]
    public void English_words_are_lightly_stemmed(string word, string stem) => Assert.Equal(stem, AnswerTerms.Stem(word));
}
