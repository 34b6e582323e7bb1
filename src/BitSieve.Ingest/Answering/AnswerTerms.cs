using System.Globalization;
using System.Text;
using BitSieve.Text;

namespace BitSieve.Ingest.Answering;

/// <summary>A term of a text and where it stands: <c>text[Start..(Start + Length)]</c>.</summary>
internal readonly record struct TermSpan(string Term, int Start, int Length);

/// <summary>
/// The terms the extractive answerer matches a question with, and where they stand in a text: a run of letters and
/// digits outside the CJK scripts is one lower-cased, lightly stemmed word (<c>installing</c>, <c>installed</c> and
/// <c>installs</c> are <c>install</c>); a run of CJK characters is its overlapping character bigrams (a run of one
/// character, that character), as the lexical index splits it. Full-width ASCII letters and digits count as ASCII.
/// </summary>
internal static class AnswerTerms
{
    /// <summary>Words too common to say what a question is about (they match almost every sentence).</summary>
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have", "how", "i", "if",
        "in", "is", "it", "its", "me", "my", "of", "on", "or", "should", "so", "that", "the", "their", "there", "this", "to", "was",
        "we", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    };

    /// <summary>
    /// The distinct terms of a question that say what it is about: its words, and its CJK bigrams without Hiragana.
    /// Japanese writes particles and inflections (の, は, ですか) in Hiragana, so a bigram with a Hiragana character
    /// mostly spans a word's edge (書の, 限は); bigrams of Kanji and Katakana are the content words (証明, 期限).
    /// </summary>
    public static HashSet<string> OfQuestion(string question)
    {
        var terms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var span in Tokenize(question))
        {
            if (!HasHiragana(span.Term)) terms.Add(span.Term);
        }
        return terms;
    }

    /// <summary>The terms of <paramref name="text"/> in order, with their positions; English stop words are left out.</summary>
    public static List<TermSpan> Tokenize(string text)
    {
        var spans = new List<TermSpan>();
        int i = 0;
        while (i < text.Length)
        {
            Rune rune = Rune.GetRuneAt(text, i);
            if (ScriptDetector.IsCjk(rune))
            {
                // A CJK run: the positions of its characters, then a bigram at each (or the one character).
                var starts = new List<int>();
                while (i < text.Length && Rune.TryGetRuneAt(text, i, out Rune r) && ScriptDetector.IsCjk(r))
                {
                    starts.Add(i);
                    i += r.Utf16SequenceLength;
                }
                starts.Add(i);
                if (starts.Count == 2) spans.Add(new TermSpan(text[starts[0]..i], starts[0], i - starts[0]));
                for (int c = 0; c + 2 < starts.Count; c++)
                    spans.Add(new TermSpan(text[starts[c]..starts[c + 2]], starts[c], starts[c + 2] - starts[c]));
                continue;
            }
            if (IsWordRune(rune))
            {
                int start = i;
                var word = new StringBuilder();
                while (i < text.Length && Rune.TryGetRuneAt(text, i, out Rune r) && !ScriptDetector.IsCjk(r) && IsWordRune(r))
                {
                    // Full-width ASCII (Ｔ, ３) reads as ASCII.
                    Rune folded = r.Value is >= 0xFF01 and <= 0xFF5E ? new Rune(r.Value - 0xFEE0) : r;
                    word.Append(Rune.ToLowerInvariant(folded).ToString());
                    i += r.Utf16SequenceLength;
                }
                string lower = word.ToString();
                if (!StopWords.Contains(lower)) spans.Add(new TermSpan(Stem(lower), start, i - start));
                continue;
            }
            i += rune.Utf16SequenceLength;
        }
        return spans;
    }

    private static bool IsWordRune(Rune rune) =>
        Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static bool HasHiragana(string term)
    {
        foreach (char c in term)
        {
            if (c is >= '\u3041' and <= '\u309F') return true;
        }
        return false;
    }

    /// <summary>
    /// A light English stemmer, enough to match a question's word with its inflections: strips <c>-ing</c>,
    /// <c>-ed</c>, <c>-es</c>, <c>-s</c> (keeping at least three letters), then a final <c>e</c>, and reads a final
    /// <c>y</c> as <c>i</c> (<c>verify</c>, <c>verified</c>, <c>verifies</c> → <c>verifi</c>).
    /// </summary>
    internal static string Stem(string word)
    {
        if (word.Length <= 3 || !word.All(char.IsAsciiLetterLower)) return word;
        string stem = word;
        foreach (string suffix in (ReadOnlySpan<string>)["ing", "ed", "es", "s"])
        {
            if (stem.EndsWith(suffix, StringComparison.Ordinal) && stem.Length - suffix.Length >= 3 && !stem.EndsWith("ss", StringComparison.Ordinal))
            {
                stem = stem[..^suffix.Length];
                break;
            }
        }
        if (stem.Length > 3 && stem[^1] == 'e') stem = stem[..^1];
        if (stem.Length > 2 && stem[^1] == 'y') stem = stem[..^1] + "i";
        return stem;
    }
}
