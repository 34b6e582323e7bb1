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
    public static async Task<CollectionSummary> FromAsync(IPointCollection collection)
    {
        var info = await collection.InfoAsync().ConfigureAwait(false);
        return new(info.Name, info.Count, info.Options.Dimension, info.Options.Metric.ToString().ToLowerInvariant(), info.Options.Bits,
            await collection.GetPropertyAsync(Ingest.Pipeline.FolderIndexer.ModelProperty).ConfigureAwait(false), info.PayloadIndexes.Values.Contains("text"));
    }
}

/// <summary><c>GET /v1/collections/{collection}</c>: the engine's description (as <c>bitsieve info --json</c> prints it) and the model.</summary>
internal sealed record CollectionDetail(JsonElement Info, string? Model);

/// <summary><c>PUT /v1/collections/{collection}</c>: the new text collection and its embedding model.</summary>
internal sealed record CollectionCreated(string Collection, string Model, int Dimension);

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
internal sealed record DocumentDeleted(string Source, long ChunksDeleted);

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

/// <summary>
/// What <c>/ask</c> found before answering: the question, the search mode, the embedding model (null for a lexical
/// search) and the passages, best first; the first server-sent event (<c>passages</c>) of a streamed answer.
/// </summary>
internal sealed record AskFound(string Question, string Mode, string? Model, IReadOnlyList<Passage> Passages)
{
    public AskResponse With(AnswerResult answer) => new(Question, Mode, Model, answer, Passages);
}

/// <summary><c>POST /v1/collections/{collection}/ask</c>: the answer and the passages it was drawn from.</summary>
/// <param name="Question">The question.</param>
/// <param name="Mode">hybrid, vector or lexical.</param>
/// <param name="Model">The embedding model, or null for a lexical search.</param>
/// <param name="Answer">The answer.</param>
/// <param name="Passages">The passages found, best first; citation <c>n</c> is <c>passages[n - 1]</c>.</param>
internal sealed record AskResponse(string Question, string Mode, string? Model, AnswerResult Answer, IReadOnlyList<Passage> Passages);

/// <summary>
/// An answer: <c>generated</c> (a chat model's reply, <c>chat_model</c> naming it; <c>citations</c> the passages it
/// cites, or every passage sent when it cites none, which <c>cited_by_reply: false</c> says) or <c>extractive</c>
/// (the best-matching sentences, <c>text</c> with matched words in <c>**…**</c>, each sentence's <c>matches</c> as
/// [start, end) UTF-16 offsets into its text; <c>citations</c> the passages they come from).
/// </summary>
internal sealed record AnswerResult(string Kind, string Text, string? ChatModel, IReadOnlyList<AnswerSentenceResult>? Sentences,
    IReadOnlyList<CitationResult> Citations, bool? CitedByReply)
{
    public static AnswerResult Extractive(Ingest.Answering.ExtractiveAnswer answer, IReadOnlyList<Ingest.Answering.AnswerPassage> passages) =>
        new("extractive", answer.Format(Ingest.Answering.HighlightStyle.Markdown), null,
            answer.Sentences.Select(s => new AnswerSentenceResult(s.Text, s.Passage, s.Matches.Select(m =>
            {
                var (start, length) = m.GetOffsetAndLength(s.Text.Length);
                return (IReadOnlyList<int>)[start, start + length];
            }).ToList())).ToList(),
            answer.Sentences.Select(s => s.Passage).Distinct().Order().Select(n => CitationResult.From(n, passages[n - 1])).ToList(), null);

    public static AnswerResult Generated(string reply, Ingest.Answering.AnswerPrompt prompt, string chatModel)
    {
        var citations = Ingest.Answering.CitationList.FromReply(reply, prompt);
        return new("generated", reply, chatModel, null,
            citations.Citations.Select(c => CitationResult.From(c.Number, c.Passage)).ToList(), citations.CitedByReply);
    }
}

/// <summary>A sentence of an extractive answer: its text, the number of its passage, and the matched spans as [start, end).</summary>
internal sealed record AnswerSentenceResult(string Text, int Passage, IReadOnlyList<IReadOnlyList<int>> Matches);

/// <summary>A citation: the passage's number, its source and heading path.</summary>
internal sealed record CitationResult(int Number, string Source, IReadOnlyList<string> Headings)
{
    public static CitationResult From(int number, Ingest.Answering.AnswerPassage passage) => new(number, passage.Source, passage.Headings);
}

/// <summary>A piece of a streamed answer (the <c>delta</c> event).</summary>
internal sealed record AnswerDelta(string Text);
