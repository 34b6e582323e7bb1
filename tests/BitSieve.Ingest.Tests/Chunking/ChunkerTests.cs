using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Tests.Chunking;

public class ChunkerTests
{
    private static readonly ChunkerOptions Small = new() { MaxTokens = 12, OverlapTokens = 0 };

    private static string[] Texts(IReadOnlyList<TextChunk> chunks) => [.. chunks.Select(c => c.Text)];

    [Fact]
    public void Short_text_is_one_chunk()
    {
        IReadOnlyList<TextChunk> chunks = new TextChunker().Chunk("  Hello world.  \n", "a.txt");
        TextChunk c = Assert.Single(chunks);
        Assert.Equal("Hello world.", c.Text);
        Assert.Equal((2, 14), (c.Start, c.End));
        Assert.Equal("a.txt", c.Source);
        Assert.Null(c.Page);
        Assert.Empty(c.HeadingPath);
    }

    [Fact]
    public void Empty_and_blank_text_have_no_chunks()
    {
        Assert.Empty(new TextChunker().Chunk(""));
        Assert.Empty(new TextChunker().Chunk(" \n\t "));
    }

    /// <summary>The text cut at every boundary the chunker rates as a sentence end or stronger.</summary>
    private static string[] Sentences(string text)
    {
        var chunker = new TextChunker();
        List<TextChunker.Unit> units = chunker.Units(text, 0, text.Length, [], []);
        var sentences = new List<string>();
        int start = 0;
        for (int i = 1; i < units.Count; i++)
        {
            if (units[i].Before >= TextChunker.Boundary.Sentence)
            {
                sentences.Add(text[start..units[i].Start].TrimEnd());
                start = units[i].Start;
            }
        }
        sentences.Add(text[start..].TrimEnd());
        return [.. sentences];
    }

    [Fact]
    public void English_sentence_ends_skip_abbreviations_initials_decimals_and_list_numbers()
    {
        Assert.Equal(
            [
                "Use tools, e.g. apt or dpkg, since Dr. Smith and J. R. Doe said 3.14 is fine.",
                "Really?",
                "Yes!",
                "\"Quoted.\"",
                "(In brackets.)",
                "Then approx. three U.S. states etc. are listed:\n1. One\nNext...",
                "Done.",
            ],
            Sentences("Use tools, e.g. apt or dpkg, since Dr. Smith and J. R. Doe said 3.14 is fine. Really? Yes! \"Quoted.\" "
                      + "(In brackets.) Then approx. three U.S. states etc. are listed:\n1. One\nNext... Done."));
    }

    [Fact]
    public void Japanese_sentence_ends_with_or_without_spaces()
    {
        Assert.Equal(
            ["東京は日本の首都です。", "大阪は西にあります！", "「京都はどこですか？」", "奈良も古い都．", "Debian を使う!", "次は v1.2 です。"],
            Sentences("東京は日本の首都です。大阪は西にあります！「京都はどこですか？」奈良も古い都．Debian を使う!次は v1.2 です。"));
    }

    [Fact]
    public void Chunks_end_at_sentence_ends_rather_than_filling_up()
    {
        const string text = "Use tools, e.g. apt or dpkg, since Dr. Smith said 3.14 is fine. "
                            + "Then run the command again and check the output now. "
                            + "Finally the system is ready for use by everyone here.";
        string[] chunks = Texts(new TextChunker(Small with { MaxTokens = 25 }).Chunk(text));
        Assert.Equal(
            [
                "Use tools, e.g. apt or dpkg, since Dr. Smith said 3.14 is fine.",
                "Then run the command again and check the output now. Finally the system is ready for use by everyone here.",
            ],
            chunks);
    }

    [Fact]
    public void Japanese_chunks_end_at_sentence_ends()
    {
        const string text = "東京は日本の首都です。大阪は西にあります！京都はどこですか？奈良も古い都．";
        string[] chunks = Texts(new TextChunker(Small with { MaxTokens = 12 }).Chunk(text));
        Assert.Equal(["東京は日本の首都です。", "大阪は西にあります！", "京都はどこですか？", "奈良も古い都．"], chunks);
    }

    [Fact]
    public void A_sentence_longer_than_a_chunk_is_cut_between_words()
    {
        string text = string.Join(' ', Enumerable.Range(0, 30).Select(i => $"w{i}")) + ".";
        IReadOnlyList<TextChunk> chunks = new TextChunker(Small).Chunk(text);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 12));
        Assert.Equal(text, string.Join(' ', chunks.Select(c => c.Text)));
    }

    [Fact]
    public void A_giant_word_is_cut_without_splitting_surrogate_pairs()
    {
        string text = string.Concat(Enumerable.Repeat("ab😀", 400));
        var options = new ChunkerOptions { MaxTokens = 10, OverlapTokens = 0, TokenCounter = s => s.Length };
        IReadOnlyList<TextChunk> chunks = new TextChunker(options).Chunk(text);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.True(c.Text.Length <= 10 && !char.IsLowSurrogate(c.Text[0]) && !char.IsHighSurrogate(c.Text[^1])));
    }

    [Fact]
    public void Chunks_never_span_two_top_level_sections()
    {
        const string md = "# Alpha\n\nShort alpha text.\n\n# Beta\n\nShort beta text.\n\n# Gamma\n\nGamma.\n";
        var doc = new ExtractedDocument("a.md", DocumentFormat.Markdown, md, MarkdownLoader.FindHeadings(md));
        string[] chunks = Texts(new TextChunker().Chunk(doc));
        Assert.Equal(["# Alpha\n\nShort alpha text.", "# Beta\n\nShort beta text.", "# Gamma\n\nGamma."], chunks);
    }

    [Fact]
    public void A_lone_title_heading_does_not_make_the_whole_document_one_section()
    {
        // One h1 (the title) and several h2: the h2 level is the top level.
        const string md = "# Title\n\nIntro.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.\n";
        var doc = new ExtractedDocument("a.md", DocumentFormat.Markdown, md, MarkdownLoader.FindHeadings(md));
        IReadOnlyList<TextChunk> chunks = new TextChunker().Chunk(doc);
        Assert.Equal(["# Title\n\nIntro.", "## One\n\nFirst.", "## Two\n\nSecond."], Texts(chunks));
        Assert.Equal(["Title", "Two"], chunks[2].HeadingPath);
    }

    [Fact]
    public void Sub_headings_are_preferred_cut_points_and_headings_stay_with_their_text()
    {
        string para = string.Join(' ', Enumerable.Repeat("word", 20)) + ".";
        string md = $"# A\n\n{para}\n\n## A.1\n\n{para}\n\n## A.2\n\n{para}\n\n# B\n\nx.\n";
        var doc = new ExtractedDocument("a.md", DocumentFormat.Markdown, md, MarkdownLoader.FindHeadings(md));
        // 23 + 26 + 26 tokens: A and A.1 would fit in 50, but not in 40, where the sub-heading beats a fuller chunk.
        IReadOnlyList<TextChunk> chunks = new TextChunker(new ChunkerOptions { MaxTokens = 40, OverlapTokens = 10 }).Chunk(doc);
        Assert.Equal(["# A", "## A.1", "## A.2", "# B"], chunks.Select(c => c.Text[..c.Text.IndexOf('\n')]));
        Assert.Equal(["A", "A.1"], chunks[1].HeadingPath);
    }

    [Fact]
    public void Overlap_repeats_whole_sentences_from_the_previous_chunk()
    {
        string text = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"Sentence number {i} ends here."));
        IReadOnlyList<TextChunk> chunks = new TextChunker(new ChunkerOptions { MaxTokens = 20, OverlapTokens = 6 }).Chunk(text);
        Assert.True(chunks.Count > 2);
        for (int i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].Start < chunks[i - 1].End, $"chunk {i} does not overlap");
            Assert.StartsWith("Sentence number", chunks[i].Text, StringComparison.Ordinal);
            Assert.EndsWith("ends here.", chunks[i].Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Pages_are_reported_for_pdf_text()
    {
        const string text = "Page one has some text.\n\nPage two has text.";
        var doc = new ExtractedDocument("a.pdf", DocumentFormat.Pdf, text, pages: [new PageSpan(1, 0, 23), new PageSpan(2, 25, 43)]);
        IReadOnlyList<TextChunk> chunks = new TextChunker(new ChunkerOptions { MaxTokens = 8, OverlapTokens = 0 }).Chunk(doc);
        Assert.Equal([(1, 1), (2, 2)], chunks.Select(c => (c.Page!.Value, c.LastPage!.Value)));
        TextChunk both = Assert.Single(new TextChunker().Chunk(doc));
        Assert.Equal((1, 2), (both.Page, both.LastPage));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextChunker(new ChunkerOptions { MaxTokens = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextChunker(new ChunkerOptions { MaxTokens = 20, OverlapTokens = 11 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextChunker(new ChunkerOptions { OverlapTokens = -1 }));
    }

    [Fact]
    public void The_approximate_counter_counts_words_cjk_characters_and_punctuation()
    {
        Assert.Equal(0, ApproximateTokenCounter.Count(" \n"));
        Assert.Equal(2, ApproximateTokenCounter.Count("hello world"));
        Assert.Equal(3, ApproximateTokenCounter.Count("hello, world"));
        Assert.Equal(2, ApproximateTokenCounter.Count("configuration"));
        Assert.Equal(5, ApproximateTokenCounter.Count("東京は首都"));
        Assert.Equal(7, ApproximateTokenCounter.Count("Debianのパッケージ"));
        Assert.Equal(1, ApproximateTokenCounter.Count("𠀋"));
    }
}
