using System.Text.Json;
using BitSieve.Ingest.Documents;
using BitSieve.Server.Http;

namespace BitSieve.Server.V1;

/// <summary>One document to add: its source (a path-like name), its text, and how to read it.</summary>
public sealed record TextDocument(string Source, string Text, DocumentFormat Format);

/// <summary><c>POST /v1/collections/{collection}/documents</c>: <c>{"documents":[{"source","text","format"}]}</c>.</summary>
public sealed record AddDocumentsRequest(IReadOnlyList<TextDocument> Documents)
{
    internal static AddDocumentsRequest Parse(JsonElement root, int maxDocuments)
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
            string text = document.String("text") ?? throw ApiException.Format($"missing field `{document.Child("text")}`");
            if (text.Trim().Length == 0) throw ApiException.WrongInput($"`{document.Child("text")}` is empty");
            var format = (document.String("format") ?? "text") switch
            {
                "text" or "txt" or "plain" => DocumentFormat.PlainText,
                "markdown" or "md" => DocumentFormat.Markdown,
                "html" => DocumentFormat.Html,
                var other => throw ApiException.Format($"`{document.Child("format")}`: unknown format `{other}`, expected `text`, `markdown` or `html`"),
            };
            documents.Add(new TextDocument(source, text, format));
        }
        return new AddDocumentsRequest(documents);
    }
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
