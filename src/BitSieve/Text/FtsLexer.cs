using System.Globalization;
using System.Text;

namespace BitSieve.Text;

/// <summary>How <see cref="FtsLexer.ToMatchQuery"/> combines a query's terms.</summary>
internal enum FtsMatchMode
{
    /// <summary>Any term may match (<c>OR</c>): recall first, bm25 ranks rows with more and rarer terms higher.</summary>
    Any,

    /// <summary>Every term must match (<c>AND</c>): for a precise first pass before falling back to <see cref="Any"/>.</summary>
    All,
}

/// <summary>
/// Turns text into what an SQLite FTS5 table indexes, and a user's query into a safe MATCH expression, the same way
/// for English and Japanese (and Chinese, Korean).
/// </summary>
/// <remarks>
/// <para>The text is first folded (full-width ASCII to ASCII, half-width Katakana to full-width, ligatures expanded: see
/// <see cref="WidthFolding"/>) and split into runs:</para>
/// <list type="bullet">
/// <item>a run of letters and digits outside the CJK scripts becomes one lower-cased word, without its accents
/// (café = cafe), its plural ending removed by <see cref="SStemmer"/> (packages = package);</item>
/// <item>a run of CJK characters (Han, Hiragana, Katakana, Hangul) c1…cn becomes its overlapping bigrams c1c2 c2c3 …
/// c(n-1)cn followed by the closing entry cn + <see cref="RunEnd"/>; a run of one character is that character alone.
/// A single line break inside a run (Japanese wrapped at a fixed width, as in PDFs) does not end it.</item>
/// </list>
/// <para>Every character of a CJK run thus starts exactly one token, so the prefix query <c>"犬"*</c> matches each
/// occurrence of 犬 once (as the start of a bigram, as a run's closing entry, or as a run of its own) and its term
/// frequency stays exact; a two-character word is one bigram; a longer word is several bigrams. The terms of a text,
/// for BM25's document length, are its words, its bigrams and its one-character runs: a longer run's closing entry is
/// there for prefix queries only (see <see cref="ToIndexText(string, out int)"/>), and its mark keeps the exact term
/// <c>"犬"</c> from matching it, so that an exact one-character term finds the one-character runs only.</para>
/// <para>Tokens are separated by spaces, so FTS5's <c>unicode61</c> tokenizer keeps each as one token and changes none
/// (the table is created with <see cref="RecommendedTokenizer"/>): what the index holds is exactly what this class
/// produces, kana included (が ≠ か, tested).</para>
/// </remarks>
internal static class FtsLexer
{
    /// <summary>
    /// The FTS5 <c>tokenize</c> option to create the table with: <c>unicode61 remove_diacritics 0</c>, which splits at
    /// the spaces and changes no token (accents, case and stems are this class's).
    /// </summary>
    public const string RecommendedTokenizer = "unicode61 remove_diacritics 0";

    /// <summary>
    /// The mark (U+E000, a private-use character, which FTS5's <c>unicode61</c> keeps inside a token and which no
    /// text yields, since <see cref="Tokenize"/> treats it as a separator) after the last character of a CJK run of
    /// two or more: the entry <c>都</c> + mark is found by the prefix query <c>"都"*</c>, never by the term <c>都</c>.
    /// </summary>
    public const char RunEnd = '\uE000';

    /// <summary>The tokens of a text as the index stores them, in order.</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokens(Runs(text));
    }

    private static List<string> Tokens(List<Run> runs)
    {
        var tokens = new List<string>();
        foreach (Run run in runs)
        {
            if (!run.Cjk)
            {
                tokens.Add(run.Text);
                continue;
            }
            List<string> chars = run.Elements!;
            if (chars.Count == 1)
            {
                tokens.Add(chars[0]);
                continue;
            }
            for (int i = 0; i + 1 < chars.Count; i++)
                tokens.Add(chars[i] + chars[i + 1]);
            tokens.Add(chars[^1] + RunEnd);
        }
        return tokens;
    }

    /// <summary>The text to store in the FTS5 column: <see cref="Tokenize"/>'s tokens joined by spaces.</summary>
    public static string ToIndexText(string text) => ToIndexText(text, out _);

    /// <summary>
    /// The text to store in the FTS5 column, and how many terms the text has for BM25's document length: its words, its
    /// CJK bigrams and its one-character CJK runs, not the closing unigram of a longer run (an index entry for prefix
    /// queries, not a term of the text).
    /// </summary>
    public static string ToIndexText(string text, out int terms)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<Run> runs = Runs(text);
        int count = 0;
        foreach (Run run in runs)
            count += run.Cjk && run.Elements!.Count > 1 ? run.Elements.Count - 1 : 1;
        terms = count;
        return string.Join(' ', Tokens(runs));
    }

    /// <summary>
    /// The distinct terms of a query: words, CJK bigrams, and single CJK characters. A CJK run of one character is
    /// searched as that character, a longer run as its bigrams only. A one-character run is a term of the text like any
    /// other (it matches the texts' one-character runs, as a textbook BM25 over words and bigrams matches it) when the
    /// query has a word or a bigram; a query made only of one-character runs (<c>犬</c>, <c>犬 と 猫</c>) has nothing
    /// else to find, so its characters are matched as prefixes: every occurrence, inside longer runs too.
    /// </summary>
    public static IReadOnlyList<FtsTerm> QueryTerms(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = new List<FtsTerm>();
        var seen = new HashSet<FtsTerm>();
        List<Run> runs = Runs(query);
        bool onlySingleCharacters = runs.TrueForAll(run => run.Cjk && run.Elements!.Count == 1);
        foreach (Run run in runs)
        {
            if (!run.Cjk)
                Add(new FtsTerm(run.Text, Prefix: false));
            else if (run.Elements!.Count == 1)
                Add(new FtsTerm(run.Elements[0], Prefix: onlySingleCharacters));
            else
            {
                for (int i = 0; i + 1 < run.Elements.Count; i++)
                    Add(new FtsTerm(run.Elements[i] + run.Elements[i + 1], Prefix: false));
            }
        }
        return terms;

        void Add(FtsTerm term)
        {
            if (seen.Add(term))
                terms.Add(term);
        }
    }

    /// <summary>
    /// A MATCH expression for a user's query: every term quoted (so no FTS5 syntax from the user is ever interpreted),
    /// joined by <c>OR</c> (or <c>AND</c>). Returns the empty string when the query has no searchable character; do not
    /// run MATCH with it (FTS5 rejects an empty expression).
    /// </summary>
    public static string ToMatchQuery(string query, FtsMatchMode mode = FtsMatchMode.Any)
    {
        IReadOnlyList<FtsTerm> terms = QueryTerms(query);
        return string.Join(mode == FtsMatchMode.Any ? " OR " : " AND ", terms.Select(t => t.ToFts5()));
    }

    private readonly record struct Run(bool Cjk, string Text, List<string>? Elements);

    /// <summary>
    /// A lower-case word without its accents (café → cafe): a Latin letter with diacritics (Latin-1, Latin Extended-A and
    /// -B, Latin Extended Additional, whose canonical decomposition is an ASCII letter and marks) becomes that letter, and
    /// combining marks are dropped. A table rather than Unicode normalization, which the invariant globalization mode
    /// this project builds with does not do.
    /// </summary>
    private static string WithoutAccents(string word)
    {
        if (Ascii.IsValid(word)) return word;
        var kept = new StringBuilder(word.Length);
        foreach (char c in word)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            int accented = AccentedLetters.IndexOf(c, StringComparison.Ordinal);
            kept.Append(accented >= 0 ? BaseLetters[accented] : c);
        }
        return kept.ToString();
    }

    /// <summary>The lower-case Latin letters with diacritics that <see cref="WithoutAccents"/> folds, and their base letters.</summary>
    private const string AccentedLetters = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ";

    private const string BaseLetters = "aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy";

    /// <summary>
    /// Whether the whitespace at <paramref name="start"/> is a single line break (with indentation at most) followed by
    /// a CJK character: Japanese and Chinese text wrapped at a fixed width (PDF lines, plain text) has no word break
    /// there. <paramref name="next"/> is the position after the whitespace.
    /// </summary>
    private static bool JoinsWrappedLine(string text, int start, out int next)
    {
        int newlines = 0;
        next = start;
        while (next < text.Length && char.IsWhiteSpace(text[next]))
        {
            if (text[next] == '\n')
                newlines++;
            next++;
        }
        return newlines == 1 && next < text.Length && ScriptDetector.IsCjk(text, next, fromEnd: false);
    }

    private static List<Run> Runs(string text)
    {
        string folded = WidthFolding.Fold(text);
        var word = new StringBuilder();
        List<string>? cjk = null;
        Span<char> buffer = stackalloc char[2];
        var runs = new List<Run>();
        for (int i = 0; i < folded.Length;)
        {
            Rune.DecodeFromUtf16(folded.AsSpan(i), out Rune rune, out int length);
            if (cjk is { Count: > 0 } && Rune.IsWhiteSpace(rune) && JoinsWrappedLine(folded, i, out int next))
            {
                i = next; // Japanese hard-wrapped at a line end: the run goes on
                continue;
            }
            i += length;
            UnicodeCategory category = Rune.GetUnicodeCategory(rune);
            bool mark = category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
            if (mark && cjk is { Count: > 0 })
            {
                cjk[^1] += rune.ToString(); // a mark stays with the character it modifies
                continue;
            }
            if (ScriptDetector.IsCjk(rune))
            {
                FlushWord();
                cjk ??= [];
                cjk.Add(rune.ToString());
                continue;
            }
            if (Rune.IsLetterOrDigit(rune) || (mark && word.Length > 0))
            {
                FlushCjk();
                int n = Rune.ToLowerInvariant(rune).EncodeToUtf16(buffer);
                word.Append(buffer[..n]);
                continue;
            }
            FlushWord();
            FlushCjk();
        }
        FlushWord();
        FlushCjk();
        return runs;

        void FlushWord()
        {
            if (word.Length > 0)
            {
                runs.Add(new Run(false, SStemmer.Stem(WithoutAccents(word.ToString())), null));
                word.Clear();
            }
        }

        void FlushCjk()
        {
            if (cjk is { Count: > 0 })
            {
                runs.Add(new Run(true, "", cjk));
                cjk = null;
            }
        }
    }
}

/// <summary>One term of a lexical query.</summary>
/// <param name="Text">The token as indexed (lower case, folded).</param>
/// <param name="Prefix">Match every token that starts with <paramref name="Text"/> (used for single CJK characters).</param>
internal readonly record struct FtsTerm(string Text, bool Prefix)
{
    /// <summary>The term as an FTS5 string, quoted, with <c>*</c> for a prefix.</summary>
    public string ToFts5() => "\"" + Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (Prefix ? "*" : "");
}
