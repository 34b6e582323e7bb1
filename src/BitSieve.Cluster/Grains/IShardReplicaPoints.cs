namespace BitSieve.Cluster.Grains;

/// <summary>
/// The point operations of a shard replica beyond upsert, search and count: the same grain as
/// <see cref="IShardReplicaGrain"/> (same key, same activation, calls one at a time), so its changes are ordered with
/// the shard's upserts under one sequence.
/// </summary>
internal interface IShardReplicaPoints : IGrainWithStringKey
{
    /// <summary>
    /// As the shard's primary: applies <paramref name="change"/> durably under the shard's next sequence number, then
    /// forwards it to <paramref name="peers"/> in parallel. Returns the sequence and the peers that did not acknowledge.
    /// </summary>
    Task<WriteOutcome> Change(ShardChange change, IReadOnlyList<string> peers);

    /// <summary>As a secondary: applies the primary's change <paramref name="sequence"/> durably.</summary>
    Task ReplicateChange(long sequence, ShardChange change);

    /// <summary>Points by id (ids as text; those that do not exist are left out).</summary>
    Task<IReadOnlyList<WireRecord>> Retrieve(IReadOnlyList<string> ids, bool withPayload, bool withVector);

    /// <summary>The replica's first <paramref name="limit"/> points from <paramref name="offset"/> on, in id order, that a filter (JSON text, or null) selects.</summary>
    Task<WirePage> Scroll(string? offset, int limit, string? filter, bool withPayload, bool withVector);

    /// <summary>The replica's part of the BM25 statistics of <paramref name="text"/> (it needs a text index).</summary>
    Task<WireTextStatistics> TextStatistics(string text);

    /// <summary>
    /// The replica's two candidate lists of a hybrid search (max(k, <paramref name="candidates"/>) each), BM25 scored
    /// with the <paramref name="corpus"/>'s statistics (the sum of every shard's <see cref="TextStatistics"/>).
    /// </summary>
    Task<HybridShardAnswer> SearchHybrid(ShardQuery query, string text, int candidates, WireTextStatistics corpus);
}
