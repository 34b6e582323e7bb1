namespace BitSieve.Embeddings;

/// <summary>
/// What a BitSieve generator embeds with, as far as the result depends on it. Every BitSieve generator answers
/// <c>GetService(typeof(EmbeddingModelInfo))</c>; <see cref="Caching.CachedEmbeddingGenerator"/> keys its entries by
/// <see cref="Identity"/> and by a hash of <see cref="Prepare"/>'s result.
/// </summary>
/// <param name="Name">The name the model was asked for by: <c>minilm</c>, a path, <c>openai:text-embedding-3-small</c>.</param>
/// <param name="Identity">
/// A stable string that changes whenever the vectors could: for ONNX models the hashes of the model and vocabulary
/// bytes plus pooling, token limit and normalization; for HTTP models the endpoint, model and dimensions.
/// </param>
/// <param name="Dimensions">Length of the vectors; 0 while not yet known (an HTTP model before its first answer).</param>
/// <param name="QueryPrefix">Text put in front of a query before it is embedded (empty: none).</param>
/// <param name="DocumentPrefix">Text put in front of a document before it is embedded (empty: none).</param>
public sealed record EmbeddingModelInfo(string Name, string Identity, int Dimensions, string QueryPrefix, string DocumentPrefix)
{
    /// <summary>
    /// The one language the model was trained on, as a tag (<c>en</c> for the built-in models); null for a
    /// multilingual model or when it is not known (a local folder, an HTTP model). Not part of the cache key: it
    /// describes the model and changes no vector. Hybrid search lets an English-only model's vectors only fill up
    /// what BM25 does not find when the question is mostly Chinese or Japanese.
    /// </summary>
    public string? Language { get; init; }

    /// <summary>The exact text the model encodes for <paramref name="text"/>: the query or document prefix, then the text.</summary>
    public string Prepare(string text, bool isQuery)
    {
        ArgumentNullException.ThrowIfNull(text);
        string prefix = isQuery ? QueryPrefix : DocumentPrefix;
        return prefix.Length == 0 ? text : prefix + text;
    }
}
