using System.Text;
using BitSieve.Ingest.Documents;
using BitSieve.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Exceptions;
using UglyToad.PdfPig.Outline;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// <c>.pdf</c> through PdfPig: each page's words in content order, a space between words on a line, a line break when
/// the baseline moves, a blank line for a larger vertical gap and between pages. PdfPig's default word extractor is
/// used rather than its content-order text extractor, which glues the words of justified lines together. Bookmarks
/// become headings, placed where their title appears on their page.
/// </summary>
internal static class PdfLoader
{
    public static LoadResult Load(byte[] content, string source)
    {
        try
        {
            using PdfDocument pdf = PdfDocument.Open(content);
            return Extract(pdf, source);
        }
        catch (PdfDocumentEncryptedException e)
        {
            return LoadResult.Skipped(source, SkipKind.Encrypted, $"the PDF is encrypted: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PdfPig reports broken files with many exception types (its own, InvalidOperation, IndexOutOfRange, ...).
            return LoadResult.Skipped(source, SkipKind.Malformed, $"cannot parse the PDF ({e.GetType().Name}: {e.Message})");
        }
    }

    private static LoadResult Extract(PdfDocument pdf, string source)
    {
        var text = new StringBuilder();
        var pages = new List<PageSpan>(pdf.NumberOfPages);
        var warnings = new List<string>();
        var emptyPages = new List<int>();
        for (int number = 1; number <= pdf.NumberOfPages; number++)
        {
            string pageText;
            try
            {
                pageText = PageText(pdf.GetPage(number));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                warnings.Add($"page {number}: cannot extract text ({e.GetType().Name}: {e.Message})");
                pageText = "";
            }

            if (pageText.Length == 0)
            {
                emptyPages.Add(number);
                pages.Add(new PageSpan(number, text.Length, text.Length));
                continue;
            }
            if (text.Length > 0)
                text.Append("\n\n");
            int start = text.Length;
            text.Append(pageText);
            pages.Add(new PageSpan(number, start, text.Length));
        }

        if (text.Length == 0)
        {
            return LoadResult.Skipped(source, SkipKind.Empty,
                $"no extractable text in {pdf.NumberOfPages} page(s) (a scanned PDF needs OCR)");
        }
        if (emptyPages.Count > 0)
        {
            warnings.Add($"{emptyPages.Count} of {pdf.NumberOfPages} pages have no extractable text (pages "
                + string.Join(", ", emptyPages.Take(10)) + (emptyPages.Count > 10 ? ", ..." : "") + ")");
        }

        string extracted = text.ToString();
        List<DocumentHeading> headings = [];
        try
        {
            if (pdf.TryGetBookmarks(out Bookmarks? bookmarks) && bookmarks is not null)
                headings = PlaceBookmarks(bookmarks, extracted, pages);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            warnings.Add($"cannot read the bookmarks ({e.GetType().Name}: {e.Message})");
        }

        string? title = null;
        try
        {
            title = string.IsNullOrWhiteSpace(pdf.Information.Title) ? null : pdf.Information.Title.Trim();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            warnings.Add($"cannot read the document information ({e.GetType().Name})");
        }
        return LoadResult.Loaded(new ExtractedDocument(source, DocumentFormat.Pdf, extracted, headings, pages, title, warnings));
    }

    private static string PageText(Page page)
    {
        var sb = new StringBuilder();
        Word? previous = null;
        foreach (Word word in page.GetWords())
        {
            if (string.IsNullOrWhiteSpace(word.Text))
                continue;
            if (previous is not null)
                sb.Append(Separator(previous, word));
            sb.Append(TextDecoding.NormalizeLineEndings(word.Text));
            previous = word;
        }
        return sb.ToString().Trim();
    }

    private static string Separator(Word previous, Word word)
    {
        double size = Math.Max(FontSize(word), 1);
        double dy = previous.BoundingBox.Bottom - word.BoundingBox.Bottom;
        if (Math.Abs(dy) > size * 0.5)
            return dy > size * 1.9 ? "\n\n" : "\n";

        // Japanese and Chinese are set without spaces: close CJK neighbours on a line join directly.
        double gap = word.BoundingBox.Left - previous.BoundingBox.Right;
        bool cjkPair = previous.Text.Length > 0 && word.Text.Length > 0
            && ScriptDetector.IsCjk(previous.Text, previous.Text.Length - 1, fromEnd: true)
            && ScriptDetector.IsCjk(word.Text, 0, fromEnd: false);
        return cjkPair && gap < size * 0.3 ? "" : " ";
    }

    private static double FontSize(Word word)
    {
        if (word.Letters.Count > 0 && word.Letters[0].PointSize > 0)
            return word.Letters[0].PointSize;
        return word.BoundingBox.Height;
    }

    /// <summary>
    /// Turns bookmarks into headings: each title is looked for on its page after the previous heading (case-insensitive);
    /// a section number in front of it on the same line is taken into the heading. A title not found there becomes an
    /// empty heading at the start of its page.
    /// </summary>
    private static List<DocumentHeading> PlaceBookmarks(Bookmarks bookmarks, string text, List<PageSpan> pages)
    {
        var headings = new List<DocumentHeading>();
        int cursor = 0;
        int cursorPage = 0;
        foreach (BookmarkNode node in bookmarks.GetNodes())
        {
            if (node is not DocumentBookmarkNode { PageNumber: > 0 } docNode || docNode.PageNumber > pages.Count)
                continue;
            string title = string.Join(' ', (node.Title ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            if (title.Length == 0)
                continue;
            PageSpan page = pages[docNode.PageNumber - 1];
            int from = docNode.PageNumber == cursorPage ? Math.Max(cursor, page.Start) : page.Start;
            int at = page.End > from ? text.IndexOf(title, from, page.End - from, StringComparison.OrdinalIgnoreCase) : -1;
            int level = Math.Clamp(node.Level + 1, 1, 6);
            if (at < 0)
            {
                headings.Add(new DocumentHeading(level, title, page.Start, page.Start));
                continue;
            }
            int start = at;
            int lineStart = text.LastIndexOf('\n', Math.Max(at - 1, 0)) + 1;
            if (lineStart < at && text.AsSpan(lineStart, at - lineStart).IndexOfAnyExcept("0123456789. \t") < 0)
                start = lineStart;
            int end = at + title.Length;
            headings.Add(new DocumentHeading(level, title, start, end));
            cursor = end;
            cursorPage = docNode.PageNumber;
        }
        // Bookmarks need not follow page order; headings must.
        return [.. headings.OrderBy(h => h.Start)];
    }
}
