namespace BitSieve.Cluster.Grains;

/// <summary>
/// The names of the cluster's sharded collections (one grain, key 0, kept in the cluster's grain storage), so that a
/// drain or a rebalance can visit every collection's layout.
/// </summary>
internal interface ICollectionCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>Records a created collection.</summary>
    Task Add(string collection);

    /// <summary>Forgets a dropped collection.</summary>
    Task Remove(string collection);

    /// <summary>Every recorded collection, in name order.</summary>
    Task<IReadOnlyList<string>> List();
}

/// <summary>The persistent state of a <see cref="CollectionCatalogGrain"/>.</summary>
[GenerateSerializer]
internal sealed class CatalogState
{
    [Id(0)]
    public HashSet<string> Collections { get; set; } = [];
}

/// <summary>See <see cref="ICollectionCatalogGrain"/>.</summary>
internal sealed class CollectionCatalogGrain(
    [PersistentState("catalog", ClusterSilo.StorageName)] IPersistentState<CatalogState> state) : Grain, ICollectionCatalogGrain
{
    public async Task Add(string collection)
    {
        if (state.State.Collections.Add(collection)) await state.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task Remove(string collection)
    {
        if (state.State.Collections.Remove(collection)) await state.WriteStateAsync().ConfigureAwait(true);
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Collections.Order(StringComparer.Ordinal)]);
}
