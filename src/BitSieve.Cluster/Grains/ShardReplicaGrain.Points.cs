namespace BitSieve.Cluster.Grains;

internal sealed partial class ShardReplicaGrain : IShardReplicaPoints
{
    public Task<IReadOnlyList<WireRecord>> Retrieve(IReadOnlyList<string> ids, bool withPayload, bool withVector) =>
        Task.FromResult<IReadOnlyList<WireRecord>>([.. Open().Retrieve(ids.Select(PointId.Parse), withPayload, withVector).Select(WireRecord.From)]);

    public Task<WirePage> Scroll(string? offset, int limit, string? filter, bool withPayload, bool withVector)
    {
        var page = Open().Scroll(offset is null ? null : PointId.Parse(offset), limit, filter is null ? null : ShardChange.ParseFilter(filter), withPayload, withVector);
        return Task.FromResult(new WirePage([.. page.Points.Select(WireRecord.From)], page.NextOffset?.ToString()));
    }

    public Task<WireTextStatistics> TextStatistics(string text) => Task.FromResult(WireTextStatistics.From(Open().TextStatistics(text)));

    public Task<HybridShardAnswer> SearchHybrid(ShardQuery query, string text, int candidates, WireTextStatistics corpus)
    {
        var (vector, lexical) = Open().SearchHybridParts(query.Vector, text, corpus.ToStatistics(), query.ToOptions(),
            query.Filter is null ? null : ShardChange.ParseFilter(query.Filter), query.WithPayload, query.WithVector, candidates);
        return Task.FromResult(new HybridShardAnswer([.. vector.Hits.Select(Wire)], [.. lexical.Select(l => Wire(l.Hit))], [.. lexical.Select(l => l.Score)],
            vector.Trace.T1Seen, vector.Trace.T2Seen, vector.Trace.T3Seen));
    }

    public Task<LexicalShardAnswer> SearchText(string text, int k, string? filter, bool withPayload, bool withVector, WireTextStatistics corpus)
    {
        var hits = Open().SearchTextParts(text, k, corpus.ToStatistics(), filter is null ? null : ShardChange.ParseFilter(filter), withPayload, withVector);
        return Task.FromResult(new LexicalShardAnswer([.. hits.Select(h => Wire(h.Hit))], [.. hits.Select(h => h.Score)]));
    }

    public Task<ShardDescription> Describe() => Task.FromResult(ShardDescription.From(Open().Info()));

    private static WireHit Wire(ScoredPoint hit) => new(hit.Id.ToString(), hit.Score, hit.Payload?.ToJsonString(), hit.Vector);
}
