using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;

namespace BitSieve.Ingest.Tests.Loading;

public class MarkdownLoaderTests
{
    private static ExtractedDocument Load(string markdown) =>
        DocumentLoader.Load(Encoding.UTF8.GetBytes(markdown), "doc.md", DocumentFormat.Markdown).Document!;

    [Fact]
    public void Atx_and_setext_headings_with_offsets()
    {
        string md = "# Title #\n\nIntro text.\n\n## Install\nRun it.\n\nUsage\n-----\nMore.\n\nSecond\n======\n";
        ExtractedDocument doc = Load(md);
        Assert.Equal(md, doc.Text);
        Assert.Equal(["Title", "Install", "Usage", "Second"], doc.Headings.Select(h => h.Title));
        Assert.Equal([1, 2, 2, 1], doc.Headings.Select(h => h.Level));
        Assert.Equal("# Title #", md[doc.Headings[0].Start..doc.Headings[0].End]);
        Assert.Equal("## Install", md[doc.Headings[1].Start..doc.Headings[1].End]);
        Assert.Equal("Usage\n-----", md[doc.Headings[2].Start..doc.Headings[2].End]);
    }

    [Fact]
    public void Code_fences_front_matter_and_rules_are_not_headings()
    {
        string md = "---\ntitle: x\n---\n# Real\n\n```bash\n# comment, not a heading\n```\n\n~~~\n## also not\n~~~\n\ntext\n\n---\n\n#hashtag\n- item\n---\n";
        ExtractedDocument doc = Load(md);
        Assert.Equal(["Real"], doc.Headings.Select(h => h.Title));
    }

    [Fact]
    public void Japanese_headings()
    {
        ExtractedDocument doc = Load("# 概要\n\n本文です。\n\n## インストール方法\n手順。\n");
        Assert.Equal(["概要", "インストール方法"], doc.Headings.Select(h => h.Title));
        Assert.Equal(["概要", "インストール方法"], doc.HeadingPathAt(doc.Text.IndexOf("手順", StringComparison.Ordinal)).Select(h => h.Title));
        Assert.Equal(["概要"], doc.HeadingPathAt(doc.Text.IndexOf("本文", StringComparison.Ordinal)).Select(h => h.Title));
    }

    [Fact]
    public void Section_end_is_the_next_heading_at_the_same_or_outer_level()
    {
        ExtractedDocument doc = Load("# A\n## A1\ntext\n## A2\n# B\n");
        Assert.Equal(doc.Headings[3].Start, doc.SectionEnd(0));
        Assert.Equal(doc.Headings[2].Start, doc.SectionEnd(1));
        Assert.Equal(doc.Text.Length, doc.SectionEnd(3));
    }
}
