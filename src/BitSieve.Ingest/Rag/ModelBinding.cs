using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Embeddings;
using BitSieve.Embeddings.Onnx.Quantization;
using BitSieve.Ingest.Pipeline;

namespace BitSieve.Ingest.Rag;

/// <summary>
/// The embedding model a collection's vectors were made with, stored in the collection when it is created: the name
/// it was asked for by, the precision it ran at (<c>fp32</c>, <c>int8</c> or an <c>auto</c> plan), and what decides
/// its vectors — <see cref="EmbeddingModelInfo.Identity"/> (for ONNX models a hash of the model and vocabulary bytes,
/// pooling, token limit, normalization and int8 layers; for HTTP models the endpoint, model, dimensions and
/// normalization), the dimension and the query and document prefixes. Two bindings make comparable vectors when
/// everything but the name agrees (<see cref="SameVectors"/>).
/// </summary>
/// <param name="Model">The name or path the model was asked for by (<c>minilm</c>, <c>arctic-xs</c>, a folder, <c>openai:NAME</c>).</param>
/// <param name="Precision">The precision in its stored form (<c>fp32</c>, <c>int8</c>, or <c>auto</c> and the plan's layers).</param>
/// <param name="Identity">What decides the vectors; null for a collection indexed before identities were stored, whose model is known by name only.</param>
/// <param name="Dimension">The length of the vectors.</param>
/// <param name="QueryPrefix">Text put before a query.</param>
/// <param name="DocumentPrefix">Text put before a document.</param>
public sealed record ModelBinding(string Model, string Precision, string? Identity, int Dimension, string QueryPrefix, string DocumentPrefix)
{
    /// <summary>The collection property holding <see cref="Identity"/>, dimension and prefixes as JSON (beside <see cref="FolderIndexer.ModelProperty"/> and <see cref="FolderIndexer.PrecisionProperty"/>).</summary>
    internal const string IdentityProperty = "embedding_identity";

    /// <summary>The binding of a loaded model.</summary>
    internal static ModelBinding Of(string model, string precision, EmbeddingModelInfo? info, int dimension) =>
        new(model, precision, info?.Identity ?? "unknown:" + model, dimension, info?.QueryPrefix ?? "", info?.DocumentPrefix ?? "");

    /// <summary>
    /// Whether vectors of <paramref name="other"/> and of this binding may share a collection: same identity, precision,
    /// dimension and prefixes; a binding known by name only (<see cref="Identity"/> null) agrees with one of the same
    /// name, precision and dimension.
    /// </summary>
    public bool SameVectors(ModelBinding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Precision != other.Precision || Dimension != other.Dimension) return false;
        if (Identity is null || other.Identity is null) return Model == other.Model;
        return Identity == other.Identity && QueryPrefix == other.QueryPrefix && DocumentPrefix == other.DocumentPrefix;
    }

    /// <summary>One line for messages: <c>minilm (fp32, 384 dimensions, onnx:…)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Model} ({StoredPrecision.Describe(Precision)}, {Dimension} dimensions{(Identity is null ? "" : ", " + Identity)})");

    /// <summary>
    /// The binding stored in <paramref name="collection"/>; for one made before bindings were stored, what today's code
    /// derives: its <c>embedding_model</c> and <c>embedding_precision</c> (fp32 without it), known by name only. Null when
    /// the collection names no model at all (made through the Qdrant API): it takes the model of its first indexing.
    /// </summary>
    internal static async Task<ModelBinding?> ReadAsync(IPointCollection collection)
    {
        string? model = await collection.GetPropertyAsync(FolderIndexer.ModelProperty).ConfigureAwait(false);
        if (model is null) return null;
        string precision = await collection.GetPropertyAsync(FolderIndexer.PrecisionProperty).ConfigureAwait(false) ?? StoredPrecision.Fp32;
        if (await collection.GetPropertyAsync(IdentityProperty).ConfigureAwait(false) is not { } stored)
            return new ModelBinding(model, precision, null, collection.Options.Dimension, "", "");
        try
        {
            var json = JsonNode.Parse(stored)!.AsObject();
            return new ModelBinding(model, precision, json["identity"]!.GetValue<string>(), json["dimension"]!.GetValue<int>(),
                json["query_prefix"]!.GetValue<string>(), json["document_prefix"]!.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"collection '{collection.Name}' has a damaged '{IdentityProperty}' property: {stored.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>Stores the binding in <paramref name="collection"/> (its three properties).</summary>
    internal async Task WriteAsync(IPointCollection collection)
    {
        await collection.SetPropertyAsync(FolderIndexer.ModelProperty, Model).ConfigureAwait(false);
        await collection.SetPropertyAsync(FolderIndexer.PrecisionProperty, Precision).ConfigureAwait(false);
        if (Identity is not null)
        {
            await collection.SetPropertyAsync(IdentityProperty, new JsonObject
            {
                ["identity"] = Identity, ["dimension"] = Dimension, ["query_prefix"] = QueryPrefix, ["document_prefix"] = DocumentPrefix,
            }.ToJsonString()).ConfigureAwait(false);
        }
    }
}
