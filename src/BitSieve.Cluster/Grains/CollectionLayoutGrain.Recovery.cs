namespace BitSieve.Cluster.Grains;

/// <summary>Catch-up and moves: a replica back in service, a replica switched to another silo, each shard's primary kept on a replica that is not stale.</summary>
internal sealed partial class CollectionLayoutGrain
{
    public async Task MarkCaughtUp(string replica)
    {
        if (state.State.Layout is not { } layout || !layout.Stale.Contains(replica)) return;
        var stale = new HashSet<string>(layout.Stale);
        stale.Remove(replica);
        state.State.Layout = layout with { Stale = stale };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task Move(int shard, int replica, string from, string to)
    {
        string name = this.GetPrimaryKeyString();
        var layout = state.State.Layout ?? throw new KeyNotFoundException($"Collection `{name}` doesn't exist!");
        if (shard < 0 || shard >= layout.ShardNumber || replica < 0 || replica >= layout.ReplicationFactor)
            throw new ArgumentException($"Collection `{name}` has no replica {replica} of shard {shard}.");
        if (layout.Replicas[shard][replica] != from)
            throw new InvalidOperationException($"Replica {replica} of shard {shard} of collection `{name}` is on {layout.Replicas[shard][replica]}, not {from}: it moved meanwhile.");
        if (layout.Replicas[shard].Contains(to, StringComparer.Ordinal))
            throw new ArgumentException($"Silo {to} already holds a replica of shard {shard} of collection `{name}`.");
        string oldKey = layout.ReplicaKey(shard, replica);
        var replicas = layout.Replicas.Select(r => r.ToArray()).ToArray();
        replicas[shard][replica] = to;
        var moved = layout with { Replicas = replicas };
        var stale = new HashSet<string>(layout.Stale);
        stale.Remove(oldKey);
        stale.Remove(moved.ReplicaKey(shard, replica));
        state.State.Layout = moved with { Stale = stale };
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    /// <summary>
    /// Moves the primary of every shard whose primary went stale to the shard's first replica that is not; a shard whose
    /// replicas are all stale keeps its primary (it has no live replica, and its writes fail).
    /// </summary>
    private static CollectionLayout WithPrimariesLive(CollectionLayout layout)
    {
        var primaries = new int[layout.ShardNumber];
        for (int s = 0; s < layout.ShardNumber; s++)
        {
            primaries[s] = layout.PrimaryOf(s);
            if (!layout.Stale.Contains(layout.ReplicaKey(s, primaries[s]))) continue;
            for (int r = 0; r < layout.ReplicationFactor; r++)
            {
                if (layout.Stale.Contains(layout.ReplicaKey(s, r))) continue;
                primaries[s] = r;
                break;
            }
        }
        return layout with { Primaries = primaries };
    }
}
