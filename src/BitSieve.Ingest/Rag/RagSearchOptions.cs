namespace BitSieve.Ingest.Rag;

/// <summary>How a question is matched.</summary>
public enum RagSearchMode
{
    /// <summary>Vectors and BM25 fused (<see cref="Collection.SearchHybrid(ReadOnlySpan{float}, string, SearchOptions?, Filter?, bool, bool, int, double)"/>): the default, as neither alone serves English and Japanese.</summary>
    Hybrid,

    /// <summary>Vectors only (the embedding model's notion of meaning).</summary>
    Vector,

    /// <summary>BM25 only (words, and character bigrams in CJK text); needs no model.</summary>
    Lexical,
}

/// <summary>A search of a <see cref="RagCollection"/>.</summary>
public sealed record RagSearchOptions
{
    /// <summary>Vector, lexical or hybrid (the default).</summary>
    public RagSearchMode Mode { get; init; } = RagSearchMode.Hybrid;

    /// <summary>The vector search: <see cref="SearchOptions.K"/> passages (5 unless set), quality, oversampling.</summary>
    public SearchOptions Search { get; init; } = new() { K = 5 };

    /// <summary>A filter over the chunks' payloads (<see cref="ChunkPayload"/>'s fields), or none.</summary>
    public Filter? Filter { get; init; }
}

/// <summary>A document of a collection: its source, the hash of its content, and how many chunks it has.</summary>
/// <param name="Source">The document's <see cref="ChunkPayload.Source"/>.</param>
/// <param name="FileHash">The hash of its content (null when its chunks carry none).</param>
/// <param name="Chunks">Its chunks in the collection.</param>
public sealed record IndexedDocument(string Source, string? FileHash, int Chunks);
