using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BitSieve.Ingest.Rag;

namespace BitSieve.Server.V1;

/// <summary><c>GET /v1/collections</c>.</summary>
internal sealed record CollectionList(IReadOnlyList<CollectionSummary> Collections);

/// <summary>A collection's size, shape and model.</summary>
/// <param name="Name">The collection's name.</param>
/// <param name="Count">Live points (chunks).</param>
/// <param name="Dimension">Vector dimension.</param>
/// <param name="Metric">cosine, dot or euclidean.</param>
/// <param name="Bits">Bits per dimension of the middle tier (4 or 8).</param>
/// <param name="Model">The embedding model that fills it, or null for a collection not filled by text.</param>
/// <param name="TextIndex">Whether it has a BM25 index (lexical and hybrid search).</param>
internal sealed record CollectionSummary(string Name, long Count, int Dimension, string Metric, int Bits, string? Model, bool TextIndex)
{
    public static CollectionSummary From(Collection collection)
    {
        var info = collection.Info();
        return new(info.Name, info.Count, info.Options.Dimension, info.Options.Metric.ToString().ToLowerInvariant(), info.Options.Bits,
            collection.GetProperty(Ingest.Pipeline.FolderIndexer.ModelProperty), info.PayloadIndexes.Values.Contains("text"));
    }
}

/// <summary><c>GET /v1/collections/{collection}</c>: the engine's description (as <c>bitsieve info --json</c> prints it) and the model.</summary>
internal sealed record CollectionDetail(JsonElement Info, string? Model);

/// <summary><c>DELETE /v1/collections/{collection}</c>: false when there was no such collection.</summary>
internal sealed record CollectionDeleted(bool Deleted);

/// <summary><c>POST /v1/collections/{collection}/documents</c>: what was added.</summary>
internal sealed record DocumentsAdded(string Collection, string Model, int Chunks, IReadOnlyList<DocumentChunks> Documents, double Seconds);

/// <summary>One added document and its chunk count.</summary>
internal sealed record DocumentChunks(string Source, int Chunks);

/// <summary><c>GET /v1/collections/{collection}/documents</c>.</summary>
internal sealed record DocumentList(IReadOnlyList<DocumentSummary> Documents);

/// <summary>A document (source) of a collection: its content hash (null when unknown) and chunk count.</summary>
internal sealed record DocumentSummary(string Source, string? Hash, int Chunks);

/// <summary><c>DELETE /v1/collections/{collection}/documents?source=…</c>.</summary>
internal sealed record DocumentDeleted(string Source, int ChunksDeleted);

/// <summary><c>POST /v1/collections/{collection}/search</c>: the passages, and what each tier of the cascade did.</summary>
/// <param name="Query">The question.</param>
/// <param name="Mode">hybrid, vector or lexical.</param>
/// <param name="Model">The embedding model, or null for a lexical search.</param>
/// <param name="Results">The passages, best first.</param>
/// <param name="Trace">Per tier: points seen, kept, microseconds.</param>
internal sealed record TextSearchResponse(string Query, string Mode, string? Model, IReadOnlyList<Passage> Results, JsonElement Trace);

/// <summary>
/// A search result: a chunk (<see cref="ChunkPassage"/>: source, offsets, headings, page, text) for points the indexer
/// wrote, else the point's whole payload (<see cref="PayloadPassage"/>).
/// </summary>
[JsonDerivedType(typeof(ChunkPassage))]
[JsonDerivedType(typeof(PayloadPassage))]
internal abstract record Passage([property: JsonPropertyOrder(-2)] PointId Id, [property: JsonPropertyOrder(-1)] float Score)
{
    /// <summary>The passage of a hit: a chunk when its payload is one (<see cref="ChunkPayload.Read"/>), else the whole payload.</summary>
    public static Passage From(ScoredPoint hit) => ChunkPayload.Read(hit.Payload) is { } chunk
        ? new ChunkPassage(hit.Id, hit.Score, chunk.Source, chunk.Start, chunk.End, chunk.Page, chunk.Headings, chunk.Text)
        : new PayloadPassage(hit.Id, hit.Score, hit.Payload ?? []);
}

/// <summary>
/// A chunk written by the indexer (<c>bitsieve index</c> or <c>/v1/…/documents</c>): <c>source</c>,
/// <c>start</c>/<c>end</c> (UTF-16 offsets into the document's text), <c>page</c> (null outside PDFs), <c>headings</c>
/// (the heading path) and <c>text</c>, as <see cref="ChunkPayload.Read"/> reads them (a field the payload lacks, or holds
/// with another type, reads as 0, empty or, for the page, null).
/// </summary>
internal sealed record ChunkPassage(
    PointId Id, float Score, string Source, int? Start, int? End, int? Page, IReadOnlyList<string>? Headings, string? Text)
    : Passage(Id, Score);

/// <summary>A point that is not a chunk: its whole payload.</summary>
internal sealed record PayloadPassage(PointId Id, float Score, JsonObject Payload) : Passage(Id, Score);
