using System.Globalization;
using System.Text;

namespace BitSieve.Cli.Tests.Retrieval;

/// <summary>
/// A textbook Okapi BM25 (Robertson and Zaragoza, 2009), written independently of SQLite FTS5 to be the bar the lexical
/// search must reach: for a query q and a document d,
/// <c>score(d, q) = Σ_{t ∈ q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))</c>, with
/// <c>idf(t) = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))</c> (the non-negative form), k1 = 1.2, b = 0.75, the sum over the
/// query's distinct terms.
/// </summary>
/// <remarks>
/// Terms (<see cref="Terms"/>): the text is NFKC-normalized and lower-cased; a run of letters and digits outside the
/// CJK scripts is a word, lightly stemmed by the S-stemmer (Harman, 1991: "ies" → "y", "es" → "e", "s" → "", with its
/// exceptions); a run of Han, kana or Hangul characters gives its overlapping character bigrams, a run of one character
/// that character. No stop words.
/// </remarks>
internal sealed class Bm25Reference
{
    /// <summary>Term-frequency saturation.</summary>
    public const double K1 = 1.2;

    /// <summary>Length normalization.</summary>
    public const double B = 0.75;

    private readonly List<Dictionary<string, int>> _documents = [];
    private readonly List<int> _lengths = [];
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);

    /// <summary>Documents added.</summary>
    public int Count => _documents.Count;

    /// <summary>Adds a document; its number is the order of addition (from 0).</summary>
    public void Add(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var terms = Terms(text);
        foreach (string term in terms) counts[term] = counts.GetValueOrDefault(term) + 1;
        foreach (string term in counts.Keys) _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
        _documents.Add(counts);
        _lengths.Add(terms.Count);
    }

    /// <summary>idf(t) = ln(1 + (N − n + 0.5) / (n + 0.5)).</summary>
    public double Idf(string term)
    {
        int n = _documentFrequency.GetValueOrDefault(term);
        return Math.Log(1 + (Count - n + 0.5) / (n + 0.5));
    }

    /// <summary>The BM25 score of document <paramref name="document"/> for a query.</summary>
    public double Score(int document, string query) => Score(document, Terms(query).Distinct(StringComparer.Ordinal).ToList(), AverageLength());

    /// <summary>The best <paramref name="k"/> documents for a query with a positive score, best first (ties: lower number first).</summary>
    public List<(int Document, double Score)> Search(string query, int k)
    {
        var terms = Terms(query).Distinct(StringComparer.Ordinal).ToList();
        double average = AverageLength();
        var scored = new List<(int, double)>();
        for (int d = 0; d < Count; d++)
        {
            double s = Score(d, terms, average);
            if (s > 0) scored.Add((d, s));
        }
        return [.. scored.OrderByDescending(x => x.Item2).ThenBy(x => x.Item1).Take(k)];
    }

    private double AverageLength() => Count == 0 ? 0 : _lengths.Average();

    private double Score(int document, List<string> terms, double averageLength)
    {
        var counts = _documents[document];
        double norm = K1 * (1 - B + B * _lengths[document] / averageLength);
        double score = 0;
        foreach (string term in terms)
        {
            if (!counts.TryGetValue(term, out int tf)) continue;
            score += Idf(term) * tf * (K1 + 1) / (tf + norm);
        }
        return score;
    }

    /// <summary>The terms of a text, in order (see the remarks).</summary>
    public static List<string> Terms(string text)
    {
        string normalized = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var terms = new List<string>();
        var word = new StringBuilder();
        var cjk = new List<string>();
        foreach (Rune rune in normalized.EnumerateRunes())
        {
            if (IsCjk(rune))
            {
                FlushWord();
                cjk.Add(rune.ToString());
            }
            else if (Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                FlushCjk();
                word.Append(rune.ToString());
            }
            else
            {
                FlushWord();
                FlushCjk();
            }
        }
        FlushWord();
        FlushCjk();
        return terms;

        void FlushWord()
        {
            if (word.Length == 0) return;
            terms.Add(SStem(word.ToString()));
            word.Clear();
        }

        void FlushCjk()
        {
            if (cjk.Count == 1) terms.Add(cjk[0]);
            for (int i = 0; i + 1 < cjk.Count; i++) terms.Add(cjk[i] + cjk[i + 1]);
            cjk.Clear();
        }
    }

    /// <summary>Harman's S-stemmer: the plural endings "ies", "es", "s" (not "aies", "eies", "oes", "ss", "us").</summary>
    public static string SStem(string word)
    {
        if (word.Length > 3 && word.EndsWith("ies", StringComparison.Ordinal) && !word.EndsWith("eies", StringComparison.Ordinal) && !word.EndsWith("aies", StringComparison.Ordinal))
            return word[..^3] + "y";
        if (word.Length > 3 && word.EndsWith("es", StringComparison.Ordinal) && !word.EndsWith("aes", StringComparison.Ordinal) && !word.EndsWith("ees", StringComparison.Ordinal) && !word.EndsWith("oes", StringComparison.Ordinal))
            return word[..^1];
        if (word.Length > 2 && word.EndsWith('s') && !word.EndsWith("us", StringComparison.Ordinal) && !word.EndsWith("ss", StringComparison.Ordinal))
            return word[..^1];
        return word;
    }

    /// <summary>Han (with 々 〆 〇), Hiragana, Katakana (with ー), Hangul: the scripts written without spaces.</summary>
    private static bool IsCjk(Rune rune) => rune.Value switch
    {
        >= 0x3005 and <= 0x3007 => true,
        >= 0x3041 and <= 0x309F => true,
        >= 0x30A1 and <= 0x30FA => true,
        >= 0x30FC and <= 0x30FF => true,
        >= 0x3400 and <= 0x4DBF => true,
        >= 0x4E00 and <= 0x9FFF => true,
        >= 0xAC00 and <= 0xD7A3 => true,
        >= 0xF900 and <= 0xFAFF => true,
        >= 0x20000 and <= 0x323AF => true,
        _ => false,
    };
}
