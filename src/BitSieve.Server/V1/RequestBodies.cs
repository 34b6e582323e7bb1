using System.Text.Json;
using System.Text.Json.Nodes;

namespace BitSieve.Server.V1.Requests;

// The /v1 request bodies as contracts, for the OpenAPI document's request schemas; the handlers read bodies with
// AddDocumentsRequest.Parse and TextSearchRequest.Parse, which name the wrong field in their errors.

/// <summary><c>POST /v1/collections/{collection}/documents</c>.</summary>
internal sealed record AddDocumentsRequest(IReadOnlyList<DocumentText> Documents);

/// <summary>
/// One document: a path-like name, its <c>text</c> or its file's bytes in <c>content_base64</c> (one of the two), and
/// <c>format</c> text (default), markdown, html or pdf (a pdf only as <c>content_base64</c>).
/// </summary>
internal sealed record DocumentText(string Source)
{
    public string? Text { get; init; }

    public string? ContentBase64 { get; init; }

    public string? Format { get; init; }
}

/// <summary><c>PUT /v1/collections/{collection}</c>: a text collection for <c>model</c> (default: the server's).</summary>
internal sealed record CreateCollectionRequest
{
    public string? Model { get; init; }
}

/// <summary><c>POST /v1/collections/{collection}/search</c>.</summary>
internal sealed record TextSearchRequest(string Query)
{
    /// <summary>How many passages (default 5).</summary>
    public int? K { get; init; }

    /// <summary>hybrid (default), vector or lexical.</summary>
    public string? Mode { get; init; }

    /// <summary>"exact" or a recall target such as 0.995.</summary>
    public JsonElement? Quality { get; init; }

    public JsonObject? Filter { get; init; }
}

/// <summary><c>POST /v1/collections/{collection}/ask</c>.</summary>
internal sealed record AskRequest(string Question)
{
    /// <summary>How many passages to find and answer from (default 5, at most 50).</summary>
    public int? Limit { get; init; }

    /// <summary>hybrid (default), vector or lexical.</summary>
    public string? Mode { get; init; }

    /// <summary>"exact" or a recall target such as 0.995.</summary>
    public JsonElement? Quality { get; init; }

    public JsonObject? Filter { get; init; }

    /// <summary>Answer with server-sent events (as <c>Accept: text/event-stream</c> does).</summary>
    public bool? Stream { get; init; }
}
