using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Grains;

internal sealed partial class ShardReplicaGrain : IShardReplicaPoints
{
    public async Task<WriteOutcome> Change(ShardChange change, IReadOnlyList<string> peers)
    {
        long sequence = _sequence + 1;
        ApplyChange(sequence, change);
        var calls = peers.Select(peer => (peer, call: GrainFactory.GetGrain<IShardReplicaPoints>(peer).ReplicateChange(sequence, change))).ToList();
        var missed = new List<string>();
        foreach (var (peer, call) in calls)
        {
            try
            {
                await call.ConfigureAwait(true);
            }
            catch (Exception e)
            {
                ServiceProvider.GetRequiredService<ILogger<ShardReplicaGrain>>().LogWarning("Replica {Peer} missed change {Sequence}: {Error}", peer, sequence, e.Message);
                missed.Add(peer);
            }
        }
        return new WriteOutcome(sequence, missed);
    }

    public Task ReplicateChange(long sequence, ShardChange change)
    {
        ApplyChange(sequence, change);
        return Task.CompletedTask;
    }

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

    private static WireHit Wire(ScoredPoint hit) => new(hit.Id.ToString(), hit.Score, hit.Payload?.ToJsonString(), hit.Vector);

    private void ApplyChange(long sequence, ShardChange change)
    {
        var collection = Open();
        change.ApplyTo(collection);
        // After the change: a replica that dies in between applies it again, which changes nothing more.
        collection.SetProperty(SequenceProperty, sequence.ToString(CultureInfo.InvariantCulture));
        _sequence = sequence;
    }
}
