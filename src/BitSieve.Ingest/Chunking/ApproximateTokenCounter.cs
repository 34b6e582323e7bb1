using System.Globalization;
using System.Text;
using BitSieve.Text;

namespace BitSieve.Ingest.Chunking;

/// <summary>
/// A tokenizer-free estimate of how many tokens a BERT-style WordPiece tokenizer (such as MiniLM's) makes of a text:
/// each CJK character is one token, each punctuation or symbol character is one token, and each run of other letters
/// and digits is one token per started 8 characters ("install" 1, "configuration" 2).
/// </summary>
/// <remarks>
/// It errs low on unusual strings (hashes, base64), where WordPiece falls back to many short pieces; plug the real
/// tokenizer into <see cref="ChunkerOptions.TokenCounter"/> once it is available.
/// </remarks>
public static class ApproximateTokenCounter
{
    /// <summary>The estimated token count of <paramref name="text"/>, special tokens not included.</summary>
    public static int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int tokens = 0;
        int wordLength = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (ScriptDetector.IsCjk(rune))
            {
                Flush();
                tokens++;
                continue;
            }
            UnicodeCategory category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsLetterOrDigit(rune) || (wordLength > 0 && category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark))
            {
                wordLength++;
                continue;
            }
            Flush();
            if (!Rune.IsWhiteSpace(rune) && !Rune.IsControl(rune) && category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.Format))
                tokens++;
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (wordLength > 0)
                tokens += 1 + (wordLength - 1) / 8;
            wordLength = 0;
        }
    }
}
