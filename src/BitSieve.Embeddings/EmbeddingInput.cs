using Microsoft.Extensions.AI;

namespace BitSieve.Embeddings;

/// <summary>
/// Marks texts as search queries or as documents. Asymmetric models (Arctic-xs, E5, BGE) embed a query with a prefix
/// such as <c>"Represent this sentence for searching relevant passages: "</c>; the BitSieve generators apply it when
/// <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> holds <c>input_type = "query"</c>.
/// </summary>
/// <example>
/// <code>
/// var vectors = await generator.GenerateAsync(["how do I open a file?"], EmbeddingInput.ForQuery());
/// </code>
/// </example>
public static class EmbeddingInput
{
    /// <summary>The key in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> (the name Cohere and Voyage use).</summary>
    public const string PropertyName = "input_type";

    /// <summary>The value that marks the texts of a call as search queries.</summary>
    public const string Query = "query";

    /// <summary>The value that marks the texts of a call as documents (the default when the property is absent).</summary>
    public const string Document = "document";

    /// <summary>Options (a copy of <paramref name="options"/>, or new ones) that mark the texts as search queries.</summary>
    public static EmbeddingGenerationOptions ForQuery(EmbeddingGenerationOptions? options = null)
    {
        var result = options?.Clone() ?? new EmbeddingGenerationOptions();
        result.AdditionalProperties ??= [];
        result.AdditionalProperties[PropertyName] = Query;
        return result;
    }

    /// <summary>Whether <paramref name="options"/> mark the texts as search queries.</summary>
    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties is { } properties
        && properties.TryGetValue(PropertyName, out var value)
        && string.Equals(value?.ToString(), Query, StringComparison.OrdinalIgnoreCase);
}
