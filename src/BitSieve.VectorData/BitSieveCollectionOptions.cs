using BitSieve.Search;
using Microsoft.Extensions.VectorData;

namespace BitSieve.VectorData;

/// <summary>Options of a <see cref="BitSieveCollection{TKey, TRecord}"/>: the record definition and BitSieve's own settings.</summary>
public sealed class BitSieveCollectionOptions : VectorStoreCollectionOptions
{
    /// <summary>Default options.</summary>
    public BitSieveCollectionOptions()
    {
    }

    /// <summary>A copy of <paramref name="source"/>.</summary>
    public BitSieveCollectionOptions(BitSieveCollectionOptions? source)
        : base(source ?? new BitSieveCollectionOptions())
    {
        if (source is null) return;
        Quality = source.Quality;
        Bits = source.Bits;
        SearchThreads = source.SearchThreads;
        HybridCandidates = source.HybridCandidates;
        SearchTrace = source.SearchTrace;
    }

    /// <summary>
    /// The quality target of searches on a <see cref="IndexKind.QuantizedFlat"/> vector (the default kind): a recall
    /// floor for the dynamic cascade, or <see cref="Quality.Exact"/>. Null: <see cref="Quality.Default"/> (recall ≥ 0.995).
    /// A <see cref="IndexKind.Flat"/> vector always searches with <see cref="Quality.Exact"/>.
    /// </summary>
    public Quality? Quality { get; set; }

    /// <summary>Total bits per dimension of the quantized codes (4 or 8), used when the collection is created.</summary>
    public int Bits { get; set; } = 4;

    /// <summary>Threads one search may use.</summary>
    public int SearchThreads { get; set; } = 1;

    /// <summary>Hybrid search: how many candidates the vector and the keyword search each rank before fusion (at least top + skip).</summary>
    public int HybridCandidates { get; set; } = 50;

    /// <summary>Called after every vector or hybrid search with the cascade's trace (what each tier saw, kept and spent).</summary>
    public Action<SearchTrace>? SearchTrace { get; set; }
}

/// <summary>Vector search options with BitSieve's per-search settings.</summary>
/// <typeparam name="TRecord">The record type.</typeparam>
public sealed class BitSieveVectorSearchOptions<TRecord> : VectorSearchOptions<TRecord>
{
    /// <summary>The quality target of this search; null for the collection's.</summary>
    public Quality? Quality { get; set; }

    /// <summary>Called with this search's trace (in addition to the collection's <see cref="BitSieveCollectionOptions.SearchTrace"/>).</summary>
    public Action<SearchTrace>? Trace { get; set; }
}

/// <summary>Hybrid search options with BitSieve's per-search settings.</summary>
/// <typeparam name="TRecord">The record type.</typeparam>
public sealed class BitSieveHybridSearchOptions<TRecord> : HybridSearchOptions<TRecord>
{
    /// <summary>The quality target of the vector half of this search; null for the collection's.</summary>
    public Quality? Quality { get; set; }

    /// <summary>How many candidates each half ranks before fusion; null for the collection's.</summary>
    public int? Candidates { get; set; }

    /// <summary>Called with the vector half's trace (in addition to the collection's <see cref="BitSieveCollectionOptions.SearchTrace"/>).</summary>
    public Action<SearchTrace>? Trace { get; set; }
}
