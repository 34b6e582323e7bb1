using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// <c>.md</c>: the extracted text is the Markdown source itself (markup is little noise for embeddings, and offsets
/// then point into the file as a person reads it). Headings are ATX (<c># Title</c>) and setext (a line underlined by
/// <c>===</c> or <c>---</c>); lines inside fenced code blocks and a leading YAML front matter block are not headings.
/// </summary>
internal static class MarkdownLoader
{
    public static LoadResult Load(byte[] content, string source)
    {
        string? text = TextDecoding.Decode(content, out SkipReason? problem);
        if (text is null)
            return LoadResult.Skipped(source, problem!.Kind, problem.Message);
        return LoadResult.Loaded(new ExtractedDocument(source, DocumentFormat.Markdown, text, FindHeadings(text)));
    }

    internal static List<DocumentHeading> FindHeadings(string text)
    {
        var headings = new List<DocumentHeading>();
        var lines = new List<(int Start, int End)>();
        for (int start = 0; start <= text.Length;)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl;
            lines.Add((start, end));
            if (nl < 0)
                break;
            start = nl + 1;
        }

        int first = 0;
        if (lines.Count > 0 && Line(text, lines[0]).TrimEnd() == "---")
        {
            // YAML front matter: everything up to the closing '---' or '...' line.
            for (int i = 1; i < lines.Count; i++)
            {
                string l = Line(text, lines[i]).TrimEnd();
                if (l is "---" or "...")
                {
                    first = i + 1;
                    break;
                }
            }
        }

        string? fence = null;
        bool previousIsParagraphLine = false;
        for (int i = first; i < lines.Count; i++)
        {
            (int start, int end) = lines[i];
            string line = text[start..end];
            string trimmed = line.TrimStart(' ');
            int indent = line.Length - trimmed.Length;

            if (fence is not null)
            {
                if (indent < 4 && trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.AsSpan(fence.Length).Trim(fence[0]).IsWhiteSpace())
                    fence = null;
                previousIsParagraphLine = false;
                continue;
            }
            if (indent < 4 && (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)))
            {
                char c = trimmed[0];
                int n = 0;
                while (n < trimmed.Length && trimmed[n] == c)
                    n++;
                fence = new string(c, n);
                previousIsParagraphLine = false;
                continue;
            }

            if (indent < 4 && TryAtx(trimmed, out int level, out string title))
            {
                headings.Add(new DocumentHeading(level, title, start + indent, TrimEndOffset(text, start, end)));
                previousIsParagraphLine = false;
                continue;
            }

            if (indent < 4 && previousIsParagraphLine && IsSetextUnderline(trimmed, out int setextLevel))
            {
                (int ps, int pe) = lines[i - 1];
                string title2 = text[ps..pe].Trim();
                headings.Add(new DocumentHeading(setextLevel, title2, ps + (text[ps..pe].Length - text[ps..pe].TrimStart().Length),
                    TrimEndOffset(text, start, end)));
                previousIsParagraphLine = false;
                continue;
            }

            previousIsParagraphLine = indent < 4 && trimmed.Length > 0 && !IsBlockStart(trimmed);
        }
        return headings;
    }

    private static string Line(string text, (int Start, int End) line) => text[line.Start..line.End];

    private static int TrimEndOffset(string text, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(text[end - 1]))
            end--;
        return end;
    }

    private static bool TryAtx(string trimmed, out int level, out string title)
    {
        level = 0;
        while (level < trimmed.Length && trimmed[level] == '#')
            level++;
        title = "";
        if (level is 0 or > 6 || (level < trimmed.Length && trimmed[level] is not (' ' or '\t')))
            return false;
        string rest = trimmed[level..].Trim();
        // A closing sequence of '#' is dropped when a space precedes it (or it is all there is).
        string withoutClose = rest.TrimEnd('#');
        if (withoutClose.Length == 0 || withoutClose[^1] is ' ' or '\t')
            rest = withoutClose.TrimEnd();
        title = rest;
        return title.Length > 0;
    }

    private static bool IsSetextUnderline(string trimmed, out int level)
    {
        string t = trimmed.TrimEnd();
        level = 0;
        if (t.Length == 0)
            return false;
        if (t.All(c => c == '='))
            level = 1;
        else if (t.All(c => c == '-'))
            level = 2;
        return level != 0;
    }

    private static bool IsBlockStart(string trimmed) =>
        trimmed[0] is '>' or '|' || trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed.StartsWith("* ", StringComparison.Ordinal)
        || trimmed.StartsWith("+ ", StringComparison.Ordinal) || trimmed.TrimEnd().All(c => c is '-' or '*' or '_' or ' ');
}
