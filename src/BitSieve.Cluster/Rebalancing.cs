using BitSieve.Cluster.Grains;
using Orleans.Runtime;

namespace BitSieve.Cluster;

/// <summary>
/// Moves shard replicas between silos, one at a time, each by its shard's primary (<see cref="IShardReplicaGrain.Move"/>:
/// copy, then switch), so reads and writes go on meanwhile. A <b>rebalance</b> evens out each collection's replicas
/// over the active silos (a silo that joined takes its share); a <b>drain</b> moves every replica off one silo, so that
/// it can be stopped without the shards losing a copy.
/// </summary>
internal sealed class Rebalancing(IGrainFactory grains, IClusterMembershipService membership)
{
    /// <summary>Evens out every collection: moves replicas from the silo that holds most to the one that holds fewest until they differ by one at most.</summary>
    public Task<IReadOnlyList<ReplicaMove>> RebalanceAsync(CancellationToken cancellationToken) => MoveAsync(drained: null, cancellationToken);

    /// <summary>Moves every replica off <paramref name="silo"/> (its endpoint, <c>HOST:PORT</c>) to the active silos that hold fewest.</summary>
    public Task<IReadOnlyList<ReplicaMove>> DrainAsync(string silo, CancellationToken cancellationToken) => MoveAsync(silo, cancellationToken);

    private async Task<IReadOnlyList<ReplicaMove>> MoveAsync(string? drained, CancellationToken cancellationToken)
    {
        var moves = new List<ReplicaMove>();
        foreach (string name in await grains.GetGrain<ICollectionCatalogGrain>(0).List().ConfigureAwait(false))
        {
            var layoutGrain = grains.GetGrain<ICollectionLayoutGrain>(name);
            // Each move changes the layout: read it again before planning the next one (bounded: a replica moves once at most per pass).
            for (int step = 0; ; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var layout = await layoutGrain.Get().ConfigureAwait(false);
                if (layout is null) break;
                var active = ActiveSilos();
                // The drained silo takes no replica, but while it runs its replicas still serve and may be the primaries.
                string? drainedLive = drained is not null && active.Remove(drained) ? drained : null;
                if (step > layout.ShardNumber * layout.ReplicationFactor || NextMove(layout, active, drained) is not var (shard, replica, to)) break;
                string primary = LivePrimary(layout, shard, active, drainedLive)
                    ?? throw new ShardUnavailableException($"Shard {shard} of collection `{name}` has no live replica to copy from: its replica {replica} cannot be moved.");
                var outcome = await grains.GetGrain<IShardReplicaGrain>(primary).Move(replica, to).ConfigureAwait(false);
                moves.Add(new ReplicaMove(name, shard, layout.Replicas[shard][replica], to, outcome.FromLog ? "log" : "snapshot", outcome.Items));
            }
        }
        return moves;
    }

    /// <summary>The next replica to move and where, or null when the collection is balanced (or holds nothing on the drained silo).</summary>
    private static (int Shard, int Replica, string To)? NextMove(CollectionLayout layout, HashSet<string> active, string? drained)
    {
        if (active.Count == 0) return null;
        var held = active.ToDictionary(silo => silo, _ => 0, StringComparer.Ordinal);
        foreach (var shard in layout.Replicas)
            foreach (string silo in shard)
                if (held.ContainsKey(silo)) held[silo]++;
        string? Fewest(int shard) => held.Where(h => !layout.Replicas[shard].Contains(h.Key, StringComparer.Ordinal))
            .OrderBy(h => h.Value).ThenBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key).FirstOrDefault();
        if (drained is not null)
        {
            for (int s = 0; s < layout.ShardNumber; s++)
            {
                int r = Array.IndexOf(layout.Replicas[s], drained);
                if (r < 0) continue;
                return Fewest(s) is { } to ? (s, r, to)
                    : throw new ArgumentException($"Silo {drained} cannot be drained: shard {s} of collection `{layout.Name}` already has a replica on every other active silo " +
                        $"(replication_factor {layout.ReplicationFactor}, {active.Count} other active silo(s)). Add a silo first.");
            }
            return null;
        }
        foreach (var most in held.OrderByDescending(h => h.Value).ThenBy(h => h.Key, StringComparer.Ordinal))
        {
            for (int s = 0; s < layout.ShardNumber; s++)
            {
                int r = Array.IndexOf(layout.Replicas[s], most.Key);
                if (r < 0 || Fewest(s) is not { } to || held[to] + 1 >= most.Value) continue;
                return (s, r, to);
            }
        }
        return null;
    }

    /// <summary>The replica that orders the shard's writes now: the first in serving order that is not stale and on an active silo.</summary>
    private static string? LivePrimary(CollectionLayout layout, int shard, HashSet<string> active, string? drainedLive) =>
        layout.ServingOrder(shard).Select(r => layout.ReplicaKey(shard, r))
            .FirstOrDefault(key => !layout.Stale.Contains(key) && (active.Contains(ReplicaKeys.Silo(key)) || ReplicaKeys.Silo(key) == drainedLive));

    private HashSet<string> ActiveSilos() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.Endpoint.ToString()).ToHashSet(StringComparer.Ordinal);
}

/// <summary>One replica moved: its collection, shard, old and new silo, and how it was copied (<c>log</c> writes or <c>snapshot</c> points).</summary>
internal sealed record ReplicaMove(string Collection, int ShardId, string FromPeerId, string ToPeerId, string Transfer, long Items);
