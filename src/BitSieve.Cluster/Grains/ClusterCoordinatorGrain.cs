using Orleans.Concurrency;
using Orleans.Runtime;

namespace BitSieve.Cluster.Grains;

/// <summary>See <see cref="IClusterCoordinatorGrain"/>.</summary>
[StatelessWorker]
internal sealed partial class ClusterCoordinatorGrain(IClusterMembershipService membership, LayoutDirectory layouts) : Grain, IClusterCoordinatorGrain
{
    public async Task<long> Upsert(string collection, IReadOnlyList<WirePoint> points)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var byShard = new List<WirePoint>?[layout.ShardNumber];
        foreach (var point in points)
            (byShard[ShardRouting.ShardOf(PointId.Parse(point.Id), layout.ShardNumber)] ??= []).Add(point);
        var writes = new List<Task<long>>();
        for (int s = 0; s < byShard.Length; s++)
            if (byShard[s] is { } shardPoints) writes.Add(WriteShard(layout, s, ShardChange.Upsert(shardPoints)));
        long[] sequences = await Task.WhenAll(writes).ConfigureAwait(true);
        return sequences.Length == 0 ? 0 : sequences.Max();
    }

    public async Task<ClusterAnswer> Search(string collection, ShardQuery query, bool prune)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        bool euclidean = layout.Options.Metric == Metric.Euclidean;
        var (first, firstReplica) = await SearchShard(layout, 0, query).ConfigureAwait(true);
        float? bound = prune && query.Oversampling is null && first.Hits.Count >= query.K ? first.Hits[query.K - 1].Score : null;
        var bounded = query with { Bound = bound };
        var rest = await Task.WhenAll(Enumerable.Range(1, layout.ShardNumber - 1).Select(s => SearchShard(layout, s, bounded))).ConfigureAwait(true);
        var answers = new List<(ShardAnswer Answer, string Replica)> { (first, firstReplica) };
        answers.AddRange(rest);
        var merged = answers.SelectMany(a => a.Answer.Hits);
        merged = euclidean ? merged.OrderBy(h => h.Score) : merged.OrderByDescending(h => h.Score);
        var spent = answers.Select((a, s) => new ShardSpent(s, a.Replica, a.Answer.Hits.Count, a.Answer.T1Seen, a.Answer.T2Seen, a.Answer.T3Seen, s == 0 ? null : bound)).ToList();
        return new ClusterAnswer(merged.Take(query.K).ToList(), spent);
    }

    public async Task<long> Count(string collection, string? filter)
    {
        var layout = await Layout(collection).ConfigureAwait(true);
        var counts = await Task.WhenAll(Enumerable.Range(0, layout.ShardNumber).Select(s =>
            OnAnyReplica(layout, s, replica => replica.Count(filter)))).ConfigureAwait(true);
        return counts.Sum(c => c.Result);
    }

    private async Task<CollectionLayout> Layout(string collection) =>
        await layouts.GetAsync(GrainFactory, collection).ConfigureAwait(true)
        ?? throw new KeyNotFoundException($"Collection `{collection}` doesn't exist!");

    /// <summary>The replicas of a shard that may serve: not stale, on an active silo; the primary first, then layout order.</summary>
    private List<string> Live(CollectionLayout layout, int shard)
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.Endpoint.ToString())
            .ToHashSet(StringComparer.Ordinal);
        var live = new List<string>();
        foreach (int r in layout.ServingOrder(shard))
        {
            string key = layout.ReplicaKey(shard, r);
            if (!layout.Stale.Contains(key) && active.Contains(layout.Replicas[shard][r])) live.Add(key);
        }
        return live;
    }

    /// <summary>
    /// Writes to one shard (an upsert, a delete, a payload or index change) through its primary (the first live replica),
    /// which forwards the write to the other live replicas. A primary that cannot be reached is marked stale and the next
    /// live replica takes over (a write applied twice changes nothing more). Replicas that did not take the write (down,
    /// or failed) are marked stale, so they never serve reads that lack it. Fails when fewer replicas than the write
    /// consistency factor took it.
    /// </summary>
    private async Task<long> WriteShard(CollectionLayout layout, int shard, ShardChange change)
    {
        var live = Live(layout, shard);
        var layoutGrain = GrainFactory.GetGrain<ICollectionLayoutGrain>(layout.Name);
        var missed = new List<string>();
        for (int r = 0; r < layout.ReplicationFactor; r++)
            if (!live.Contains(layout.ReplicaKey(shard, r)) && !layout.Stale.Contains(layout.ReplicaKey(shard, r))) missed.Add(layout.ReplicaKey(shard, r));
        Exception? last = null;
        while (live.Count > 0)
        {
            string primary = live[0];
            live.RemoveAt(0);
            WriteOutcome outcome;
            try
            {
                outcome = await GrainFactory.GetGrain<IShardReplicaGrain>(primary).Write(change, live).ConfigureAwait(true);
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                last = e;
                missed.Add(primary);
                continue;
            }
            missed.AddRange(outcome.Missed);
            if (missed.Count > 0) await MarkStale(layoutGrain, layout, shard, missed).ConfigureAwait(true);
            int acknowledged = 1 + live.Count(peer => !outcome.Missed.Contains(peer));
            if (acknowledged < layout.WriteConsistencyFactor)
                throw new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}`: the write is durable on {acknowledged} replica(s), fewer than write_consistency_factor {layout.WriteConsistencyFactor}.");
            return outcome.Sequence;
        }
        if (missed.Count > 0) await MarkStale(layoutGrain, layout, shard, missed).ConfigureAwait(true);
        throw last is null
            ? new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}` has no live replica: the write was not applied.")
            : new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}` has no live replica: the write was not applied ({last.Message}).", last);
    }

    /// <summary>
    /// Records replicas that missed a write; until that is recorded the write is not acknowledged (a replica that missed
    /// it could otherwise serve reads without it).
    /// </summary>
    private static async Task MarkStale(ICollectionLayoutGrain layoutGrain, CollectionLayout layout, int shard, List<string> missed)
    {
        try
        {
            await layoutGrain.MarkStale(missed).ConfigureAwait(true);
        }
        catch (Exception e)
        {
            throw new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}`: replica(s) {string.Join(", ", missed)} missed the write and the layout cannot record it yet " +
                $"({e.GetType().Name}); the write is not acknowledged: retry it once the cluster has noticed the lost silo.", e);
        }
    }

    private Task<(ShardAnswer Answer, string Replica)> SearchShard(CollectionLayout layout, int shard, ShardQuery query) =>
        OnAnyReplica(layout, shard, replica => replica.Search(query));

    /// <summary>Runs a read on the first live replica of a shard that answers; fails, naming the shard, when none does.</summary>
    private async Task<(T Result, string Replica)> OnAnyReplica<T>(CollectionLayout layout, int shard, Func<IShardReplicaGrain, Task<T>> read)
    {
        var failures = new List<string>();
        Exception? last = null;
        foreach (string key in Live(layout, shard))
        {
            try
            {
                return (await read(GrainFactory.GetGrain<IShardReplicaGrain>(key)).ConfigureAwait(true), key);
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                last = e;
                failures.Add($"{key}: {e.GetType().Name}: {FirstLine(e.Message)}");
            }
        }
        throw last is null
            ? new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}` has no live replica: the search cannot be answered completely.")
            : new ShardUnavailableException($"Shard {shard} of collection `{layout.Name}` has no live replica that answers: the search cannot be answered completely ({string.Join("; ", failures)}).", last);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0];
}
