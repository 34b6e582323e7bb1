using System.Globalization;
using BitSieve.Text;

namespace BitSieve.Ingest.Chunking;

public sealed partial class TextChunker
{
    /// <summary>How good a place a boundary is to end a chunk, weakest first.</summary>
    internal enum Boundary
    {
        /// <summary>Between two characters with nothing between them (inside a Japanese sentence, or a split word).</summary>
        Char,

        /// <summary>Whitespace between words.</summary>
        Word,

        /// <summary>A line break that ends no sentence.</summary>
        Line,

        /// <summary>After a sentence end: <c>. ? !</c> before whitespace, <c>。！？．</c> anywhere.</summary>
        Sentence,

        /// <summary>A blank line (also between PDF pages and HTML blocks).</summary>
        Paragraph,

        /// <summary>The start of a heading below the top level.</summary>
        Heading,
    }

    /// <summary>
    /// The smallest piece the chunker moves: a word with its trailing whitespace, one CJK character, or a piece of a
    /// word too long for a chunk. <see cref="Before"/> rates the boundary in front of it.
    /// </summary>
    internal readonly record struct Unit(int Start, int End, int Tokens, Boundary Before);

    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr.", "mrs.", "ms.", "dr.", "prof.", "sr.", "jr.", "st.", "vs.", "cf.", "approx.", "no.", "nos.", "fig.",
        "figs.", "eq.", "vol.", "vols.", "pp.", "ch.", "sec.", "inc.", "ltd.", "co.", "corp.", "dept.", "est.",
        "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.", "al.",
        "ca.", "resp.", "viz.", "ref.", "refs.", "ed.", "eds.", "op.", "min.", "max.",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup =
        Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();

    private const string Closers = "\"')]}”’»」』）】〕〉》〗〙〛］｝";

    /// <summary>
    /// Splits <c>text[start..end)</c> into units. <paramref name="headingStarts"/> and <paramref name="headingEnds"/>
    /// (sorted) force a boundary at each heading's start and mark the boundary right after a heading's title as weak,
    /// so a heading is never left alone at the end of a chunk.
    /// </summary>
    internal List<Unit> Units(string text, int start, int end, int[] headingStarts, int[] headingEnds)
    {
        var units = new List<Unit>();
        int pos = start;
        while (pos < end && char.IsWhiteSpace(text[pos]))
            pos++;

        int nextForced = NextAtOrAfter(headingStarts, pos + 1);
        int previousWordEnd = -1;
        while (pos < end)
        {
            int unitStart = pos;
            if (ScriptDetector.IsCjk(text, pos, fromEnd: false))
            {
                pos += ElementLength(text, pos, end);
            }
            else
            {
                // A run of other non-space characters, stopping before a CJK character, after a CJK sentence end (and
                // its closing brackets), and at a heading start.
                while (pos < end && pos != nextForced && !char.IsWhiteSpace(text[pos])
                       && (pos == unitStart || !ScriptDetector.IsCjk(text, pos, fromEnd: false)))
                {
                    char c = text[pos];
                    pos += ElementLength(text, pos, end);
                    if (IsCjkSentenceEnd(c))
                    {
                        while (pos < end && pos != nextForced && Closers.Contains(text[pos], StringComparison.Ordinal))
                            pos++;
                        break;
                    }
                }
            }
            int wordEnd = pos;
            while (pos < end && pos != nextForced && char.IsWhiteSpace(text[pos]))
                pos++;
            if (nextForced >= 0 && nextForced <= pos)
                nextForced = NextAtOrAfter(headingStarts, pos + 1);

            Boundary before = units.Count == 0
                ? Boundary.Paragraph
                : Rate(text, units[^1].Start, previousWordEnd, unitStart, headingStarts, headingEnds);
            units.Add(new Unit(unitStart, pos, 0, before));
            previousWordEnd = wordEnd;
        }
        return units;
    }

    /// <summary>Rates the boundary before the unit at <paramref name="next"/>; the previous word is <c>[wordStart, wordEnd)</c>.</summary>
    private static Boundary Rate(string text, int wordStart, int wordEnd, int next, int[] headingStarts, int[] headingEnds)
    {
        if (Array.BinarySearch(headingStarts, next) >= 0)
            return Boundary.Heading;
        if (Array.BinarySearch(headingEnds, wordEnd) >= 0)
            return Boundary.Char; // right after a heading's title: keep the heading with its text

        ReadOnlySpan<char> gap = text.AsSpan(wordEnd, next - wordEnd);
        int firstNewline = gap.IndexOf('\n');
        if (firstNewline >= 0 && gap[(firstNewline + 1)..].IndexOf('\n') >= 0)
            return Boundary.Paragraph;
        if (EndsSentence(text, wordStart, wordEnd, next, gap.Length > 0))
            return Boundary.Sentence;
        if (firstNewline >= 0)
            return Boundary.Line;
        return gap.Length > 0 ? Boundary.Word : Boundary.Char;
    }

    private static bool IsCjkSentenceEnd(char c) => c is '。' or '！' or '？' or '．' or '｡';

    /// <summary>
    /// Whether the word <c>[wordStart, wordEnd)</c> ends a sentence, given what follows at <paramref name="next"/>.
    /// English: <c>. ? !</c> (before closing quotes or brackets) followed by whitespace, except after an abbreviation
    /// ("e.g.", "Dr."), an initial ("J."), a list number ("3.") or before a lower-case word. Japanese: <c>。！？．</c>
    /// with or without whitespace.
    /// </summary>
    private static bool EndsSentence(string text, int wordStart, int wordEnd, int next, bool whitespace)
    {
        int last = wordEnd - 1;
        while (last >= wordStart && Closers.Contains(text[last], StringComparison.Ordinal))
            last--;
        if (last < wordStart)
            return false;
        char c = text[last];
        if (IsCjkSentenceEnd(c))
            return true;
        bool nextIsCjk = ScriptDetector.IsCjk(text, next, fromEnd: false);
        if (c is '?' or '!' or '…')
            return whitespace || nextIsCjk;
        if (c != '.' || !whitespace)
            return false;

        ReadOnlySpan<char> word = text.AsSpan(wordStart, last + 1 - wordStart);
        if (AbbreviationLookup.Contains(word.TrimStart("(\"'“‘[")))
            return false;
        if (IsDottedLetters(word.TrimStart("(\"'“‘[")))
            return false; // "J.", "e.g.", "U.S.", "a.m."
        if (word[..^1].IndexOfAnyExceptInRange('0', '9') < 0)
            return false; // "3." numbers a list item
        if (char.IsLower(text[next]))
            return false;
        return true;
    }

    /// <summary>Single letters each followed by a dot: "J.", "e.g.", "U.S.A.".</summary>
    private static bool IsDottedLetters(ReadOnlySpan<char> word)
    {
        if (word.Length < 2 || word.Length % 2 != 0)
            return false;
        for (int i = 0; i < word.Length; i += 2)
        {
            if (!char.IsLetter(word[i]) || word[i + 1] != '.')
                return false;
        }
        return true;
    }

    /// <summary>The length of the grapheme cluster at <paramref name="pos"/>, cut at <paramref name="end"/>.</summary>
    private static int ElementLength(string text, int pos, int end)
    {
        int n = StringInfo.GetNextTextElementLength(text.AsSpan(pos, end - pos));
        return Math.Max(n, 1);
    }

    private static int NextAtOrAfter(int[] sorted, int value)
    {
        int i = Array.BinarySearch(sorted, value);
        if (i < 0)
            i = ~i;
        return i < sorted.Length ? sorted[i] : -1;
    }
}
