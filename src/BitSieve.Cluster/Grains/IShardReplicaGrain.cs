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
    /// As the shard's primary: applies <paramref name="change"/> (an upsert, a delete, a payload or index change)
    /// durably under the shard's next sequence number and keeps it in the catch-up log, then forwards it to
    /// <paramref name="peers"/> and to the replicas it caught up, in parallel. Returns the sequence and the replicas that
    /// did not acknowledge (unreachable, or failed). A primary that moved passes the write on to the replica that took its place.
    /// </summary>
    Task<WriteOutcome> Write(ShardChange change, IReadOnlyList<string> peers);

    /// <summary>
    /// As a secondary: applies the primary's write <paramref name="sequence"/> durably; refuses it when it skips a
    /// sequence number (the replica missed a write and must catch up first).
    /// </summary>
    Task Replicate(long sequence, ShardChange change);

    /// <summary>Searches the replica's collection.</summary>
    Task<ShardAnswer> Search(ShardQuery query);

    /// <summary>Counts the points a filter (JSON text, or null for all) selects.</summary>
    Task<long> Count(string? filter);

    /// <summary>Points and the last applied write sequence.</summary>
    Task<ReplicaStatus> Status();

    /// <summary>
    /// As the shard's primary: brings <paramref name="replica"/> (stale, or new) up to this replica's last write, by
    /// replaying the writes from the target's last one on when this replica's log still holds them, else by a snapshot
    /// (every point, with its vector and payload, in pages; points the target holds and the primary does not are removed and
    /// logged); then forwards every later write to it and marks it live in the layout. No write runs on this primary
    /// meanwhile, so none is lost or reordered. Fails, leaving the target stale and its data untouched, when the target is
    /// ahead of this primary (the two diverged) or its data cannot be opened.
    /// </summary>
    Task<CatchUpOutcome> CatchUp(string replica);

    /// <summary>
    /// As the shard's live primary: moves replica <paramref name="replica"/> of the shard to <paramref name="toSilo"/>
    /// (which holds none of the shard's replicas): copies it there as a catch-up does, forwards every later write to the
    /// copy, switches the layout to it, then deletes the old copy. The primary may move itself: the copy then becomes the
    /// primary, and writes that still reach the old one are passed on to it.
    /// </summary>
    Task<CatchUpOutcome> Move(int replica, string toSilo);

    /// <summary>As a replica that catches up: opens (or creates) its collection; returns its last applied write sequence.</summary>
    Task<long> BeginCatchUp(ReplicaOptions options);

    /// <summary>As a replica that catches up by snapshot: upserts one page of the primary's points.</summary>
    Task ApplySnapshot(IReadOnlyList<WirePoint> points);

    /// <summary>
    /// Ends a snapshot: removes the points no page delivered, takes the primary's <paramref name="sequence"/>; returns how
    /// many points were removed.
    /// </summary>
    Task<long> EndSnapshot(long sequence);
}

/// <summary>How a replica caught up: by log replay (<see cref="Items"/> writes) or snapshot (<see cref="Items"/> points, <see cref="Removed"/> removed).</summary>
[GenerateSerializer, Immutable]
internal sealed record CatchUpOutcome([property: Id(0)] bool FromLog, [property: Id(1)] long Items, [property: Id(2)] long Sequence, [property: Id(3)] long Removed);

/// <summary>What a primary's write reached: its sequence number and the peers that did not acknowledge it.</summary>
[GenerateSerializer, Immutable]
internal sealed record WriteOutcome([property: Id(0)] long Sequence, [property: Id(1)] IReadOnlyList<string> Missed);
