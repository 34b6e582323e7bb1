namespace BitSieve.Cluster.Grains;

/// <summary>
/// The coordinator's point operations beyond upsert, search and count (the same stateless worker as
/// <see cref="IClusterCoordinatorGrain"/>): changes routed to each shard's primary, retrievals by id, and scrolls
/// merged in id order across shards.
/// </summary>
internal interface IClusterPointsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Applies a change: one addressed by ids goes to the shards of those ids only, one addressed by a filter (or a
    /// payload index change) to every shard. Ids that do not exist are skipped, as an embedded collection skips them (the
    /// Qdrant API's 404 for them is its own check, before the change). Returns the highest shard sequence written.
    /// </summary>
    Task<long> Change(string collection, ShardChange change);

    /// <summary>Points by id, in the order asked (duplicates once); ids that do not exist are left out.</summary>
    Task<IReadOnlyList<WireRecord>> Retrieve(string collection, IReadOnlyList<string> ids, bool withPayload, bool withVector);

    /// <summary>
    /// A page of the whole collection in id order (integers, then UUIDs): the first <paramref name="limit"/> points
    /// from <paramref name="offset"/> on that the filter selects, over every shard, and the id that starts the next
    /// page (null on the last).
    /// </summary>
    Task<WirePage> Scroll(string collection, string? offset, int limit, string? filter, bool withPayload, bool withVector);

    /// <summary>
    /// Hybrid search over every shard, equal to a single collection's of the same points: first the corpus's BM25
    /// statistics of <paramref name="text"/> (N, avgdl, each term's document frequency), summed over the shards; then
    /// each shard's two candidate lists, its BM25 scored with those statistics; the lists merged to the corpus's best
    /// max(k, <paramref name="candidates"/>) each (BM25's with the ties of the last) and fused by the single node's
    /// rule (the engine's <c>Fusion.Hybrid</c>). Needs a text index on every shard. The global bound does not apply.
    /// </summary>
    Task<ClusterAnswer> SearchHybrid(string collection, ShardQuery query, string text, int candidates, double vectorWeight);

    /// <summary>
    /// Lexical search over every shard, equal to a single collection's of the same points: the corpus's BM25 statistics
    /// of <paramref name="text"/> summed over the shards, each shard's best <paramref name="k"/> scored with them, merged
    /// by score, then id, as one collection orders them. Needs a text index on every shard.
    /// </summary>
    Task<ClusterAnswer> SearchText(string collection, string text, int k, string? filter, bool withPayload, bool withVector);

    /// <summary>
    /// Replaces the points a filter (JSON text) selects with <paramref name="points"/>: on each shard in one write, the
    /// shard's own points replacing what the filter selects there (a shard that gets none of them only deletes). Shards
    /// apply it independently: a failure part-way leaves some shards replaced and others not.
    /// </summary>
    Task<long> Replace(string collection, string filter, IReadOnlyList<WirePoint> points);

    /// <summary>Every shard's description (in shard order), each from one live replica (see <see cref="ShardDescription.Sum"/>).</summary>
    Task<IReadOnlyList<ShardDescription>> Describe(string collection);
}
