namespace BitSieve.Cluster.Grains;

/// <summary>
/// The layout of one sharded collection (keyed by its name), kept in the cluster's grain storage (Redis, or memory
/// under localhost clustering): which silo holds each replica, and which replicas are stale.
/// </summary>
internal interface ICollectionLayoutGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the collection: places replica r of shard s on the (s + r)-th active silo (mod their number), so a
    /// shard's replicas are on different silos, and creates every replica's collection. Fails with
    /// <see cref="ArgumentException"/> when the replication factor exceeds the active silos, and with
    /// <see cref="InvalidOperationException"/> when the collection exists (as an embedded database).
    /// </summary>
    Task<CollectionLayout> Create(ReplicaOptions options, int shardNumber, int replicationFactor, int writeConsistencyFactor);

    /// <summary>The layout, or null when there is no such collection.</summary>
    Task<CollectionLayout?> Get();

    /// <summary>A property of the collection (kept with its layout), or null.</summary>
    Task<string?> GetProperty(string name);

    /// <summary>Stores a property of the collection with its layout; <see cref="KeyNotFoundException"/> when there is no such collection.</summary>
    Task SetProperty(string name, string value);

    /// <summary>Marks replicas stale (they missed a write): they serve no reads and take no writes until caught up.</summary>
    Task MarkStale(IReadOnlyList<string> replicas);

    /// <summary>Marks a replica caught up (see <see cref="IShardReplicaGrain.CatchUp"/>): it serves reads and takes writes again.</summary>
    Task MarkCaughtUp(string replica);

    /// <summary>
    /// Switches replica <paramref name="replica"/> of shard <paramref name="shard"/> from silo <paramref name="from"/> to
    /// <paramref name="to"/> (see <see cref="IShardReplicaGrain.Move"/>); fails when it is no longer on <paramref name="from"/>.
    /// </summary>
    Task Move(int shard, int replica, string from, string to);

    /// <summary>Deletes every replica and the layout; false when there was no such collection.</summary>
    Task<bool> Drop();
}
