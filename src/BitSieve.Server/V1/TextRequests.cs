using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using BitSieve.Ingest.Documents;
using BitSieve.Server.Http;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.V1;

/// <summary>
/// One document to add: its source (a path-like name), its bytes (UTF-8 text from <c>text</c>, or the file itself
/// from <c>content_base64</c>), and how to read them.
/// </summary>
public sealed record TextDocument(string Source, byte[] Content, DocumentFormat Format);

/// <summary>
/// <c>POST /v1/collections/{collection}/documents</c>: <c>{"documents":[{"source","text","format"}]}</c>, or a
/// binary file as <c>{"source","format":"pdf|html|markdown|text","content_base64"}</c>.
/// </summary>
public sealed record AddDocumentsRequest(IReadOnlyList<TextDocument> Documents)
{
    internal static AddDocumentsRequest Parse(JsonElement root, int maxDocuments, long maxDocumentBytes)
    {
        var body = new JsonFields(root, "");
        var list = body.Array("documents") ?? throw ApiException.Format("missing field `documents`");
        if (list.GetArrayLength() > maxDocuments)
            throw ApiException.Limit($"`documents` holds {list.GetArrayLength()} documents; this server accepts at most {maxDocuments} per request");
        var documents = new List<TextDocument>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var document = new JsonFields(item, $"documents[{i++}]");
            string source = document.String("source") ?? throw ApiException.Format($"missing field `{document.Child("source")}`");
            if (source.Trim().Length == 0) throw ApiException.WrongInput($"`{document.Child("source")}` is empty");
            if (!sources.Add(source)) throw ApiException.WrongInput($"the source \"{source}\" appears twice");
            var format = (document.String("format") ?? "text") switch
            {
                "text" or "txt" or "plain" => DocumentFormat.PlainText,
                "markdown" or "md" => DocumentFormat.Markdown,
                "html" => DocumentFormat.Html,
                "pdf" => DocumentFormat.Pdf,
                var other => throw ApiException.Format($"`{document.Child("format")}`: unknown format `{other}`, expected `text`, `markdown`, `html` or `pdf`"),
            };
            documents.Add(new TextDocument(source, Content(document, format, maxDocumentBytes), format));
        }
        return new AddDocumentsRequest(documents);
    }

    /// <summary>The document's bytes: <c>text</c> as UTF-8, or <c>content_base64</c> decoded; exactly one of them.</summary>
    private static byte[] Content(JsonFields document, DocumentFormat format, long maxDocumentBytes)
    {
        string? text = document.String("text");
        string? base64 = document.String("content_base64");
        if (text is not null && base64 is not null)
            throw ApiException.Format($"`{document.Child("text")}` and `{document.Child("content_base64")}` are both given; send one");
        if (text is null && base64 is null)
            throw ApiException.Format($"missing field `{document.Child("text")}` (or `{document.Child("content_base64")}` for a file's bytes)");
        if (text is not null)
        {
            if (format == DocumentFormat.Pdf)
                throw ApiException.Format($"`{document.Child("format")}`: a pdf is binary, send its bytes as `{document.Child("content_base64")}`, not as `text`");
            if (text.Trim().Length == 0) throw ApiException.WrongInput($"`{document.Child("text")}` is empty");
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            if (utf8.Length > maxDocumentBytes) throw TooLarge(document.Child("text"), utf8.Length, maxDocumentBytes);
            return utf8;
        }
        // Base64 holds 3 bytes in every 4 characters, less its padding: the size is known before decoding anything.
        long decodedBytes = base64!.Length / 4 * 3L - (base64.EndsWith("==", StringComparison.Ordinal) ? 2 : base64.EndsWith('=') ? 1 : 0);
        if (decodedBytes > maxDocumentBytes) throw TooLarge(document.Child("content_base64"), decodedBytes, maxDocumentBytes);
        byte[] content = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        if (!Convert.TryFromBase64String(base64, content, out int written))
            throw ApiException.Format($"`{document.Child("content_base64")}` is not valid base64");
        if (written == 0) throw ApiException.WrongInput($"`{document.Child("content_base64")}` is empty");
        return content.AsSpan(0, written).ToArray();
    }

    private static ApiException TooLarge(string field, long bytes, long maxDocumentBytes) => new(StatusCodes.Status413PayloadTooLarge,
        $"Payload too large: `{field}` holds {bytes} bytes, over this server's limit of {maxDocumentBytes} bytes per document");
}

/// <summary>How a text question is matched.</summary>
public enum TextSearchMode
{
    /// <summary>The question's embedding, through the cascade.</summary>
    Vector,

    /// <summary>BM25 over the chunks' text.</summary>
    Lexical,

    /// <summary>Both, fused by each list's confidence in the query (the default; <c>Collection.SearchHybrid</c>).</summary>
    Hybrid,
}

/// <summary><c>POST /v1/collections/{collection}/search</c>: <c>{"query","k","mode","quality","filter"}</c>.</summary>
public sealed record TextSearchRequest(string Query, int K, TextSearchMode Mode, Quality Quality, Filter? Filter)
{
    internal static TextSearchRequest Parse(JsonElement root, int maxK)
    {
        var body = new JsonFields(root, "");
        string query = body.String("query") ?? throw ApiException.Format("missing field `query`");
        if (query.Trim().Length == 0) throw ApiException.WrongInput("`query` is empty");
        int k = body.Count("k") ?? 5;
        if (k < 1) throw ApiException.Validation("k", "value 0 invalid, must be 1 or larger");
        if (k > maxK) throw ApiException.Limit($"`k` {k} is larger than this server's maximum of {maxK}");
        return new TextSearchRequest(query, k, ParseMode(body), ParseQuality(body), body.Filter("filter"));
    }

    /// <summary><c>mode</c>: hybrid (default), vector or lexical.</summary>
    internal static TextSearchMode ParseMode(JsonFields body) => (body.String("mode") ?? "hybrid") switch
    {
        "vector" => TextSearchMode.Vector,
        "lexical" => TextSearchMode.Lexical,
        "hybrid" => TextSearchMode.Hybrid,
        var other => throw ApiException.Format($"`mode`: unknown mode `{other}`, expected `vector`, `lexical` or `hybrid`"),
    };

    /// <summary><c>quality</c>: "exact" or a recall target in (0, 1); the default when absent.</summary>
    internal static Quality ParseQuality(JsonFields body)
    {
        if (!body.TryGet("quality", out var q)) return Quality.Default;
        return q.ValueKind switch
        {
            JsonValueKind.String when q.GetString() == "exact" => Quality.Exact,
            JsonValueKind.Number when q.TryGetDouble(out double target) && target is > 0 and < 1 => Quality.Recall(target),
            _ => throw ApiException.Format($"`quality`: expected \"exact\" or a recall target in (0, 1) such as 0.995, got {JsonValues.Describe(q)}"),
        };
    }
}

/// <summary>
/// <c>POST /v1/collections/{collection}/ask</c>: <c>{"question","limit","mode","quality","filter","stream"}</c>;
/// <c>limit</c> is the passages searched for and given to the answerer (default 5, at most 50).
/// </summary>
public sealed record AskRequest(string Question, int Limit, TextSearchMode Mode, Quality Quality, Filter? Filter, bool Stream)
{
    /// <summary>The most passages one question may be answered from.</summary>
    public const int MaxLimit = 50;

    internal static AskRequest Parse(JsonElement root)
    {
        var body = new JsonFields(root, "");
        string question = body.String("question") ?? throw ApiException.Format("missing field `question`");
        if (question.Trim().Length == 0) throw ApiException.WrongInput("`question` is empty");
        int limit = body.Count("limit") ?? 5;
        if (limit < 1) throw ApiException.Validation("limit", "value 0 invalid, must be 1 or larger");
        if (limit > MaxLimit) throw ApiException.Limit($"`limit` {limit} is larger than the maximum of {MaxLimit} passages per question");
        return new AskRequest(question, limit, TextSearchRequest.ParseMode(body), TextSearchRequest.ParseQuality(body), body.Filter("filter"), body.Bool("stream") ?? false);
    }
}
