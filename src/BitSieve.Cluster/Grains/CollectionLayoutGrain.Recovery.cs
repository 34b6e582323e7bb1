namespace BitSieve.Cluster.Grains;

/// <summary>Catch-up: a replica back in service, and each shard's primary kept on a replica that is not stale.</summary>
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
