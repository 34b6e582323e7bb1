using BitSieve.Search;
using Microsoft.Extensions.AI;

namespace BitSieve.VectorData;

/// <summary>Options of a <see cref="BitSieveVectorStore"/>, handed to every collection it makes.</summary>
public sealed class BitSieveVectorStoreOptions
{
    /// <summary>The default embedding generator of the store's collections (a property's or definition's own wins).</summary>
    public IEmbeddingGenerator? EmbeddingGenerator { get; set; }

    /// <summary>See <see cref="BitSieveCollectionOptions.Quality"/>.</summary>
    public Quality? Quality { get; set; }

    /// <summary>See <see cref="BitSieveCollectionOptions.Bits"/>.</summary>
    public int Bits { get; set; } = 4;

    /// <summary>See <see cref="BitSieveCollectionOptions.SearchThreads"/>.</summary>
    public int SearchThreads { get; set; } = 1;

    /// <summary>See <see cref="BitSieveCollectionOptions.HybridCandidates"/>.</summary>
    public int HybridCandidates { get; set; } = 50;

    /// <summary>See <see cref="BitSieveCollectionOptions.SearchTrace"/>.</summary>
    public Action<SearchTrace>? SearchTrace { get; set; }
}
