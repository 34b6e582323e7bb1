using BitSieve.Text;

namespace BitSieve.Tests.Search.Lexical;

public class FtsLexerTests
{
    [Fact]
    public void Latin_words_are_lower_cased_and_split_at_punctuation()
    {
        Assert.Equal(["the", "debian", "package", "x", "terminal", "emulator", "v1", "2", "cafe"],
            FtsLexer.Tokenize("The Debian-package (x-terminal-emulator) v1.2 Café"));
    }

    [Fact]
    public void Words_lose_their_accents_and_plural_endings_only()
    {
        Assert.Equal(["package", "library", "processe", "installed", "installation", "status", "cafe", "naive", "ae"],
            FtsLexer.Tokenize("packages libraries processes installed installations status cafés naïve aes"));
        Assert.Equal(["cafe"], FtsLexer.Tokenize("cafe\u0301")); // a combining accent
    }

    /// <summary>The mark that closes a CJK run of two or more characters (<see cref="FtsLexer.RunEnd"/>).</summary>
    private const string End = "\uE000";

    [Fact]
    public void The_term_count_leaves_out_the_unigram_that_closes_a_cjk_run()
    {
        // 東京都: bigrams 東京 京都 and the closing 都 (3 tokens, 2 terms); の and 犬 alone are one term each; two words.
        Assert.Equal($"東京 京都 都{End} の debian package 犬", FtsLexer.ToIndexText("東京都 の Debian packages 犬", out int terms));
        Assert.Equal(6, terms);
    }

    [Fact]
    public void Cjk_runs_become_bigrams_plus_their_last_character()
    {
        Assert.Equal(["東京", "京都", "都" + End], FtsLexer.Tokenize("東京都"));
        Assert.Equal(["犬"], FtsLexer.Tokenize("犬"));
        Assert.Equal(["犬", "猫"], FtsLexer.Tokenize("犬、猫"));
        // Han, Hiragana and Katakana form one run (as CJK bigram indexers do): okurigana stay with their kanji.
        Assert.Equal(["debian", "のパ", "パッ", "ッケ", "ケー", "ージ", "ジ" + End, "管理", "理" + End], FtsLexer.Tokenize("Debianのパッケージ 管理"));
        Assert.Equal(["好き", "き" + End], FtsLexer.Tokenize("好き"));
        Assert.Equal(["3", "段目", "目" + End], FtsLexer.Tokenize("3段目"));
        Assert.Equal(["한국", "국어", "어" + End], FtsLexer.Tokenize("한국어"));
    }

    [Fact]
    public void A_wrapped_japanese_line_continues_the_run_but_a_blank_line_or_space_ends_it()
    {
        Assert.Equal(["整合", "合性", "性の", "のあ", "ある", "るバ", "バイ", "イ" + End], FtsLexer.Tokenize("整合性のある\nバイ"));
        Assert.Equal(["東京", "京" + End, "大阪", "阪" + End], FtsLexer.Tokenize("東京\n\n大阪"));
        Assert.Equal(["東京", "京" + End, "大阪", "阪" + End], FtsLexer.Tokenize("東京 大阪"));
        Assert.Equal(["東京", "京" + End, "debian"], FtsLexer.Tokenize("東京\nDebian"));
    }

    [Fact]
    public void Full_width_half_width_and_ligatures_fold_like_nfkc()
    {
        Assert.Equal(FtsLexer.Tokenize("ABC12 abc"), FtsLexer.Tokenize("ＡＢＣ１２　ａｂｃ"));
        Assert.Equal(FtsLexer.Tokenize("カタカナ ガイド パン"), FtsLexer.Tokenize("ｶﾀｶﾅ ｶﾞｲﾄﾞ ﾊﾟﾝ"));
        Assert.Equal(FtsLexer.Tokenize("が"), FtsLexer.Tokenize("か\u3099"));
        Assert.Equal(["office", "flow"], FtsLexer.Tokenize("o\uFB03ce \uFB02ow"));
        Assert.Equal(FtsLexer.Tokenize("葛城"), FtsLexer.Tokenize("葛\U000E0100城"));
        Assert.Equal(["𠀋𠀋", "𠀋" + End], FtsLexer.Tokenize("𠀋𠀋"));
    }

    [Fact]
    public void Queries_quote_every_term_and_or_them()
    {
        Assert.Equal("\"debian\" OR \"package\"", FtsLexer.ToMatchQuery("Debian packages"));
        Assert.Equal("\"debian\" AND \"package\"", FtsLexer.ToMatchQuery("Debian packages", FtsMatchMode.All));
        Assert.Equal("\"東京\" OR \"京都\"", FtsLexer.ToMatchQuery("東京都"));
        Assert.Equal("\"犬\"*", FtsLexer.ToMatchQuery("犬"));
        Assert.Equal("\"犬\"* OR \"猫\"*", FtsLexer.ToMatchQuery("犬 と 猫", FtsMatchMode.Any).Replace(" OR \"と\"*", "", StringComparison.Ordinal));
        // Beside a word or a bigram, a one-character run is a term of its own, matched exactly (not as a prefix).
        Assert.Equal("\"apt\" OR \"と\" OR \"aptitude\"", FtsLexer.ToMatchQuery("apt と aptitude"));
        Assert.Equal("\"犬\" OR \"飼う\"", FtsLexer.ToMatchQuery("犬、飼う"));
        Assert.Equal("\"apt\"", FtsLexer.ToMatchQuery("apt apt APT"));
        Assert.Equal("", FtsLexer.ToMatchQuery("。、!? \"*()"));
    }

    [Fact]
    public void Fts_syntax_in_a_query_is_never_interpreted()
    {
        string q = FtsLexer.ToMatchQuery("body:secret NEAR(\"a b\") -x ^y * OR AND NOT {col}");
        Assert.Equal("\"body\" OR \"secret\" OR \"near\" OR \"a\" OR \"b\" OR \"x\" OR \"y\" OR \"or\" OR \"and\" OR \"not\" OR \"col\"", q);
    }

    [Fact]
    public void Term_quotes_are_doubled()
    {
        Assert.Equal("\"a\"\"b\"", new FtsTerm("a\"b", Prefix: false).ToFts5());
        Assert.Equal("\"x\"*", new FtsTerm("x", Prefix: true).ToFts5());
    }

    [Fact]
    public void Script_detection()
    {
        Assert.True(ScriptDetector.ContainsCjk("東京の天気"));
        Assert.True(ScriptDetector.ContainsCjk("install Debian 東京"));
        Assert.False(ScriptDetector.ContainsCjk("how to install Debian"));
        Assert.False(ScriptDetector.ContainsCjk("。、！"));
        Assert.False(ScriptDetector.ContainsCjk(""));
        Assert.True(ScriptDetector.ContainsCjk("ｶﾀｶﾅ"));
        Assert.True(ScriptDetector.ContainsCjk("𠀋"));
        Assert.True(ScriptDetector.ContainsCjk("x々"));
        Assert.False(ScriptDetector.ContainsCjk("・「」。"));
    }
}
