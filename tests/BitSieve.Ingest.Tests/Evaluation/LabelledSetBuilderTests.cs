using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Evaluation;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Tests.Evaluation;

public class LabelledSetBuilderTests
{
    private static readonly string LongEnglish = string.Join(' ', Enumerable.Repeat("Packages are installed with apt and removed with apt too.", 3));
    private static readonly string LongJapanese = string.Concat(Enumerable.Repeat("パッケージは apt でインストールし、apt で削除します。", 4));

    // Shaped like the DocBook pages of the Debian Reference: numbered headings, navigation and a table of contents.
    private static readonly string EnglishPage = $"""
        <html><head><title>Chapter 1. Basics</title></head><body>
        <div class="navheader"><table><tr><th>Chapter 1. Basics</th></tr></table></div>
        <div class="chapter"><h1 class="title">Chapter 1. Basics</h1>
        <div class="toc"><dl><dt>1.1. Installing packages</dt><dt>1.2. Go</dt></dl></div>
        <p>{LongEnglish}</p>
        <div class="section"><h2 class="title">1.1. Installing packages</h2><p>{LongEnglish}</p>
          <div class="section"><h3 class="title">1.1.1. Stage 1: the boot loader</h3><p>{LongEnglish}</p></div></div>
        <div class="section"><h2 class="title">1.2. Go</h2><p>{LongEnglish}</p></div>
        <div class="section"><h2 class="title">1.3. 2024</h2><p>{LongEnglish}</p></div>
        <div class="section"><h2 class="title">1.4. Usage</h2><p>Too short.</p></div>
        <div class="section"><h2 class="title">1.5. Examples</h2><p>{LongEnglish}</p></div>
        <div class="section"><h2 class="title">1.6. examples</h2><p>{LongEnglish}</p></div>
        </div></body></html>
        """;

    private static readonly string JapanesePage = $"""
        <html><body><div class="chapter"><h1>第1章 基本</h1><p>{LongJapanese}</p>
        <h2>1.1. パッケージ管理</h2><p>{LongJapanese}</p>
        <h2>1.2. System management</h2><p>{LongEnglish}</p>
        <h2>1.3. 概要</h2><p>{LongJapanese}</p>
        <h2>1.4. 犬</h2><p>{LongJapanese}</p>
        </div></body></html>
        """;

    private static ExtractedDocument Html(string html, string source) =>
        DocumentLoader.Load(Encoding.UTF8.GetBytes(html), source, DocumentFormat.Html).Document!;

    [Fact]
    public void English_sections_become_queries_with_their_own_text_as_the_answer()
    {
        ExtractedDocument doc = Html(EnglishPage, "ch01.en.html");
        IReadOnlyList<LabelledQuery> set = new LabelledSetBuilder().Build([doc], "en");
        // Dropped: "Go" (too short), "2024" (no letter), "Usage" (too little text), "Examples" (twice).
        Assert.Equal(["Basics", "Installing packages", "Stage 1: the boot loader"], set.Select(q => q.Query));
        Assert.All(set, q =>
        {
            Assert.Equal("ch01.en.html", q.Source);
            Assert.Equal("en", q.Language);
            Assert.Equal(LongEnglish, doc.Text[q.Start..q.End]);
        });
    }

    [Fact]
    public void Japanese_sets_take_only_headings_in_japanese()
    {
        ExtractedDocument doc = Html(JapanesePage, "ch01.ja.html");
        IReadOnlyList<LabelledQuery> set = new LabelledSetBuilder().Build([doc], "ja");
        // "System management" was left untranslated; 「犬」 weighs 2 < 3.
        Assert.Equal(["基本", "パッケージ管理", "概要"], set.Select(q => q.Query));
        Assert.All(set, q => Assert.Equal(LongJapanese, doc.Text[q.Start..q.End]));
        Assert.Equal(["System management"], new LabelledSetBuilder().Build([doc], "en").Select(q => q.Query));
    }

    [Theory]
    [InlineData("Chapter 3. The system initialization", "The system initialization")]
    [InlineData("3.1.2. Stage 2: the boot loader", "Stage 2: the boot loader")]
    [InlineData("A.1. The Debian maze", "The Debian maze")]
    [InlineData("Appendix A. Appendix", "Appendix")]
    [InlineData("A quick start", "A quick start")]
    [InlineData("2.1 Package   configuration", "Package configuration")]
    [InlineData("第3章 システムの初期化", "システムの初期化")]
    [InlineData("付録A 付録", "付録")]
    [InlineData("3.1.1. 1段目: UEFI", "1段目: UEFI")]
    [InlineData("42", "")]
    public void Numbering_is_stripped_from_headings(string heading, string query) =>
        Assert.Equal(query, LabelledSetBuilder.QueryFromHeading(heading));

    [Fact]
    public void Jsonl_round_trips_with_readable_japanese()
    {
        LabelledQuery[] items = [new("パッケージ管理", "ch01.ja.html", 10, 200, "ja"), new("say \"hi\"", "a/b.en.html", 0, 5, "en")];
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "set.jsonl");
        LabelledSetBuilder.WriteJsonl(items, path);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("""{"query":"パッケージ管理","source":"ch01.ja.html","start":10,"end":200,"lang":"ja"}""", lines[0]);
        Assert.Equal(2, lines.Length);
        Assert.Equal(items, LabelledSetBuilder.ReadJsonl(path));
    }

    [Fact]
    public void A_line_without_a_span_labels_the_whole_document_or_names_a_section()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "set.jsonl");
        File.WriteAllLines(path,
        [
            """{"query":"how do I copy a dict","source":"programming/copy.txt","lang":"en"}""",
            """{"query":"sudo を使いたい","source":"ch01.ja.html","section":"sudo の設定","lang":"ja"}""",
        ]);
        var read = LabelledSetBuilder.ReadJsonl(path);
        Assert.True(read[0].IsWholeDocument);
        Assert.Equal((0, LabelledQuery.DocumentEnd), (read[0].Start, read[0].End));
        Assert.Null(read[0].Section);
        Assert.Equal("sudo の設定", read[1].Section);

        // Written back, both keep their form: no span for the whole document, the section for the section.
        string again = Path.Combine(dir.Path, "again.jsonl");
        LabelledSetBuilder.WriteJsonl(read, again);
        Assert.Equal("""{"query":"how do I copy a dict","source":"programming/copy.txt","lang":"en"}""", File.ReadAllLines(again)[0]);
        Assert.Equal(read, LabelledSetBuilder.ReadJsonl(again));
    }

    [Theory]
    [InlineData("""{"query":"q","source":"a.txt","start":3}""")]
    [InlineData("""{"query":"q","source":"a.txt","start":3,"end":9,"section":"S"}""")]
    public void A_line_with_half_a_span_or_a_span_and_a_section_is_an_error_that_names_it(string line)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "set.jsonl");
        File.WriteAllLines(path, ["""{"query":"fine","source":"a.txt"}""", line]);
        var e = Assert.Throws<InvalidDataException>(() => LabelledSetBuilder.ReadJsonl(path));
        Assert.Contains("set.jsonl:2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_from_folder_picks_the_language_by_file_name()
    {
        using var dir = new TempDirectory();
        dir.Write("book/ch01.en.html", EnglishPage);
        dir.Write("book/ch01.ja.html", JapanesePage);
        dir.Write("book/broken.en.html", [0xFF, 0xFE, 0x00]);
        dir.Write("book/whole.en.md", "# Basics\n\n" + LongEnglish); // another format: ignored by default
        var builder = new LabelledSetBuilder();

        IReadOnlyList<LabelledQuery> en = builder.BuildFromFolder(dir.Path, "en", out IReadOnlyList<LoadResult> skipped);
        Assert.Equal(3, en.Count);
        Assert.All(en, q => Assert.Equal("book/ch01.en.html", q.Source));
        Assert.Equal("book/broken.en.html", Assert.Single(skipped).Source);

        IReadOnlyList<LabelledQuery> ja = builder.BuildFromFolder(dir.Path, "ja", out _);
        Assert.Equal(3, ja.Count);

        // With every format, "Basics" occurs twice and is dropped.
        IReadOnlyList<LabelledQuery> all = builder.BuildFromFolder(dir.Path, "en", out _, format: null);
        Assert.DoesNotContain(all, q => q.Query == "Basics");
    }
}
