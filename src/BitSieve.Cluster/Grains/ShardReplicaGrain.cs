using System.Globalization;
using System.Text.Json;
using BitSieve.Cluster.Placement;
using BitSieve.Server.Http;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Grains;

/// <summary>
/// A shard replica (see <see cref="IShardReplicaGrain"/>): activated only on the silo its key names, it owns the
/// collection <c>COLLECTION.shard-N</c> of that silo's database. The engine underneath is unchanged: each write is
/// durable in the replica's write-ahead log before the call returns.
/// </summary>
[OwnerSiloPlacement]
internal sealed partial class ShardReplicaGrain(SiloDatabase database, ClusterOptions cluster, ILogger<ShardReplicaGrain> logger) : Grain, IShardReplicaGrain
{
    /// <summary>The collection property that holds the last applied write sequence.</summary>
    internal const string SequenceProperty = "cluster.sequence";

    private Collection? _collection;
    private long _sequence;

    private string LocalName => ReplicaKeys.LocalCollection(this.GetPrimaryKeyString());

    public Task Create(ReplicaOptions options)
    {
        _collection = database.Database.GetOrCreateCollection(LocalName, options.ToOptions());
        _sequence = ReadSequence(_collection);
        return Task.CompletedTask;
    }

    public Task Drop()
    {
        _collection = null;
        database.Database.DeleteCollection(LocalName);
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public async Task<WriteOutcome> Write(ShardChange change, IReadOnlyList<string> peers)
    {
        if (_movedTo is { } successor) return await ForwardToSuccessor(successor, change, peers).ConfigureAwait(true);
        long sequence = _sequence + 1;
        Apply(sequence, change);
        // The replicas this primary caught up take every later write too, even from a caller whose layout predates them.
        var calls = peers.Union(_followers).Where(peer => peer != this.GetPrimaryKeyString())
            .Select(peer => (peer, call: GrainFactory.GetGrain<IShardReplicaGrain>(peer).Replicate(sequence, change))).ToList();
        var missed = new List<string>();
        foreach (var (peer, call) in calls)
        {
            try
            {
                await call.ConfigureAwait(true);
            }
            catch (Exception e)
            {
                logger.LogWarning("Replica {Peer} missed write {Sequence}: {Error}", peer, sequence, e.Message);
                _followers.Remove(peer);
                missed.Add(peer);
            }
        }
        return new WriteOutcome(sequence, missed);
    }

    public Task Replicate(long sequence, ShardChange change)
    {
        Open();
        if (sequence > _sequence + 1) throw MissedWrites(sequence);
        Apply(sequence, change);
        return Task.CompletedTask;
    }

    public Task<ShardAnswer> Search(ShardQuery query)
    {
        var collection = Open();
        var filter = query.Filter is null ? null : ParseFilter(query.Filter);
        var result = collection.Search(query.Vector, query.ToOptions(), filter, query.WithPayload, query.WithVector);
        var hits = result.Hits.Select(h => new WireHit(h.Id.ToString(), h.Score, h.Payload?.ToJsonString(), h.Vector)).ToList();
        return Task.FromResult(new ShardAnswer(hits, result.Trace.T1Seen, result.Trace.T2Seen, result.Trace.T3Seen));
    }

    public Task<long> Count(string? filter) => Task.FromResult(Open().CountPoints(filter is null ? null : ParseFilter(filter)));

    public Task<ReplicaStatus> Status() => Task.FromResult(new ReplicaStatus(Open().Count, _sequence));

    private void Apply(long sequence, ShardChange change)
    {
        var collection = Open();
        change.ApplyTo(collection);
        // After the write: a replica that dies in between applies it again, which changes nothing more.
        // A write applied again (a catch-up replays the replica's last write) leaves the sequence where it was.
        long applied = Math.Max(_sequence, sequence);
        collection.SetProperty(SequenceProperty, applied.ToString(CultureInfo.InvariantCulture));
        _sequence = applied;
        Record(sequence, change);
    }

    private Collection Open()
    {
        if (_collection is not null) return _collection;
        if (!database.Database.CollectionExists(LocalName))
            throw new InvalidOperationException($"Replica {this.GetPrimaryKeyString()} has no data on this silo (its collection {LocalName} was never created here).");
        _collection = database.Database.GetCollection(LocalName);
        _sequence = ReadSequence(_collection);
        return _collection;
    }

    private static long ReadSequence(Collection collection) =>
        collection.GetProperty(SequenceProperty) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;

    private static Filter ParseFilter(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonValues.ParseFilter(document.RootElement, "filter");
    }
}
