namespace BitSieve.Cluster.Grains;

internal sealed partial class ClusterCoordinatorGrain : IClusterPointsGrain
{
    public async Task<long> Change(string collection, ShardChange change)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var writes = new List<Task<long>>();
        if (change.Ids is { } ids)
        {
            if (change.Kind != ShardChangeKind.Delete)
            {
                // As a single node (and Qdrant): a payload change names every point it changes, or changes none.
                var found = (await Retrieve(collection, ids, withPayload: false, withVector: false).ConfigureAwait(true)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
                foreach (string id in ids)
                    if (!found.Contains(id)) throw new KeyNotFoundException($"No point with id {Server.Http.JsonValues.Text(PointId.Parse(id))} found");
            }
            foreach (var (shard, shardIds) in ByShard(ids, layout.ShardNumber))
                writes.Add(ChangeShard(layout, shard, change with { Ids = shardIds }));
        }
        else
        {
            for (int s = 0; s < layout.ShardNumber; s++) writes.Add(ChangeShard(layout, s, change));
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

    private Task<long> ChangeShard(CollectionLayout layout, int shard, ShardChange change) =>
        WriteThroughPrimary(layout, shard, (primary, peers) => GrainFactory.GetGrain<IShardReplicaPoints>(primary).Change(change, peers));

    /// <summary>The ids grouped by their shard (<see cref="ShardRouting"/>).</summary>
    private static IEnumerable<(int Shard, List<string> Ids)> ByShard(IReadOnlyList<string> ids, int shardNumber) =>
        ids.GroupBy(id => ShardRouting.ShardOf(PointId.Parse(id), shardNumber)).Select(g => (g.Key, g.ToList()));
}
