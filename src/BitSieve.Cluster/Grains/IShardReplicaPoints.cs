namespace BitSieve.Cluster.Grains;

/// <summary>
/// The point reads of a shard replica beyond search and count: the same grain as <see cref="IShardReplicaGrain"/> (same
/// key, same activation, calls one at a time), whose <see cref="IShardReplicaGrain.Write"/> takes every write kind.
/// </summary>
internal interface IShardReplicaPoints : IGrainWithStringKey
{
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

    /// <summary>
    /// The replica's part of a lexical search: its best <paramref name="k"/> by BM25 (ties of the last included) among
    /// the points a filter (JSON text, or null) selects, scored with the <paramref name="corpus"/>'s statistics.
    /// </summary>
    Task<LexicalShardAnswer> SearchText(string text, int k, string? filter, bool withPayload, bool withVector, WireTextStatistics corpus);

    /// <summary>The replica's description: counts, bytes, payload indexes.</summary>
    Task<ShardDescription> Describe();
}
