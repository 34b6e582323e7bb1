using Microsoft.Extensions.Logging;

namespace BitSieve.Cluster.Grains;

/// <summary>
/// Moving a replica to another silo (see <see cref="IShardReplicaGrain.Move"/>): copy, then switch, run by the shard's
/// primary so that no write of the shard falls between the two.
/// </summary>
internal sealed partial class ShardReplicaGrain
{
    /// <summary>
    /// Set once this replica, the shard's primary, moved itself: the replica that took its place, to which writes sent
    /// here by a caller that read the layout before the move are passed on.
    /// </summary>
    private string? _movedTo;

    public async Task<CatchUpOutcome> Move(int replica, string toSilo)
    {
        string self = this.GetPrimaryKeyString();
        string name = ReplicaKeys.Collection(self);
        int shard = ReplicaKeys.Shard(self);
        var layoutGrain = GrainFactory.GetGrain<ICollectionLayoutGrain>(name);
        var layout = await layoutGrain.Get().ConfigureAwait(true) ?? throw new KeyNotFoundException($"Collection `{name}` doesn't exist!");
        if (replica < 0 || replica >= layout.ReplicationFactor)
            throw new ArgumentException($"Shard {shard} of collection `{name}` has no replica {replica}.", nameof(replica));
        string from = layout.Replicas[shard][replica], moved = layout.ReplicaKey(shard, replica);
        if (layout.Replicas[shard].Contains(toSilo, StringComparer.Ordinal))
            throw new ArgumentException($"Silo {toSilo} already holds a replica of shard {shard} of collection `{name}`: a shard's replicas stay on different silos.", nameof(toSilo));
        if (layout.Stale.Contains(self))
            throw new InvalidOperationException($"Replica {self} is stale: a move of shard {shard} of collection `{name}` runs on its live primary.");
        string target = ReplicaKeys.Of(name, shard, replica, toSilo);
        var outcome = await BringUpToDate(target).ConfigureAwait(true);
        // The switch, in this primary's turn: no write of the shard runs between the copy and the layout's new owner.
        _followers.Add(target);
        await layoutGrain.Move(shard, replica, from, toSilo).ConfigureAwait(true);
        _followers.Remove(moved);
        logger.LogInformation("Replica {Moved} moved to {Target}: {Mode}, {Count} item(s)", moved, target, outcome.FromLog ? "log replay" : "snapshot", outcome.Items);
        if (moved == self)
        {
            _movedTo = target;
            _collection = null;
            _log.Clear();
            _logPoints = 0;
            database.Database.DeleteCollection(LocalName);
        }
        else
        {
            try
            {
                await GrainFactory.GetGrain<IShardReplicaGrain>(moved).Drop().ConfigureAwait(true);
            }
            catch (Exception e)
            {
                logger.LogWarning("Replica {Moved} moved to {Target}, but its old copy on {Silo} could not be deleted (its silo is down?): {Error}; " +
                    "the collection {Local} stays in that silo's database, out of service", moved, target, from, e.Message, LocalName);
            }
        }
        return outcome;
    }

    /// <summary>A write that reached this replica after it moved: the replica that took its place orders it.</summary>
    private Task<WriteOutcome> ForwardToSuccessor(string successor, ShardChange change, IReadOnlyList<string> peers) =>
        GrainFactory.GetGrain<IShardReplicaGrain>(successor).Write(change, [.. peers.Where(peer => peer != successor)]);
}
