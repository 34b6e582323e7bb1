using Microsoft.Extensions.VectorData;

namespace RagConsole;

/// <summary>One chunk of a document, as the vector store holds it.</summary>
public sealed class Passage
{
    /// <summary>"source#index": a string key, stored by the connector as a name-based UUID.</summary>
    [VectorStoreKey]
    public string Id { get; set; } = "";

    [VectorStoreData(IsIndexed = true)]
    public string Source { get; set; } = "";

    /// <summary>The headings above the passage, outermost first, joined with " › ".</summary>
    [VectorStoreData]
    public string Heading { get; set; } = "";

    [VectorStoreData]
    public int Start { get; set; }

    [VectorStoreData]
    public int End { get; set; }

    /// <summary>The passage; also the collection's BM25 (keyword) field.</summary>
    [VectorStoreData(IsFullTextIndexed = true)]
    public string Text { get; set; } = "";

    /// <summary>What to embed (the heading path and the text): the store generates the 384-dimension vector from it.</summary>
    [VectorStoreVector(384, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public string? Embedding { get; set; }
}
