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
        buffer.Position = 0;
        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), Options);
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            throw ApiException.Format($"{message.TrimEnd('.')} at line {(e.LineNumber ?? 0) + 1} column {(e.BytePositionInLine ?? 0) + 1}");
        }
    }

    private static bool IsWhitespace(MemoryStream buffer)
    {
        foreach (byte b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }
}
