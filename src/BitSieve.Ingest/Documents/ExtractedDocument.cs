namespace BitSieve.Ingest.Documents;

/// <summary>The kind of file a document was extracted from.</summary>
public enum DocumentFormat
{
    /// <summary>Plain text (<c>.txt</c>).</summary>
    PlainText,

    /// <summary>Markdown (<c>.md</c>, <c>.markdown</c>); the extracted text is the Markdown source itself.</summary>
    Markdown,

    /// <summary>HTML (<c>.html</c>, <c>.htm</c>); the extracted text is the visible text of the body.</summary>
    Html,

    /// <summary>PDF; the extracted text is the pages' words, pages separated by a blank line.</summary>
    Pdf,
}

/// <summary>
/// A heading found in a document. <see cref="Start"/> and <see cref="End"/> are UTF-16 offsets into
/// <see cref="ExtractedDocument.Text"/>: the heading's line as it appears there (for Markdown including the
/// <c>#</c> marks). A PDF bookmark whose title could not be found on its page has <c>Start == End</c> at the
/// start of that page.
/// </summary>
/// <param name="Level">1 for the outermost heading (<c>h1</c>, <c>#</c>, a top-level bookmark), up to 6.</param>
/// <param name="Title">The heading's text, whitespace collapsed, markup removed.</param>
/// <param name="Start">Offset of the heading's first character.</param>
/// <param name="End">Offset just past the heading's last character.</param>
public sealed record DocumentHeading(int Level, string Title, int Start, int End);

/// <summary>The span of one PDF page in <see cref="ExtractedDocument.Text"/>, <c>[Start, End)</c>.</summary>
/// <param name="Number">1-based page number.</param>
/// <param name="Start">Offset of the page's first character.</param>
/// <param name="End">Offset just past the page's last character.</param>
public readonly record struct PageSpan(int Number, int Start, int End);

/// <summary>
/// The plain text extracted from one file plus its outline. All offsets in this library are UTF-16 code units into
/// <see cref="Text"/>; line endings are normalized to <c>\n</c>.
/// </summary>
public sealed class ExtractedDocument
{
    /// <summary>Creates a document; headings must be sorted by <see cref="DocumentHeading.Start"/>.</summary>
    public ExtractedDocument(
        string source,
        DocumentFormat format,
        string text,
        IReadOnlyList<DocumentHeading>? headings = null,
        IReadOnlyList<PageSpan>? pages = null,
        string? title = null,
        IReadOnlyList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(text);
        Source = source;
        Format = format;
        Text = text;
        Headings = headings ?? [];
        Pages = pages ?? [];
        Title = title;
        Warnings = warnings ?? [];
        for (int i = 0; i < Headings.Count; i++)
        {
            DocumentHeading h = Headings[i];
            if (h.Start < 0 || h.End < h.Start || h.End > text.Length)
                throw new ArgumentException($"Heading {i} '{h.Title}' lies outside the text.", nameof(headings));
            if (i > 0 && h.Start < Headings[i - 1].Start)
                throw new ArgumentException("Headings must be sorted by their start offset.", nameof(headings));
        }
    }

    /// <summary>The source path as the caller named it (typically relative to the indexed folder, forward slashes).</summary>
    public string Source { get; }

    /// <summary>The format the text was extracted from.</summary>
    public DocumentFormat Format { get; }

    /// <summary>The extracted plain text.</summary>
    public string Text { get; }

    /// <summary>The headings in document order.</summary>
    public IReadOnlyList<DocumentHeading> Headings { get; }

    /// <summary>Page spans in page order; empty for formats without pages.</summary>
    public IReadOnlyList<PageSpan> Pages { get; }

    /// <summary>The document's title where the format has one (HTML <c>&lt;title&gt;</c>, PDF info), else null.</summary>
    public string? Title { get; }

    /// <summary>Things the caller may want to count or log that did not stop extraction (e.g. a PDF page without text).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// The headings whose sections contain <paramref name="offset"/>, outermost first: for each heading before the
    /// offset, the deeper headings that precede it in its own section are dropped.
    /// </summary>
    public IReadOnlyList<DocumentHeading> HeadingPathAt(int offset)
    {
        var stack = new List<DocumentHeading>();
        foreach (DocumentHeading h in Headings)
        {
            if (h.Start > offset)
                break;
            while (stack.Count > 0 && stack[^1].Level >= h.Level)
                stack.RemoveAt(stack.Count - 1);
            stack.Add(h);
        }
        return stack;
    }

    /// <summary>The 1-based number of the page that contains <paramref name="offset"/>, or null without pages.</summary>
    public int? PageAt(int offset)
    {
        if (Pages.Count == 0)
            return null;
        int lo = 0, hi = Pages.Count - 1;
        while (lo < hi)
        {
            // The last page whose start is at or before the offset; offsets in the separator belong to the page before.
            int mid = (lo + hi + 1) >>> 1;
            if (Pages[mid].Start <= offset)
                lo = mid;
            else
                hi = mid - 1;
        }
        return Pages[lo].Number;
    }

    /// <summary>
    /// The end of the section that heading <paramref name="headingIndex"/> opens: the start of the next heading at the
    /// same or an outer level, or the end of the text.
    /// </summary>
    public int SectionEnd(int headingIndex)
    {
        int level = Headings[headingIndex].Level;
        for (int i = headingIndex + 1; i < Headings.Count; i++)
        {
            if (Headings[i].Level <= level)
                return Headings[i].Start;
        }
        return Text.Length;
    }
}
