using BitSieve.Ingest.Documents;
using BitSieve.Ingest.Loading;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Outline;
using UglyToad.PdfPig.Outline.Destinations;
using UglyToad.PdfPig.Writer;

namespace BitSieve.Ingest.Tests.Loading;

public class PdfLoaderTests
{
    /// <summary>A two-page PDF with lines of text at given heights and one bookmark per page.</summary>
    internal static byte[] MakePdf(bool bookmarks = true, bool emptyMiddlePage = false)
    {
        var builder = new PdfDocumentBuilder();
        PdfDocumentBuilder.AddedFont font = builder.AddStandard14Font(Standard14Font.Helvetica);

        PdfPageBuilder page1 = builder.AddPage(PageSize.A4);
        page1.AddText("1 Introduction", 16, new PdfPoint(50, 750), font);
        page1.AddText("BitSieve reads PDF files. It keeps the words apart.", 11, new PdfPoint(50, 720), font);
        page1.AddText("A second line of the same paragraph.", 11, new PdfPoint(50, 706), font);
        page1.AddText("A new paragraph after a gap.", 11, new PdfPoint(50, 660), font);

        if (emptyMiddlePage)
            builder.AddPage(PageSize.A4);

        PdfPageBuilder page2 = builder.AddPage(PageSize.A4);
        page2.AddText("2 Usage", 16, new PdfPoint(50, 750), font);
        page2.AddText("Run the indexer on a folder.", 11, new PdfPoint(50, 720), font);

        if (bookmarks)
        {
            int usagePage = emptyMiddlePage ? 3 : 2;
            builder.Bookmarks = new Bookmarks(
            [
                new DocumentBookmarkNode("Introduction", 0,
                    new ExplicitDestination(1, ExplicitDestinationType.FitPage, ExplicitDestinationCoordinates.Empty), []),
                new DocumentBookmarkNode("Usage", 0,
                    new ExplicitDestination(usagePage, ExplicitDestinationType.FitPage, ExplicitDestinationCoordinates.Empty), []),
            ]);
        }
        return builder.Build();
    }

    private static LoadResult Load(byte[] bytes) => DocumentLoader.Load(bytes, "doc.pdf", DocumentFormat.Pdf);

    [Fact]
    public void Pages_lines_and_paragraphs()
    {
        ExtractedDocument doc = Load(MakePdf(bookmarks: false)).Document!;
        Assert.Equal(
            "1 Introduction\n\nBitSieve reads PDF files. It keeps the words apart.\nA second line of the same paragraph.\n\nA new paragraph after a gap."
            + "\n\n2 Usage\n\nRun the indexer on a folder.",
            doc.Text);
        Assert.Equal(2, doc.Pages.Count);
        Assert.StartsWith("1 Introduction", doc.Text[doc.Pages[0].Start..doc.Pages[0].End], StringComparison.Ordinal);
        Assert.Equal("2 Usage\n\nRun the indexer on a folder.", doc.Text[doc.Pages[1].Start..doc.Pages[1].End]);
        Assert.Equal(1, doc.PageAt(0));
        Assert.Equal(2, doc.PageAt(doc.Text.IndexOf("Run", StringComparison.Ordinal)));
        Assert.Empty(doc.Headings);
        Assert.Empty(doc.Warnings);
    }

    [Fact]
    public void Bookmarks_become_headings_at_their_titles()
    {
        ExtractedDocument doc = Load(MakePdf()).Document!;
        Assert.Equal(["Introduction", "Usage"], doc.Headings.Select(h => h.Title));
        // The section number in front of the title on the same line belongs to the heading.
        Assert.Equal("1 Introduction", doc.Text[doc.Headings[0].Start..doc.Headings[0].End]);
        Assert.Equal("2 Usage", doc.Text[doc.Headings[1].Start..doc.Headings[1].End]);
        Assert.Equal(doc.Pages[1].Start, doc.Headings[1].Start);
    }

    [Fact]
    public void A_page_without_text_is_a_warning()
    {
        ExtractedDocument doc = Load(MakePdf(emptyMiddlePage: true)).Document!;
        Assert.Equal(3, doc.Pages.Count);
        Assert.Equal(doc.Pages[1].Start, doc.Pages[1].End);
        Assert.Contains(doc.Warnings, w => w.Contains("1 of 3 pages", StringComparison.Ordinal));
        Assert.Equal(3, doc.PageAt(doc.Text.IndexOf("Run", StringComparison.Ordinal)));
        Assert.Equal("Usage", doc.Headings[1].Title);
        Assert.Equal(doc.Pages[2].Start, doc.Headings[1].Start);
    }

    [Fact]
    public void A_pdf_without_any_text_is_empty()
    {
        var builder = new PdfDocumentBuilder();
        builder.AddPage(PageSize.A4);
        Assert.Equal(SkipKind.Empty, Load(builder.Build()).Skip!.Kind);
    }

    [Fact]
    public void Truncated_and_garbage_pdfs_are_skipped_as_malformed()
    {
        byte[] pdf = MakePdf();
        foreach (int keep in new[] { 8, pdf.Length / 4, pdf.Length / 2 })
        {
            LoadResult r = Load(pdf[..keep]);
            // A lenient parser may still recover some pages; it must never throw, and never return garbage text.
            if (r.IsLoaded)
                Assert.Contains("Introduction", r.Document.Text, StringComparison.Ordinal);
            else
                Assert.Contains(r.Skip.Kind, new[] { SkipKind.Malformed, SkipKind.Empty });
        }
        Assert.Equal(SkipKind.Malformed, Load("%PDF-1.7\nthis is not a pdf at all"u8.ToArray()).Skip!.Kind);
        Assert.Equal(SkipKind.Malformed, Load([0x00, 0x01, 0x02, 0x03]).Skip!.Kind);
    }
}
