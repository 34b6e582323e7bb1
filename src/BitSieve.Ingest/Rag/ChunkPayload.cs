using System.Text.Json.Nodes;
using BitSieve.Ingest.Chunking;

namespace BitSieve.Ingest.Rag;

/// <summary>
/// The payload of a chunk as <see cref="RagService"/> and <see cref="Pipeline.FolderIndexer"/> store it, the one
/// reader and writer of its fields: <c>source</c> (the document: a path relative to the indexed folder, '/'-separated,
/// or the name a <c>/v1</c> document was added under), <c>start</c>/<c>end</c> (UTF-16 offsets into the document's
/// extracted text), <c>text</c> (also the lexical index's field), <c>headings</c> (outermost first), <c>page</c>,
/// <c>chunk</c> (its number in the document) and <c>file_hash</c> (XxHash128 of the document's bytes).
/// </summary>
/// <param name="Source">The document the chunk belongs to.</param>
/// <param name="Start">Where it starts in the document's text.</param>
/// <param name="End">Where it ends (exclusive).</param>
/// <param name="Text">The chunk's text, exactly the document's text between <paramref name="Start"/> and <paramref name="End"/>.</param>
/// <param name="Headings">The headings above it, outermost first.</param>
/// <param name="Page">The PDF page it starts on, if any.</param>
/// <param name="Chunk">Its number in the document, from 0.</param>
/// <param name="FileHash">The hash of the document's content.</param>
public sealed record ChunkPayload(string Source, int Start, int End, string Text, IReadOnlyList<string> Headings, int? Page, int Chunk, string? FileHash)
{
    /// <summary>The payload field naming the document (keyword-indexed: documents are selected and removed by it).</summary>
    public const string SourceField = "source";

    /// <summary>The payload field with the chunk's text (the lexical index's field).</summary>
    public const string TextField = "text";

    internal const string StartField = "start", EndField = "end", HeadingsField = "headings", PageField = "page", ChunkField = "chunk", FileHashField = "file_hash";

    /// <summary>The payload of <paramref name="chunk"/> of the document <paramref name="source"/> with content hash <paramref name="fileHash"/>.</summary>
    public static ChunkPayload Of(TextChunk chunk, string source, string fileHash)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return new ChunkPayload(source, chunk.Start, chunk.End, chunk.Text, chunk.HeadingPath, chunk.Page, chunk.Index, fileHash);
    }

    /// <summary>
    /// Reads a stored payload; null when it is not a chunk's (no string <c>source</c>, as for points written through
    /// the Qdrant API). Missing or mistyped other fields read as empty (0, "", no headings), never throw.
    /// </summary>
    public static ChunkPayload? Read(JsonObject? payload)
    {
        if (payload?[SourceField] is not JsonValue sourceValue || !sourceValue.TryGetValue(out string? source)) return null;
        var headings = payload[HeadingsField] is JsonArray array
            ? array.Select(h => h is JsonValue v && v.TryGetValue(out string? s) ? s : null).OfType<string>().ToList()
            : [];
        return new ChunkPayload(source, Int(payload[StartField]) ?? 0, Int(payload[EndField]) ?? 0, String(payload[TextField]) ?? "", headings,
            Int(payload[PageField]), Int(payload[ChunkField]) ?? 0, String(payload[FileHashField]));
    }

    /// <summary>The payload as stored.</summary>
    public JsonObject ToJson() => new()
    {
        [SourceField] = Source,
        [StartField] = Start,
        [EndField] = End,
        [TextField] = Text,
        [HeadingsField] = new JsonArray([.. Headings.Select(h => (JsonNode)h)]),
        [PageField] = Page,
        [ChunkField] = Chunk,
        [FileHashField] = FileHash,
    };

    /// <summary>The filter that selects every chunk of the document <paramref name="source"/>.</summary>
    public static Filter BySource(string source) =>
        new(Must: [new FieldCondition(PayloadPath.Parse(SourceField), new MatchKeyword(source))]);

    /// <summary>The payload change that re-points a document's chunks at a new <paramref name="source"/>.</summary>
    internal static JsonObject Moved(string source) => new() { [SourceField] = source };

    private static int? Int(JsonNode? node) => node is JsonValue value && value.TryGetValue(out int number) ? number : null;

    private static string? String(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
