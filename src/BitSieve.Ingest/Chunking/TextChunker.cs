using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Chunking;

/// <summary>
/// Splits an extracted document into chunks of at most <see cref="ChunkerOptions.MaxTokens"/> tokens that follow the
/// document's structure: sections first, then paragraphs, sentences (English and Japanese), lines, words, and only as a
/// last resort characters.
/// </summary>
/// <remarks>
/// <para>The document is first cut into top-level sections: at each heading of the top level (the outermost level that
/// has at least two headings) and above it. No chunk crosses such a cut. Within a section the text is split into units
/// (a word and its trailing whitespace, or one CJK character), each boundary between units rated
/// <see cref="Boundary"/>; a chunk takes units while they fit and ends at the boundary with the best score, its fill
/// (tokens / max) plus a bonus for the boundary's strength: a sub-heading beats a full chunk once the chunk is a quarter
/// full, a paragraph beats a sentence end once three quarters full. The next chunk starts up to
/// <see cref="ChunkerOptions.OverlapTokens"/> back, at the strongest boundary there (a sentence start where one is), except
/// after a heading boundary.</para>
/// <para>Every chunk is trimmed of surrounding whitespace and satisfies <c>Text == document.Text[Start..End]</c>.</para>
/// </remarks>
public sealed partial class TextChunker
{
    private readonly ChunkerOptions _options;

    /// <summary>Creates a chunker; <see cref="ChunkerOptions.Default"/> when <paramref name="options"/> is null.</summary>
    public TextChunker(ChunkerOptions? options = null)
    {
        _options = options ?? ChunkerOptions.Default;
        _options.Validate();
    }

    /// <summary>The options in use.</summary>
    public ChunkerOptions Options => _options;

    /// <summary>Chunks a plain string (no outline) under a source name.</summary>
    public IReadOnlyList<TextChunk> Chunk(string text, string source = "") =>
        Chunk(new ExtractedDocument(source, DocumentFormat.PlainText, text));

    /// <summary>Chunks a document, following its headings and pages.</summary>
    public IReadOnlyList<TextChunk> Chunk(ExtractedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        string text = document.Text;
        IReadOnlyList<DocumentHeading> headings = document.Headings;
        int topLevel = TopLevel(headings);

        int[] headingStarts = [.. headings.Select(h => h.Start).Distinct().Order()];
        int[] headingEnds = [.. headings.Where(h => h.End > h.Start).Select(h => h.End).Distinct().Order()];
        var cuts = new List<int> { 0 };
        cuts.AddRange(headings.Where(h => h.Level <= topLevel).Select(h => h.Start));
        cuts.Add(text.Length);
        cuts = [.. cuts.Distinct().Order()];

        var chunks = new List<TextChunk>();
        for (int s = 0; s + 1 < cuts.Count; s++)
        {
            List<Unit> units = Units(text, cuts[s], cuts[s + 1], headingStarts, headingEnds);
            units = CountTokens(text, units);
            Pack(document, units, chunks);
        }
        return chunks;
    }

    /// <summary>The outermost heading level used at least twice, else the outermost level present (7 without headings).</summary>
    private static int TopLevel(IReadOnlyList<DocumentHeading> headings)
    {
        if (headings.Count == 0)
            return 7;
        foreach (IGrouping<int, DocumentHeading> level in headings.GroupBy(h => h.Level).OrderBy(g => g.Key))
        {
            if (level.Count() >= 2)
                return level.Key;
        }
        return headings.Min(h => h.Level);
    }

    /// <summary>Counts each unit's tokens; a unit over the limit on its own is cut into pieces that fit.</summary>
    private List<Unit> CountTokens(string text, List<Unit> units)
    {
        var counted = new List<Unit>(units.Count);
        foreach (Unit u in units)
        {
            int tokens = _options.TokenCounter(text[u.Start..u.End]);
            if (tokens <= _options.MaxTokens)
            {
                counted.Add(u with { Tokens = tokens });
                continue;
            }
            int start = u.Start;
            Boundary before = u.Before;
            while (start < u.End)
            {
                int end = LongestFittingPrefix(text, start, u.End);
                counted.Add(new Unit(start, end, _options.TokenCounter(text[start..end]), before));
                before = Boundary.Char;
                start = end;
            }
        }
        return counted;
    }

    /// <summary>
    /// The end of the longest prefix of <c>text[start..end)</c>, ending on a grapheme boundary, whose tokens fit in a
    /// chunk; at least one grapheme. Exponential then binary search keep a giant word (a base64 blob) near-linear.
    /// </summary>
    private int LongestFittingPrefix(string text, int start, int end)
    {
        int max = _options.MaxTokens;
        var boundaries = new List<int>();
        int window = Math.Min(end - start, max * 4);
        while (true)
        {
            boundaries.Clear();
            for (int p = start; p < start + window;)
            {
                p += ElementLength(text, p, end);
                boundaries.Add(Math.Min(p, end));
            }
            if (boundaries[^1] >= end || _options.TokenCounter(text[start..boundaries[^1]]) > max)
                break;
            window = Math.Min(end - start, window * 2);
        }

        int lo = 0, hi = boundaries.Count - 1; // boundaries[lo] always acceptable (one grapheme)
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (_options.TokenCounter(text[start..boundaries[mid]]) <= max)
                lo = mid;
            else
                hi = mid - 1;
        }
        return boundaries[lo];
    }

    private static double Bonus(Boundary b) => b switch
    {
        Boundary.Heading => 1.0,
        Boundary.Paragraph => 0.5,
        Boundary.Sentence => 0.3,
        Boundary.Line => 0.15,
        Boundary.Word => 0.05,
        _ => 0,
    };

    /// <summary>Packs one top-level section's units into chunks.</summary>
    private void Pack(ExtractedDocument document, List<Unit> units, List<TextChunk> chunks)
    {
        int n = units.Count;
        if (n == 0)
            return;
        int max = _options.MaxTokens;
        long[] prefix = new long[n + 1];
        for (int i = 0; i < n; i++)
            prefix[i + 1] = prefix[i] + units[i].Tokens;

        int first = 0;      // first unit of the chunk being built
        int mustPass = 0;   // the chunk must include unit mustPass (the first unit after the overlap)
        while (first < n)
        {
            int last = first + 1; // exclusive end: the furthest that fits
            while (last < n && prefix[last + 1] - prefix[first] <= max)
                last++;

            int end;
            if (last == n)
                end = n;
            else
            {
                end = last;
                double best = double.NegativeInfinity;
                for (int j = Math.Max(first + 1, mustPass + 1); j <= last; j++)
                {
                    double score = (double)(prefix[j] - prefix[first]) / max + Bonus(units[j].Before);
                    if (score >= best)
                    {
                        best = score;
                        end = j;
                    }
                }
            }

            int tokens;
            (end, tokens) = FitToCounter(document.Text, units, first, end, Math.Max(first + 1, mustPass + 1));
            chunks.Add(MakeChunk(document, chunks.Count, units[first].Start, units[end - 1].End, tokens));
            if (end == n)
                break;

            int next = end;
            if (_options.OverlapTokens > 0 && units[end].Before < Boundary.Heading)
            {
                Boundary bestBoundary = Boundary.Char;
                for (int o = end - 1; o > first; o--)
                {
                    if (prefix[end] - prefix[o] > _options.OverlapTokens || prefix[end + 1] - prefix[o] > max)
                        break;
                    if (next == end || units[o].Before >= bestBoundary)
                    {
                        bestBoundary = units[o].Before;
                        next = o;
                    }
                }
            }
            mustPass = end;
            first = next;
        }
    }

    /// <summary>
    /// Re-counts the chosen chunk with the counter (a tokenizer need not be exactly additive over units) and gives back
    /// units from the end until it fits, keeping at least up to <paramref name="minEnd"/>.
    /// </summary>
    private (int End, int Tokens) FitToCounter(string text, List<Unit> units, int first, int end, int minEnd)
    {
        while (true)
        {
            int tokens = _options.TokenCounter(text[units[first].Start..TrimEnd(text, units[first].Start, units[end - 1].End)]);
            if (tokens <= _options.MaxTokens || end <= minEnd)
                return (end, tokens);
            end--;
        }
    }

    private static int TrimEnd(string text, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(text[end - 1]))
            end--;
        return end;
    }

    private static TextChunk MakeChunk(ExtractedDocument document, int index, int start, int end, int tokens)
    {
        string text = document.Text;
        end = TrimEnd(text, start, end);
        IReadOnlyList<string> path = [.. document.HeadingPathAt(start).Select(h => h.Title)];
        return new TextChunk(document.Source, index, start, end, text[start..end], tokens, path,
            document.PageAt(start), document.PageAt(Math.Max(start, end - 1)));
    }
}
