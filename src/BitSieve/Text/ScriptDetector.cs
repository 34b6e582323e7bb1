using System.Text;

namespace BitSieve.Text;

/// <summary>
/// Which characters are CJK (Han, Hiragana, Katakana, Hangul, Bopomofo): the scripts written without spaces between
/// words, which the lexical index splits into character bigrams and for which an English-trained embedder is weak.
/// </summary>
internal static class ScriptDetector
{
    /// <summary>Whether a code point is CJK: an ideograph, a kana, a Hangul letter or jamo, or an iteration/prolonged-sound mark.</summary>
    public static bool IsCjk(Rune rune)
    {
        int c = rune.Value;
        return c switch
        {
            >= 0x1100 and <= 0x11FF => true,   // Hangul Jamo
            >= 0x2E80 and <= 0x2FDF => true,   // CJK radicals, Kangxi radicals
            0x3005 or 0x3006 or 0x3007 => true, // 々 〆 〇
            >= 0x3021 and <= 0x3029 => true,   // Hangzhou numerals
            0x303B or 0x303C => true,          // 〻 〼
            >= 0x3041 and <= 0x3096 => true,   // Hiragana letters
            >= 0x3099 and <= 0x309F => true,   // voicing marks, ゝ ゞ ゟ
            >= 0x30A1 and <= 0x30FA => true,   // Katakana letters (not ゠ U+30A0 nor the middle dot U+30FB)
            >= 0x30FC and <= 0x30FF => true,   // ー ヽ ヾ ヿ
            >= 0x3105 and <= 0x312F => true,   // Bopomofo
            >= 0x3131 and <= 0x318E => true,   // Hangul compatibility jamo
            >= 0x31A0 and <= 0x31BF => true,   // Bopomofo extended
            >= 0x31F0 and <= 0x31FF => true,   // Katakana phonetic extensions
            >= 0x3400 and <= 0x4DBF => true,   // CJK extension A
            >= 0x4E00 and <= 0x9FFF => true,   // CJK unified ideographs
            >= 0xA960 and <= 0xA97F => true,   // Hangul Jamo extended A
            >= 0xAC00 and <= 0xD7A3 => true,   // Hangul syllables
            >= 0xD7B0 and <= 0xD7FF => true,   // Hangul Jamo extended B
            >= 0xF900 and <= 0xFAFF => true,   // CJK compatibility ideographs
            >= 0xFF66 and <= 0xFF9F => true,   // half-width Katakana
            >= 0xFFA0 and <= 0xFFDC => true,   // half-width Hangul
            >= 0x1AFF0 and <= 0x1B16F => true, // Kana extended/supplement, small kana
            >= 0x20000 and <= 0x323AF => true, // CJK extensions B–H, compatibility supplement
            _ => false,
        };
    }

    /// <summary>
    /// Whether the code point at <paramref name="index"/> is CJK; with <paramref name="fromEnd"/> the index may point at
    /// the low half of a surrogate pair.
    /// </summary>
    public static bool IsCjk(string text, int index, bool fromEnd)
    {
        if (fromEnd && index > 0 && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1]))
            index--;
        return Rune.TryGetRuneAt(text, index, out Rune r) && IsCjk(r);
    }

    /// <summary>
    /// The vector list's weight in hybrid search for a question, given the embedding model's language (a BCP 47 tag;
    /// null when the model does not say, as a multilingual one may not): 0 when the model was trained on one language
    /// that is not Chinese, Japanese or Korean and the question has any CJK character (<see cref="ContainsCjk"/>), else
    /// 1. Such a model cannot read the CJK part of the question (nor, in a CJK corpus, the passages): on the Japanese
    /// Debian Reference all-MiniLM-L6-v2 alone finds a relevant passage in the top 10 for 30 % of the questions, BM25
    /// for 99 %, and any vote it casts drags good BM25 answers down, on mixed questions (<c>sudo の設定</c>) too. At 0
    /// its hits only fill up what BM25 does not find.
    /// </summary>
    public static double HybridVectorWeight(string question, string? modelLanguage)
    {
        ArgumentNullException.ThrowIfNull(question);
        bool oneNonCjkLanguage = modelLanguage is not null && modelLanguage.Split('-')[0].ToLowerInvariant() is not ("ja" or "zh" or "ko");
        return oneNonCjkLanguage && ContainsCjk(question) ? 0 : 1;
    }

    /// <summary>Whether a text has any CJK character.</summary>
    public static bool ContainsCjk(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Rune r in text.EnumerateRunes())
        {
            if (IsCjk(r))
                return true;
        }
        return false;
    }
}
