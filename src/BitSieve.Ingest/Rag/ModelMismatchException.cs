namespace BitSieve.Ingest.Rag;

/// <summary>
/// A collection was asked to index or search with another embedding model, or another precision, than its vectors
/// were made with: vector scores across two embedding spaces mean nothing, so nothing is written or searched. Re-index
/// the collection with the new model (<see cref="RagService.ReindexAsync"/>, <c>bitsieve index --reindex</c>) or use
/// another collection.
/// </summary>
public sealed class ModelMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="collection"/>, bound to <paramref name="bound"/>, asked to use <paramref name="requested"/>.</summary>
    internal ModelMismatchException(string collection, ModelBinding bound, ModelBinding requested)
        : base($"collection '{collection}' holds vectors of {bound}, not of {requested}: vectors of two models cannot be compared; re-index it with the new model or use another collection")
    {
        Collection = collection;
        Bound = bound;
        Requested = requested;
    }

    /// <summary>Creates the exception for <paramref name="collection"/>, which names no model but holds <paramref name="dimension"/>-dimensional vectors.</summary>
    internal ModelMismatchException(string collection, int dimension, ModelBinding requested)
        : base($"collection '{collection}' holds {dimension}-dimensional vectors, but {requested} makes {requested.Dimension}-dimensional ones; use another collection")
    {
        Collection = collection;
        Requested = requested;
    }

    /// <summary>The collection.</summary>
    public string Collection { get; }

    /// <summary>The model its vectors were made with; null when it names none (and the dimensions differ).</summary>
    public ModelBinding? Bound { get; }

    /// <summary>The model asked for.</summary>
    public ModelBinding Requested { get; }
}
