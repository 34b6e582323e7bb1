namespace BitSieve.Cluster.Grains;

/// <summary>
/// One replica of one shard: an ordinary BitSieve collection (<c>COLLECTION.shard-N</c>) in its silo's database.
/// Keyed <c>COLLECTION/SHARD/REPLICA@SILO</c> (<see cref="ReplicaKeys"/>). Calls run one at a time, so the replica
/// that acts as the shard's primary orders the shard's writes.
/// </summary>
internal interface IShardReplicaGrain : IGrainWithStringKey
{
    /// <summary>Creates the replica's collection (or opens it when it exists with the same options).</summary>
    Task Create(ReplicaOptions options);

    /// <summary>Deletes the replica's collection.</summary>
    Task Drop();

    /// <summary>
    /// As the shard's primary: applies <paramref name="points"/> durably under the shard's next sequence number, then
    /// forwards them to <paramref name="peers"/> in parallel. Returns the sequence and the peers that did not
    /// acknowledge (unreachable, or failed).
    /// </summary>
    Task<WriteOutcome> Write(IReadOnlyList<WirePoint> points, IReadOnlyList<string> peers);

    /// <summary>As a secondary: applies the primary's write <paramref name="sequence"/> durably.</summary>
    Task Replicate(long sequence, IReadOnlyList<WirePoint> points);

    /// <summary>Searches the replica's collection.</summary>
    Task<ShardAnswer> Search(ShardQuery query);

    /// <summary>Counts the points a filter (JSON text, or null for all) selects.</summary>
    Task<long> Count(string? filter);

    /// <summary>Points and the last applied write sequence.</summary>
    Task<ReplicaStatus> Status();
}

/// <summary>What a primary's write reached: its sequence number and the peers that did not acknowledge it.</summary>
[GenerateSerializer, Immutable]
internal sealed record WriteOutcome([property: Id(0)] long Sequence, [property: Id(1)] IReadOnlyList<string> Missed);
