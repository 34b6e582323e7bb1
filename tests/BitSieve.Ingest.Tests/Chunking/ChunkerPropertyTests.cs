using System.Text;
using BitSieve.Ingest.Chunking;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;
using CsCheck;

namespace BitSieve.Ingest.Tests.Chunking;

/// <summary>Invariants of <see cref="TextChunker"/> over random English, Japanese and mixed Markdown texts.</summary>
public class ChunkerPropertyTests
{
    private static readonly string[] English =
    [
        "the", "Debian", "package", "system", "installs", "software", "quickly", "e.g.", "i.e.", "Dr.", "U.S.",
        "3.14", "v1.2.3", "approx.", "configuration", "x-terminal-emulator", "don't", "(see", "below)", "\"quoted\"",
        "internationalization", "a", "I",
    ];

    private static readonly string[] Japanese =
    [
        "東京", "は", "日本", "の", "首都", "です", "パッケージ", "を", "インストール", "します", "犬", "猫", "が", "好き",
        "ｶﾀｶﾅ", "ＡＢＣ１２", "𠀋", "𩸽", "葛\U000E0100", "々", "ー",
    ];

    private static readonly string[] Punctuation = [". ", "? ", "! ", ", ", "。", "！", "？", "．", "、", "「", "」", "…", ".\n", "!!! "];

    private static readonly string[] Spaces = [" ", " ", " ", "\n", "\n\n", "\t", "  \n  ", "\u3000"];

    private static readonly string[] Odd =
    [
        "😀", "👍🏽", "e\u0301", "\uD83D", "\uDE00", "\u200B", new string('z', 150), "ab\u0000cd",
        "\n# Chapter\n", "\n## Section\n", "\n### Sub\n", "\n# 第一章\n", "\n## 概要\n", "\nSetext\n===\n",
    ];

    /// <summary>A text from fragments: mostly words and spaces, with punctuation, headings and odd characters mixed in.</summary>
    private static readonly Gen<string> Texts =
        Gen.Frequency(
                (30, Gen.OneOfConst(English)),
                (20, Gen.OneOfConst(Japanese)),
                (35, Gen.OneOfConst(Spaces)),
                (12, Gen.OneOfConst(Punctuation)),
                (3, Gen.OneOfConst(Odd)))
            .Array[0, 600]
            .Select(parts => string.Concat(parts));

    private static readonly Gen<(string Text, int Max, int Overlap, bool CharCounter)> Cases =
        Gen.Select(Texts, Gen.Int[8, 80], Gen.Int[0, 100], Gen.Bool)
            .Select((text, max, overlapPercent, chars) => (text, max, max / 2 * overlapPercent / 100, chars));

    /// <summary>A counter unlike the default: every non-space UTF-16 unit is a token.</summary>
    private static int CountChars(string s) => s.Count(c => !char.IsWhiteSpace(c));

    [Fact]
    public void Chunks_are_exact_spans_that_cover_the_text_within_the_limits()
    {
        Cases.Sample(c =>
        {
            Func<string, int> counter = c.CharCounter ? CountChars : ApproximateTokenCounter.Count;
            var chunker = new TextChunker(new ChunkerOptions { MaxTokens = c.Max, OverlapTokens = c.Overlap, TokenCounter = counter });
            var doc = new ExtractedDocument("random.md", DocumentFormat.Markdown, c.Text, MarkdownLoader.FindHeadings(c.Text));
            IReadOnlyList<TextChunk> chunks = chunker.Chunk(doc);
            Check(doc, chunks, c.Max, c.Overlap, counter);
        }, iter: 400, print: c => $"max={c.Max} overlap={c.Overlap} chars={c.CharCounter} text={Escape(c.Text)}");
    }

    internal static void Check(ExtractedDocument doc, IReadOnlyList<TextChunk> chunks, int max, int overlap, Func<string, int> counter)
    {
        string text = doc.Text;
        var covered = new bool[text.Length];
        for (int i = 0; i < chunks.Count; i++)
        {
            TextChunk c = chunks[i];
            Assert.Equal(i, c.Index);
            Assert.True(c.Start >= 0 && c.Start < c.End && c.End <= text.Length, $"chunk {i} [{c.Start},{c.End})");
            Assert.Equal(text[c.Start..c.End], c.Text);
            Assert.False(char.IsWhiteSpace(c.Text[0]) || char.IsWhiteSpace(c.Text[^1]), $"chunk {i} is not trimmed");
            Assert.False(InsidePair(text, c.Start), $"chunk {i} starts inside a surrogate pair");
            Assert.False(InsidePair(text, c.End), $"chunk {i} ends inside a surrogate pair");
            Assert.Equal(counter(c.Text), c.TokenCount);
            Assert.True(c.TokenCount <= max || IsOneTextElement(c.Text), $"chunk {i} has {c.TokenCount} > {max} tokens");
            for (int p = c.Start; p < c.End; p++)
                covered[p] = true;

            if (i > 0)
            {
                TextChunk prev = chunks[i - 1];
                Assert.True(c.Start > prev.Start && c.End > prev.End, $"chunks {i - 1} and {i} do not advance");
                if (c.Start < prev.End)
                    Assert.True(counter(text[c.Start..prev.End]) <= overlap, $"chunk {i} overlaps more than {overlap} tokens");
            }
        }
        for (int p = 0; p < text.Length; p++)
            Assert.True(covered[p] || char.IsWhiteSpace(text[p]), $"offset {p} ('{Escape(text[p].ToString())}') is in no chunk");

        // No chunk crosses a top-level heading (the outermost level used twice).
        int top = doc.Headings.GroupBy(h => h.Level).Where(g => g.Count() >= 2).Select(g => g.Key).DefaultIfEmpty(7).Min();
        if (top == 7 && doc.Headings.Count > 0)
            top = doc.Headings.Min(h => h.Level);
        foreach (DocumentHeading h in doc.Headings.Where(h => h.Level <= top))
            Assert.DoesNotContain(chunks, c => c.Start < h.Start && h.Start < c.End);
    }

    private static bool InsidePair(string text, int offset) =>
        offset > 0 && offset < text.Length && char.IsHighSurrogate(text[offset - 1]) && char.IsLowSurrogate(text[offset]);

    private static bool IsOneTextElement(string s) => System.Globalization.StringInfo.GetNextTextElementLength(s) == s.Length;

    private static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (char ch in s)
            sb.Append(ch is '\n' ? "\\n" : ch is '\t' ? "\\t" : ch < ' ' || char.IsSurrogate(ch) ? $"\\u{(int)ch:X4}" : ch.ToString());
        return sb.ToString();
    }
}
