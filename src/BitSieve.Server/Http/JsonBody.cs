using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Http;

/// <summary>Reads a request body as one JSON document, turning syntax errors into 400s that say where they are.</summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 192, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>
    /// Parses the body. An empty body reads as <c>{}</c> when <paramref name="emptyIsEmptyObject"/> (requests whose
    /// fields are all optional), else it is a 400. A body over the size limit surfaces as Kestrel's 413.
    /// </summary>
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, bool emptyIsEmptyObject = true)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0 || IsWhitespace(buffer))
        {
            if (emptyIsEmptyObject) return JsonDocument.Parse("{}");
            throw ApiException.Format("the request needs a JSON body");
        }
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        // The parser checks UTF-8 only outside strings; a string's bytes are transcoded (and found invalid) when read.
        if (InvalidUtf8At(bytes.Span) is { } at)
            throw ApiException.Format($"the body is not valid UTF-8 (byte {at + 1}); JSON text must be UTF-8");
        try
        {
            var document = JsonDocument.Parse(bytes, Options);
            if (HasSurrogateEscape(bytes.Span))
            {
                try
                {
                    CheckStrings(document.RootElement, "");
                }
                catch
                {
                    document.Dispose();
                    throw;
                }
            }
            return document;
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            throw ApiException.Format($"{message.TrimEnd('.')} at line {(e.LineNumber ?? 0) + 1} column {(e.BytePositionInLine ?? 0) + 1}");
        }
    }

    /// <summary>Whether the text holds an escape of a UTF-16 surrogate (<c>\uD800</c>–<c>\uDFFF</c>), which may be unpaired.</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> bytes)
    {
        for (int found = bytes.IndexOf("\\u"u8); found >= 0; found = bytes.IndexOf("\\u"u8))
        {
            bytes = bytes[(found + 2)..];
            if (bytes.Length >= 2 && (bytes[0] | 0x20) == 'd' && (bytes[1] | 0x20) is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')) return true;
        }
        return false;
    }

    /// <summary>
    /// Reads every string and property name, so that an unpaired surrogate escape (<c>"\uD800"</c>, which no UTF-8 text
    /// can hold) is a 400 naming where it is, not a failure wherever a handler happens to read it.
    /// </summary>
    private static void CheckStrings(JsonElement element, string path)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
                case JsonValueKind.Array:
                    int i = 0;
                    foreach (var item in element.EnumerateArray()) CheckStrings(item, $"{path}[{i++}]");
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject()) CheckStrings(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                    break;
            }
        }
        catch (InvalidOperationException)
        {
            throw ApiException.Format($"{(path.Length == 0 ? "the body" : $"`{path}`")}: a string holds an unpaired UTF-16 surrogate escape (such as \\uD800), which is not a character");
        }
    }

    /// <summary>The offset of the first byte that is not part of a valid UTF-8 sequence, or null.</summary>
    private static int? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        int at = 0;
        while (System.Text.Rune.DecodeFromUtf8(bytes[at..], out _, out int consumed) == System.Buffers.OperationStatus.Done) at += consumed;
        return at;
    }

    private static bool IsWhitespace(MemoryStream buffer)
    {
        foreach (byte b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }
}
