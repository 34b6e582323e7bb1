namespace BitSieve.Text;

/// <summary>
/// Harman's S-stemmer (Harman, 1991, "How effective is suffixing?"), the light English stemming of the lexical index:
/// it removes plural endings only, so that most words and their plurals are one term (packages = package, libraries =
/// library; not processes, which becomes "processe") and nothing else is conflated (install ≠ installed ≠
/// installation). It is the stemming of the textbook BM25 that the lexical search is measured against.
/// </summary>
internal static class SStemmer
{
    /// <summary>
    /// The stem of a lower-case word: the first of these rules that applies, or the word itself: "ies" → "y" (not
    /// "eies", "aies"); "es" → "e" (not "aes", "ees", "oes"); "s" → "" (not "us", "ss"). The "ies" and "es" rules need
    /// a word of four letters or more, the "s" rule three.
    /// </summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 3 && word.EndsWith("ies", StringComparison.Ordinal) && !EndsWithAny(word, "eies", "aies"))
            return word[..^3] + "y";
        if (word.Length > 3 && word.EndsWith("es", StringComparison.Ordinal) && !EndsWithAny(word, "aes", "ees", "oes"))
            return word[..^1];
        if (word.Length > 2 && word.EndsWith('s') && !EndsWithAny(word, "us", "ss"))
            return word[..^1];
        return word;
    }

    private static bool EndsWithAny(string word, params ReadOnlySpan<string> endings)
    {
        foreach (string ending in endings)
            if (word.EndsWith(ending, StringComparison.Ordinal)) return true;
        return false;
    }
}
