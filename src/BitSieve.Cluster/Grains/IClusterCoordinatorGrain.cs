namespace BitSieve.Cluster.Grains;

/// <summary>
/// The stateless coordinator (a stateless worker: one or more activations on every silo, each request served by the
/// silo that received it): routes writes to each shard's primary and scatters searches to one live replica per shard.
/// </summary>
internal interface IClusterCoordinatorGrain : IGrainWithIntegerKey
{
    /// <summary>Upserts points, each to its shard (see <see cref="ShardRouting"/>); returns the highest shard sequence written.</summary>
    Task<long> Upsert(string collection, IReadOnlyList<WirePoint> points);

    /// <summary>The exact merge of every shard's top k; with <paramref name="prune"/>, the first shard's k-th score bounds the rest.</summary>
    Task<ClusterAnswer> Search(string collection, ShardQuery query, bool prune);

    /// <summary>Counts the points a filter (JSON text, or null) selects, over every shard.</summary>
    Task<long> Count(string collection, string? filter);
}

/// <summary>A merged answer and what each shard spent on it (in shard order).</summary>
[GenerateSerializer, Immutable]
internal sealed record ClusterAnswer([property: Id(0)] IReadOnlyList<WireHit> Hits, [property: Id(1)] IReadOnlyList<ShardSpent> Shards);

/// <summary>One shard's part of a search: the replica that answered, its hit count and its cascade's counts per tier.</summary>
[GenerateSerializer, Immutable]
internal sealed record ShardSpent(
    [property: Id(0)] int Shard, [property: Id(1)] string Replica, [property: Id(2)] int Hits,
    [property: Id(3)] long T1Seen, [property: Id(4)] long T2Seen, [property: Id(5)] long T3Seen, [property: Id(6)] float? Bound);
