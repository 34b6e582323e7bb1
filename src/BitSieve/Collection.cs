namespace BitSieve;

/// <summary>Bytes per vector, by tier, as the engine holds them.</summary>
/// <param name="T1">Sign codes (1 bit per dimension, padded to 64-bit words).</param>
/// <param name="T2">Extra bits of the extended code.</param>
/// <param name="Factors">Per-vector correction factors of both tiers.</param>
/// <param name="T3">Float32 originals (memory-mapped from disk once saved; not counted as resident).</param>
public readonly record struct TierBytes(int T1, int T2, int Factors, int T3)
{
    /// <summary>What must stay in RAM for a search: T1 + T2 + factors.</summary>
    public int Resident => T1 + T2 + Factors;
}

/// <summary>
/// A collection of vectors kept at several precisions, searched by the dynamic cascade.
/// Thread-safety: any number of concurrent searches, or one writer.
/// </summary>
public sealed partial class Collection : IDisposable
{
    /// <summary>Creates an empty collection in memory.</summary>
    public static Collection Create(CollectionOptions options) => throw new NotImplementedException();

    /// <summary>The options the collection was created with.</summary>
    public CollectionOptions Options => throw new NotImplementedException();

    /// <summary>Live points.</summary>
    public int Count => throw new NotImplementedException();

    /// <summary>Bytes per vector by tier.</summary>
    public TierBytes BytesPerVector => throw new NotImplementedException();

    /// <summary>Inserts or replaces one point.</summary>
    public void Upsert(ulong id, ReadOnlySpan<float> vector) => throw new NotImplementedException();

    /// <summary>Inserts or replaces many points; <paramref name="vectors"/> is row-major, ids.Length rows.</summary>
    public void UpsertBatch(ReadOnlySpan<ulong> ids, ReadOnlySpan<float> vectors) => throw new NotImplementedException();

    /// <summary>Deletes a point; throws <see cref="KeyNotFoundException"/> for an unknown id.</summary>
    public void Delete(ulong id) => throw new NotImplementedException();

    /// <summary>Whether a live point has this id.</summary>
    public bool Contains(ulong id) => throw new NotImplementedException();

    /// <summary>The stored vector of a point (normalized under cosine).</summary>
    public float[] GetVector(ulong id) => throw new NotImplementedException();

    /// <summary>Searches with the dynamic cascade (or the fixed-oversampling baseline when options say so).</summary>
    public SearchResult Search(ReadOnlySpan<float> query, SearchOptions? options = null) => throw new NotImplementedException();

    /// <summary>Searches many queries (row-major) in one pass over the codes.</summary>
    public SearchResult[] SearchBatch(ReadOnlySpan<float> queries, SearchOptions? options = null) => throw new NotImplementedException();

    /// <summary>Exact float32 brute force over the originals (TensorPrimitives), the baseline of every benchmark.</summary>
    public SearchResult SearchExact(ReadOnlySpan<float> query, int k, int threads = 1) => throw new NotImplementedException();

    /// <summary>Exact float32 brute force for many queries, blocked so each original is read once per block of queries.</summary>
    public SearchResult[] SearchExactBatch(ReadOnlySpan<float> queries, int k, int threads = 1) => throw new NotImplementedException();

    /// <summary>Rewrites the columns without deleted points and re-trains the quantizer on the live data.</summary>
    public void Compact() => throw new NotImplementedException();

    /// <summary>Saves to a directory (manifest and column files).</summary>
    public void Save(string directory) => throw new NotImplementedException();

    /// <summary>Opens a saved collection; originals are memory-mapped.</summary>
    public static Collection Open(string directory) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Dispose() => throw new NotImplementedException();
}
