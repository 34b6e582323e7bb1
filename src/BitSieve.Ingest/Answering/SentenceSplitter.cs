namespace BitSieve.Ingest.Answering;

/// <summary>
/// Splits a passage into sentences for the extractive answerer: paragraphs end at blank lines and before a line that
/// starts a Markdown heading (<c>#</c>), list item (<c>-</c>, <c>*</c>, <c>+</c>, <c>1.</c>) or table row (<c>|</c>);
/// sentences end after <c>.</c> <c>!</c> <c>?</c> followed by whitespace, and after <c>。</c> <c>！</c> <c>？</c>
/// (and any closing bracket or quote after them). Headings are left out: they name a section, they do not answer.
/// </summary>
internal static class SentenceSplitter
{
    /// <summary>The sentences' (start, length) in <paramref name="text"/>, trimmed, in order.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var sentences = new List<(int Start, int Length)>();
        int lineStart = 0;
        int sentenceStart = 0;
        bool heading = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length)
            {
                Add(sentenceStart, i, heading);
                break;
            }
            char c = text[i];
            if (c == '\n')
            {
                int next = i + 1;
                var rest = text.AsSpan(next);
                var trimmed = rest.TrimStart(" \t\r");
                bool blank = trimmed.Length == 0 || trimmed[0] == '\n';
                if (heading || blank || StartsBlock(trimmed))
                {
                    Add(sentenceStart, i, heading);
                    sentenceStart = next;
                    heading = trimmed.Length > 0 && trimmed[0] == '#';
                }
                lineStart = next;
                continue;
            }
            if (i == 0 && text.AsSpan().TrimStart(" \t").StartsWith("#")) heading = true;
            if (c is '.' or '!' or '?' && i + 1 < text.Length && char.IsWhiteSpace(text[i + 1]) && i > lineStart)
            {
                Add(sentenceStart, i + 1, heading);
                sentenceStart = i + 1;
            }
            else if (c is '。' or '！' or '？')
            {
                int end = i + 1;
                while (end < text.Length && text[end] is '」' or '』' or '）' or ')' or '"' or '”' or '’') end++;
                Add(sentenceStart, end, heading);
                sentenceStart = end;
                i = end - 1;
            }
        }
        return sentences;

        void Add(int start, int end, bool isHeading)
        {
            while (start < end && char.IsWhiteSpace(text[start])) start++;
            while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
            if (end > start && !isHeading) sentences.Add((start, end - start));
        }
    }

    private static bool StartsBlock(ReadOnlySpan<char> line)
    {
        if (line.Length == 0) return false;
        if (line[0] is '#' or '|') return true;
        if (line[0] is '-' or '*' or '+' && line.Length > 1 && line[1] == ' ') return true;
        int digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits])) digits++;
        return digits > 0 && digits + 1 < line.Length && line[digits] is '.' or ')' && line[digits + 1] == ' ';
    }
}
