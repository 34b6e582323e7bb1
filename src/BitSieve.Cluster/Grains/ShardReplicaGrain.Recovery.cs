using System.Globalization;
using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Grains;

/// <summary>
/// Catch-up (see <see cref="IShardReplicaGrain.CatchUp"/>): the log of recent sequenced writes a replica keeps, the
/// replicas a primary brought up to date (its followers), and the receiving side of a log replay or a snapshot.
/// </summary>
internal sealed partial class ShardReplicaGrain
{
    /// <summary>Points per page of a snapshot sent to a replica that catches up.</summary>
    internal const int SnapshotPage = 1_000;

    /// <summary>
    /// The last writes (of every kind) this replica applied, in sequence order, without a hole; at most
    /// <see cref="ClusterOptions.CatchUpLogPoints"/> points (<see cref="ShardChange.Weight"/>).
    /// </summary>
    private readonly Queue<LoggedWrite> _log = new();

    /// <summary>Replicas this primary caught up: they take every later write, whatever layout the caller read.</summary>
    private readonly HashSet<string> _followers = new(StringComparer.Ordinal);

    private long _logPoints;

    /// <summary>The sequence of the log's newest write.</summary>
    private long _lastLogged;

    /// <summary>The ids a snapshot being received has delivered so far; null when no snapshot is under way.</summary>
    private HashSet<string>? _snapshotIds;

    public async Task<CatchUpOutcome> CatchUp(string replica)
    {
        string self = this.GetPrimaryKeyString();
        if (replica == self) throw new ArgumentException($"Replica {self} cannot catch up from itself.", nameof(replica));
        var outcome = await BringUpToDate(replica).ConfigureAwait(true);
        // Until this call returns this primary takes no write, so none falls between the copy and the switch to Live.
        _followers.Add(replica);
        await GrainFactory.GetGrain<ICollectionLayoutGrain>(ReplicaKeys.Collection(replica)).MarkCaughtUp(replica).ConfigureAwait(true);
        logger.LogInformation("Replica {Replica} caught up from {Primary} to write {Sequence}: {Mode}, {Count} item(s)", replica, self, _sequence,
            outcome.FromLog ? "log replay" : "snapshot", outcome.Items);
        return outcome;
    }

    /// <summary>Brings <paramref name="replica"/> to this replica's last write: log replay when the log covers it, else a snapshot.</summary>
    private async Task<CatchUpOutcome> BringUpToDate(string replica)
    {
        string self = this.GetPrimaryKeyString();
        var collection = Open();
        var target = GrainFactory.GetGrain<IShardReplicaGrain>(replica);
        long from = await target.BeginCatchUp(ReplicaOptions.From(collection.Options)).ConfigureAwait(true);
        if (from > _sequence)
            throw new InvalidOperationException($"Replica {replica} has applied write {from.ToString(CultureInfo.InvariantCulture)}, beyond primary {self}'s last write " +
                $"{_sequence.ToString(CultureInfo.InvariantCulture)}: the two diverged. It stays out of service (Dead), its data untouched, for an operator to inspect.");
        CatchUpOutcome outcome;
        if (LogCovers(from))
        {
            // From the target's own last write on, inclusive: a replica killed in the middle of a write may hold that write
            // under a number the shard later gave to another; replaying it makes sure the target has the shard's write too.
            long replayed = 0;
            foreach (var write in _log)
            {
                if (write.Sequence < from) continue;
                await target.Replicate(write.Sequence, write.Change).ConfigureAwait(true);
                replayed++;
            }
            outcome = new CatchUpOutcome(FromLog: true, replayed, _sequence, Removed: 0);
        }
        else
        {
            outcome = await SendSnapshot(collection, target).ConfigureAwait(true);
        }
        return outcome;
    }

    public Task<long> BeginCatchUp(ReplicaOptions options)
    {
        _collection = database.Database.GetOrCreateCollection(LocalName, options.ToOptions());
        _sequence = ReadSequence(_collection);
        return Task.FromResult(_sequence);
    }

    public Task ApplySnapshot(IReadOnlyList<WirePoint> points)
    {
        var collection = Open();
        _snapshotIds ??= new HashSet<string>(StringComparer.Ordinal);
        if (points.Count > 0) collection.Upsert(points.Select(p => p.ToPoint()).ToList());
        foreach (var point in points) _snapshotIds.Add(PointId.Parse(point.Id).ToString());
        return Task.CompletedTask;
    }

    public Task<long> EndSnapshot(long sequence)
    {
        var collection = Open();
        var delivered = _snapshotIds ?? [];
        var extra = new List<PointId>();
        PointId? offset = null;
        do
        {
            var page = collection.Scroll(offset, Collection.MaxPage, withPayload: false);
            extra.AddRange(page.Points.Select(p => p.Id).Where(id => !delivered.Contains(id.ToString())));
            offset = page.NextOffset;
        }
        while (offset is not null);
        if (extra.Count > 0)
        {
            // Points the primary does not hold were never acknowledged (an acknowledged write is durable on the primary).
            logger.LogWarning("Replica {Replica}: {Count} point(s) not on the primary removed by its snapshot (writes that were never acknowledged), first {First}",
                this.GetPrimaryKeyString(), extra.Count, string.Join(", ", extra.Take(10)));
            collection.Delete(extra);
        }
        collection.SetProperty(SequenceProperty, sequence.ToString(CultureInfo.InvariantCulture));
        _sequence = sequence;
        _snapshotIds = null;
        _log.Clear();
        _logPoints = 0;
        return Task.FromResult((long)extra.Count);
    }

    /// <summary>Whether the log holds every write after <paramref name="from"/>, and <paramref name="from"/> itself (see <see cref="CatchUp"/>).</summary>
    private bool LogCovers(long from) =>
        from == _sequence || (_log.Count > 0 && _log.Peek().Sequence <= Math.Max(from, 1));

    private async Task<CatchUpOutcome> SendSnapshot(Collection collection, IShardReplicaGrain target)
    {
        long sent = 0;
        PointId? offset = null;
        do
        {
            var page = collection.Scroll(offset, SnapshotPage, withPayload: true, withVector: true);
            await target.ApplySnapshot(page.Points.Select(p => new WirePoint(p.Id.ToString(), p.Vector!, p.Payload?.ToJsonString())).ToList()).ConfigureAwait(true);
            sent += page.Points.Count;
            offset = page.NextOffset;
        }
        while (offset is not null);
        long removed = await target.EndSnapshot(_sequence).ConfigureAwait(true);
        return new CatchUpOutcome(FromLog: false, sent, _sequence, removed);
    }

    /// <summary>Keeps an applied write for replicas that catch up; a hole in the sequence starts the log afresh.</summary>
    private void Record(long sequence, ShardChange change)
    {
        if (_log.Count > 0 && sequence <= _lastLogged) return; // applied again: the log has it
        if (_log.Count > 0 && sequence != _lastLogged + 1)
        {
            _log.Clear();
            _logPoints = 0;
        }
        _log.Enqueue(new LoggedWrite(sequence, change));
        _lastLogged = sequence;
        _logPoints += change.Weight;
        while (_log.Count > 1 && _logPoints > cluster.CatchUpLogPoints) _logPoints -= _log.Dequeue().Change.Weight;
    }

    /// <summary>A replica asked to apply a write beyond the next one has missed writes: it refuses, and is marked stale.</summary>
    private InvalidOperationException MissedWrites(long sequence) =>
        new($"Replica {this.GetPrimaryKeyString()} has applied write {_sequence.ToString(CultureInfo.InvariantCulture)} and was sent write " +
            $"{sequence.ToString(CultureInfo.InvariantCulture)}: it missed the writes between, and must catch up first.");

    /// <summary>One sequenced write in the log.</summary>
    private sealed record LoggedWrite(long Sequence, ShardChange Change);
}
