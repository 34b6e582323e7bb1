using Orleans.Runtime;

namespace BitSieve.Cluster.Grains;

/// <summary>The persistent state of a <see cref="CollectionLayoutGrain"/>.</summary>
[GenerateSerializer]
internal sealed class LayoutState
{
    [Id(0)]
    public CollectionLayout? Layout { get; set; }

    /// <summary>The collection's properties (<see cref="IPointCollection.SetPropertyAsync"/>): the embedding model it is bound to.</summary>
    [Id(1)]
    public Dictionary<string, string> Properties { get; set; } = [];
}

/// <summary>See <see cref="ICollectionLayoutGrain"/>.</summary>
internal sealed partial class CollectionLayoutGrain(
    [PersistentState("layout", ClusterSilo.StorageName)] IPersistentState<LayoutState> state,
    IClusterMembershipService membership) : Grain, ICollectionLayoutGrain
{
    public async Task<CollectionLayout> Create(ReplicaOptions options, int shardNumber, int replicationFactor, int writeConsistencyFactor)
    {
        string name = this.GetPrimaryKeyString();
        if (state.State.Layout is not null) throw new InvalidOperationException($"Collection `{name}` already exists!");
        var silos = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.Endpoint.ToString())
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (replicationFactor > silos.Length)
            throw new ArgumentException($"replication_factor {replicationFactor} exceeds the {silos.Length} active silo(s) of the cluster: a shard's replicas must be on different silos.");
        if (writeConsistencyFactor > replicationFactor)
            throw new ArgumentException($"write_consistency_factor {writeConsistencyFactor} exceeds replication_factor {replicationFactor}.");
        var replicas = new string[shardNumber][];
        for (int s = 0; s < shardNumber; s++)
        {
            replicas[s] = new string[replicationFactor];
            for (int r = 0; r < replicationFactor; r++) replicas[s][r] = silos[(s + r) % silos.Length];
        }
        // Unset (0) is 1, Qdrant's default and minimum: every write goes to every live replica whatever the factor, and
        // the primary's own acknowledgement always counts, so 0 and 1 accept the same writes.
        var layout = new CollectionLayout(name, options, Math.Max(writeConsistencyFactor, 1), replicas, []);
        var creates = new List<Task>();
        for (int s = 0; s < shardNumber; s++)
            for (int r = 0; r < replicationFactor; r++)
                creates.Add(GrainFactory.GetGrain<IShardReplicaGrain>(layout.ReplicaKey(s, r)).Create(options));
        await Task.WhenAll(creates).ConfigureAwait(true);
        state.State.Layout = layout;
        await state.WriteStateAsync().ConfigureAwait(true);
        await GrainFactory.GetGrain<ICollectionCatalogGrain>(0).Add(name).ConfigureAwait(true);
        return layout;
    }

    public Task<CollectionLayout?> Get() => Task.FromResult(state.State.Layout);

    public Task<string?> GetProperty(string name) => Task.FromResult(state.State.Properties.GetValueOrDefault(name));

    public async Task SetProperty(string name, string value)
    {
        if (state.State.Layout is null) throw new KeyNotFoundException($"Collection `{this.GetPrimaryKeyString()}` doesn't exist!");
        if (state.State.Properties.TryGetValue(name, out string? old) && old == value) return;
        state.State.Properties[name] = value;
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task MarkStale(IReadOnlyList<string> replicas)
    {
        if (state.State.Layout is not { } layout || replicas.All(layout.Stale.Contains)) return;
        var stale = new HashSet<string>(layout.Stale);
        stale.UnionWith(replicas);
        state.State.Layout = WithPrimariesLive(layout with { Stale = stale });
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task<bool> Drop()
    {
        if (state.State.Layout is not { } layout) return false;
        var drops = new List<Task>();
        for (int s = 0; s < layout.ShardNumber; s++)
            for (int r = 0; r < layout.ReplicationFactor; r++)
                drops.Add(GrainFactory.GetGrain<IShardReplicaGrain>(layout.ReplicaKey(s, r)).Drop());
        await Task.WhenAll(drops).ConfigureAwait(true);
        await state.ClearStateAsync().ConfigureAwait(true);
        state.State.Layout = null;
        state.State.Properties = [];
        await GrainFactory.GetGrain<ICollectionCatalogGrain>(0).Remove(this.GetPrimaryKeyString()).ConfigureAwait(true);
        return true;
    }
}
