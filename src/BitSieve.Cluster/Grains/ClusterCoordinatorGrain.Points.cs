using BitSieve.Search;

namespace BitSieve.Cluster.Grains;

internal sealed partial class ClusterCoordinatorGrain : IClusterPointsGrain
{
    public async Task<long> Change(string collection, ShardChange change)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var writes = new List<Task<long>>();
        if (change.Ids is { } ids)
        {
            foreach (var (shard, shardIds) in ByShard(ids, layout.ShardNumber))
                writes.Add(WriteShard(layout, shard, change with { Ids = shardIds }));
        }
        else
        {
            for (int s = 0; s < layout.ShardNumber; s++) writes.Add(WriteShard(layout, s, change));
        }
        long[] sequences = await Task.WhenAll(writes).ConfigureAwait(true);
        return sequences.Length == 0 ? 0 : sequences.Max();
    }

    public async Task<IReadOnlyList<WireRecord>> Retrieve(string collection, IReadOnlyList<string> ids, bool withPayload, bool withVector)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var parts = await Task.WhenAll(ByShard(ids, layout.ShardNumber).Select(part =>
            OnAnyReplica(layout, part.Shard, replica => replica.AsReference<IShardReplicaPoints>().Retrieve(part.Ids, withPayload, withVector)))).ConfigureAwait(true);
        var byId = parts.SelectMany(p => p.Result).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var found = new List<WireRecord>(byId.Count);
        foreach (string id in ids.Distinct(StringComparer.Ordinal))
            if (byId.TryGetValue(id, out var record)) found.Add(record);
        return found;
    }

    public async Task<WirePage> Scroll(string collection, string? offset, int limit, string? filter, bool withPayload, bool withVector)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var pages = await Task.WhenAll(Enumerable.Range(0, layout.ShardNumber).Select(s =>
            OnAnyReplica(layout, s, replica => replica.AsReference<IShardReplicaPoints>().Scroll(offset, limit, filter, withPayload, withVector)))).ConfigureAwait(true);
        // Each shard's page holds its first `limit` points from the offset on, so the first `limit` of their union are
        // the collection's. The next page starts at the smallest id not returned: the first left over from the union,
        // or a shard's own next offset.
        var merged = pages.SelectMany(p => p.Result.Points).Select(r => (Id: PointId.Parse(r.Id), Record: r)).OrderBy(r => r.Id).ToList();
        var next = merged.Skip(limit).Select(r => (PointId?)r.Id)
            .Concat(pages.Where(p => p.Result.NextOffset is not null).Select(p => (PointId?)PointId.Parse(p.Result.NextOffset!)))
            .Min();
        return new WirePage([.. merged.Take(limit).Select(r => r.Record)], next?.ToString());
    }

    public async Task<ClusterAnswer> SearchHybrid(string collection, ShardQuery query, string text, int candidates, double vectorWeight)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var shards = Enumerable.Range(0, layout.ShardNumber).ToList();
        var corpus = await CorpusStatistics(layout, text).ConfigureAwait(true);
        var answers = await Task.WhenAll(shards.Select(s =>
            OnAnyReplica(layout, s, replica => replica.AsReference<IShardReplicaPoints>().SearchHybrid(query, text, candidates, corpus)))).ConfigureAwait(true);

        // The corpus's lists, as one collection of every point would hold them: the best `pool` by vector, and the best
        // `pool` by BM25 with every tie of the last.
        int pool = Math.Max(query.K, candidates);
        var vectorHits = answers.SelectMany(a => a.Result.Vector);
        var vector = (layout.Options.Metric == Metric.Euclidean ? vectorHits.OrderBy(h => h.Score) : vectorHits.OrderByDescending(h => h.Score)).Take(pool).ToList();
        var lexical = answers.SelectMany(a => a.Result.Lexical.Zip(a.Result.LexicalScores, (Hit, Score) => (Hit, Score))).OrderByDescending(h => h.Score).ToList();
        int lexicalCount = Math.Min(pool, lexical.Count);
        while (lexicalCount > 0 && lexicalCount < lexical.Count && lexical[lexicalCount].Score == lexical[lexicalCount - 1].Score) lexicalCount++;
        lexical.RemoveRange(lexicalCount, lexical.Count - lexicalCount);

        // Fusion breaks remaining ties by the smaller key: here a point's rank in id order.
        var hits = vector.Concat(lexical.Select(l => l.Hit)).GroupBy(h => h.Id, StringComparer.Ordinal).Select(g => g.First()).OrderBy(h => PointId.Parse(h.Id)).ToList();
        var keys = hits.Select((h, i) => (h.Id, Key: (ulong)i)).ToDictionary(p => p.Id, p => p.Key, StringComparer.Ordinal);
        var fused = Fusion.Hybrid([.. vector.Select(h => (keys[h.Id], h.Score))], [.. lexical.Select(l => (keys[l.Hit.Id], l.Score))],
            corpus.ToStatistics().Attainable, layout.Options.Metric, vectorWeight, query.K, pool, Fusion.Default);
        var spent = answers.Select((a, s) => new ShardSpent(s, a.Replica, a.Result.Vector.Count + a.Result.Lexical.Count, a.Result.T1Seen, a.Result.T2Seen, a.Result.T3Seen, null)).ToList();
        return new ClusterAnswer([.. fused.Select(f => hits[(int)f.Key] with { Score = f.Score })], spent);
    }

    public async Task<ClusterAnswer> SearchText(string collection, string text, int k, string? filter, bool withPayload, bool withVector)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var shards = Enumerable.Range(0, layout.ShardNumber).ToList();
        var corpus = await CorpusStatistics(layout, text).ConfigureAwait(true);
        var answers = await Task.WhenAll(shards.Select(s =>
            OnAnyReplica(layout, s, replica => replica.AsReference<IShardReplicaPoints>().SearchText(text, k, filter, withPayload, withVector, corpus)))).ConfigureAwait(true);
        // As one collection ranks its BM25 hits: by the double score, equal scores to the smaller id.
        var hits = answers.SelectMany(a => a.Result.Hits.Zip(a.Result.Scores, (Hit, Score) => (Hit, Score)))
            .OrderByDescending(h => h.Score).ThenBy(h => PointId.Parse(h.Hit.Id)).Take(k).Select(h => h.Hit).ToList();
        var spent = answers.Select((a, s) => new ShardSpent(s, a.Replica, a.Result.Hits.Count, 0, 0, 0, null)).ToList();
        return new ClusterAnswer(hits, spent);
    }

    public async Task<long> Replace(string collection, string filter, IReadOnlyList<WirePoint> points)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var byShard = points.GroupBy(p => ShardRouting.ShardOf(PointId.Parse(p.Id), layout.ShardNumber)).ToDictionary(g => g.Key, g => g.ToList());
        var writes = Enumerable.Range(0, layout.ShardNumber).Select(s => WriteShard(layout, s, byShard.TryGetValue(s, out var shardPoints)
            ? new ShardChange(ShardChangeKind.Replace, null, filter, Points: shardPoints)
            : new ShardChange(ShardChangeKind.Delete, null, filter)));
        long[] sequences = await Task.WhenAll(writes).ConfigureAwait(true);
        return sequences.Max();
    }

    public async Task<IReadOnlyList<ShardDescription>> Describe(string collection)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var shards = await Task.WhenAll(Enumerable.Range(0, layout.ShardNumber).Select(s =>
            OnAnyReplica(layout, s, replica => replica.AsReference<IShardReplicaPoints>().Describe()))).ConfigureAwait(true);
        return [.. shards.Select(a => a.Result)];
    }

    /// <summary>The corpus's BM25 statistics of <paramref name="text"/>: every shard's, summed.</summary>
    private async Task<WireTextStatistics> CorpusStatistics(CollectionLayout layout, string text)
    {
        var statistics = await Task.WhenAll(Enumerable.Range(0, layout.ShardNumber).Select(s =>
            OnAnyReplica(layout, s, replica => replica.AsReference<IShardReplicaPoints>().TextStatistics(text)))).ConfigureAwait(true);
        return WireTextStatistics.From(statistics.Select(s => s.Result.ToStatistics()).Aggregate((a, b) => a.Add(b)));
    }

    /// <summary>The ids grouped by their shard (<see cref="ShardRouting"/>).</summary>
    private static IEnumerable<(int Shard, List<string> Ids)> ByShard(IReadOnlyList<string> ids, int shardNumber) =>
        ids.GroupBy(id => ShardRouting.ShardOf(PointId.Parse(id), shardNumber)).Select(g => (g.Key, g.ToList()));
}
