using System.Buffers;
using System.Text;
using System.Text.Unicode;
using BitSieve.Ingest.Documents;

namespace BitSieve.Ingest.Loading;

/// <summary>
/// Strict decoding of text files: UTF-8 with or without a byte-order mark, UTF-16 only with one. Nothing is guessed and
/// nothing is replaced: bytes that do not decode skip the file with the offset of the first bad byte, since indexing
/// U+FFFD would make the text unsearchable without telling anyone.
/// </summary>
internal static class TextDecoding
{
    /// <summary>Decodes <paramref name="bytes"/> and normalizes line endings to <c>\n</c>; null and a reason on failure.</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes, out SkipReason? problem, string? declaredCharset = null)
    {
        problem = null;
        if (bytes.IsEmpty)
        {
            problem = new SkipReason(SkipKind.Empty, "the file is empty");
            return null;
        }

        string text;
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            bool bigEndian = bytes[0] == 0xFE;
            var utf16 = new UnicodeEncoding(bigEndian, byteOrderMark: false, throwOnInvalidBytes: true);
            try
            {
                text = utf16.GetString(bytes[2..]);
            }
            catch (DecoderFallbackException e)
            {
                problem = new SkipReason(SkipKind.Undecodable,
                    $"the file starts with a UTF-16 {(bigEndian ? "BE" : "LE")} byte-order mark but is not valid UTF-16 ({e.Message})");
                return null;
            }
        }
        else
        {
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                bytes = bytes[3..];

            int nul = bytes.IndexOf((byte)0);
            if (nul >= 0)
            {
                problem = new SkipReason(SkipKind.Binary, $"NUL byte at offset {nul}: a binary file, not text");
                return null;
            }

            char[] buffer = ArrayPool<char>.Shared.Rent(bytes.Length);
            try
            {
                OperationStatus status = Utf8.ToUtf16(bytes, buffer, out int bytesRead, out int charsWritten,
                    replaceInvalidSequences: false, isFinalBlock: true);
                if (status != OperationStatus.Done)
                {
                    string hint = declaredCharset is not null && !IsUtf8Name(declaredCharset)
                        ? $"; the file declares charset '{declaredCharset}', which is not supported (only UTF-8 and UTF-16 with a byte-order mark)"
                        : "; only UTF-8 and UTF-16 with a byte-order mark are supported (is it Shift_JIS, EUC-JP or Latin-1?)";
                    problem = new SkipReason(SkipKind.Undecodable,
                        $"invalid UTF-8 at byte offset {bytesRead} (0x{bytes[bytesRead]:X2}){hint}");
                    return null;
                }
                text = new string(buffer, 0, charsWritten);
            }
            finally
            {
                ArrayPool<char>.Shared.Return(buffer);
            }
        }

        text = NormalizeLineEndings(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = new SkipReason(SkipKind.Empty, "the file contains only whitespace");
            return null;
        }
        return text;
    }

    /// <summary>Replaces <c>\r\n</c> and lone <c>\r</c> with <c>\n</c>.</summary>
    public static string NormalizeLineEndings(string text)
    {
        if (!text.Contains('\r', StringComparison.Ordinal))
            return text;
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
    }

    private static bool IsUtf8Name(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
