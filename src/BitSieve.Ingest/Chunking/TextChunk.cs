namespace BitSieve.Ingest.Chunking;

/// <summary>
/// One chunk of a document. <see cref="Text"/> is exactly <c>document.Text[Start..End]</c>; offsets are UTF-16 code
/// units into the extracted text and never split a surrogate pair (nor, in practice, a grapheme cluster).
/// </summary>
/// <param name="Source">The document's source path.</param>
/// <param name="Index">0-based position of the chunk in its document.</param>
/// <param name="Start">Offset of the chunk's first character.</param>
/// <param name="End">Offset just past its last character.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="TokenCount">Its tokens as the chunker's counter counted them.</param>
/// <param name="HeadingPath">The titles of the headings whose sections contain <paramref name="Start"/>, outermost first.</param>
/// <param name="Page">For a PDF, the 1-based page <paramref name="Start"/> is on; else null.</param>
/// <param name="LastPage">For a PDF, the page its last character is on; else null.</param>
public sealed record TextChunk(
    string Source,
    int Index,
    int Start,
    int End,
    string Text,
    int TokenCount,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    int? LastPage);
