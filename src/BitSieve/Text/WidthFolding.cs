using System.Text;

namespace BitSieve.Text;

/// <summary>
/// The part of NFKC that matters for search in Japanese and English text, done in managed code: full-width ASCII to
/// ASCII (ＡＢＣ１２ → ABC12), the ideographic space to a space, half-width Katakana to full-width (ｶﾞｲﾄﾞ → ガイド), a
/// kana followed by a combining voicing mark composed (か + U+3099 → が), Latin ligatures expanded (ﬁ → fi, common in
/// PDF text), variation selectors dropped.
/// </summary>
/// <remarks>
/// Why not <see cref="string.Normalize(NormalizationForm)"/>: BitSieve runs with invariant globalization, where
/// normalization does nothing, and the index and the query must fold identically on every machine anyway.
/// </remarks>
internal static class WidthFolding
{
    // Half-width forms U+FF61..U+FF9F → their full-width equivalents (U+FF9E/U+FF9F → combining voicing marks).
    private static readonly char[] HalfWidthKana =
    [
        '\u3002', '\u300C', '\u300D', '\u3001', '\u30FB', '\u30F2', '\u30A1', '\u30A3', '\u30A5', '\u30A7', '\u30A9',
        '\u30E3', '\u30E5', '\u30E7', '\u30C3', '\u30FC', '\u30A2', '\u30A4', '\u30A6', '\u30A8', '\u30AA', '\u30AB',
        '\u30AD', '\u30AF', '\u30B1', '\u30B3', '\u30B5', '\u30B7', '\u30B9', '\u30BB', '\u30BD', '\u30BF', '\u30C1',
        '\u30C4', '\u30C6', '\u30C8', '\u30CA', '\u30CB', '\u30CC', '\u30CD', '\u30CE', '\u30CF', '\u30D2', '\u30D5',
        '\u30D8', '\u30DB', '\u30DE', '\u30DF', '\u30E0', '\u30E1', '\u30E2', '\u30E4', '\u30E6', '\u30E8', '\u30E9',
        '\u30EA', '\u30EB', '\u30EC', '\u30ED', '\u30EF', '\u30F3', '\u3099', '\u309A',
    ];

    /// <summary>Folds a text; returns the same instance when nothing changes.</summary>
    public static string Fold(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int i = 0;
        while (i < text.Length && !NeedsFolding(text, i))
            i++;
        if (i == text.Length)
            return text;

        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case >= '\uFF01' and <= '\uFF5E':
                    sb.Append((char)(c - 0xFEE0));
                    break;
                case '\u3000':
                    sb.Append(' ');
                    break;
                case >= '\uFF61' and <= '\uFF9F':
                    AppendComposed(sb, HalfWidthKana[c - 0xFF61]);
                    break;
                case '\u3099' or '\u309A':
                    AppendComposed(sb, c);
                    break;
                case >= '\uFB00' and <= '\uFB06':
                    sb.Append(c switch
                    {
                        '\uFB00' => "ff",
                        '\uFB01' => "fi",
                        '\uFB02' => "fl",
                        '\uFB03' => "ffi",
                        '\uFB04' => "ffl",
                        _ => "st",
                    });
                    break;
                case >= '\uFE00' and <= '\uFE0F':
                    break;
                case '\uDB40' when i + 1 < text.Length && text[i + 1] is >= '\uDD00' and <= '\uDDEF':
                    i++; // U+E0100..U+E01EF, ideographic variation selectors
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool NeedsFolding(string text, int i) => text[i] switch
    {
        >= '\uFF01' and <= '\uFF5E' => true,
        '\u3000' or '\u3099' or '\u309A' => true,
        >= '\uFF61' and <= '\uFF9F' => true,
        >= '\uFB00' and <= '\uFB06' => true,
        >= '\uFE00' and <= '\uFE0F' => true,
        '\uDB40' => i + 1 < text.Length && text[i + 1] is >= '\uDD00' and <= '\uDDEF',
        _ => false,
    };

    /// <summary>Appends <paramref name="c"/>; a combining voicing mark is merged into the kana before it where one exists.</summary>
    private static void AppendComposed(StringBuilder sb, char c)
    {
        if (c is '\u3099' or '\u309A' && sb.Length > 0 && Compose(sb[^1], semiVoiced: c == '\u309A') is char composed)
        {
            sb[^1] = composed;
            return;
        }
        sb.Append(c);
    }

    private static char? Compose(char kana, bool semiVoiced)
    {
        // Katakana sit 0x60 above the Hiragana they mirror, with the same voicing pattern.
        int k = kana;
        int offset = k is >= 0x30A1 and <= 0x30F6 ? 0x60 : 0;
        int h = k - offset;
        if (semiVoiced)
            return h is 0x306F or 0x3072 or 0x3075 or 0x3078 or 0x307B ? (char)(k + 2) : null;
        if (h is 0x304B or 0x304D or 0x304F or 0x3051 or 0x3053 or 0x3055 or 0x3057 or 0x3059 or 0x305B or 0x305D
            or 0x305F or 0x3061 or 0x3064 or 0x3066 or 0x3068 or 0x306F or 0x3072 or 0x3075 or 0x3078 or 0x307B)
            return (char)(k + 1);
        return k switch
        {
            0x3046 => '\u3094', // う → ゔ
            0x30A6 => '\u30F4', // ウ → ヴ
            0x30EF => '\u30F7', // ワ → ヷ
            0x30F0 => '\u30F8', // ヰ → ヸ
            0x30F1 => '\u30F9', // ヱ → ヹ
            0x30F2 => '\u30FA', // ヲ → ヺ
            0x309D => '\u309E', // ゝ → ゞ
            0x30FD => '\u30FE', // ヽ → ヾ
            _ => null,
        };
    }
}
