using System.Text.RegularExpressions;
using BitSieve.Cluster.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace BitSieve.Cluster;

/// <summary>
/// Brings this silo's stale replicas back into service: every <see cref="ClusterOptions.CatchUpInterval"/>, while the
/// silo is an active member, it reads the layout of each collection this silo holds a replica of (its database's
/// <c>COLLECTION.shard-N</c> collections) and asks the primary of each shard whose replica here is stale to catch it
/// up (<see cref="IShardReplicaGrain.CatchUp"/>). A catch-up that fails is logged and tried again on the next round;
/// the replica stays out of service until one succeeds.
/// </summary>
internal sealed partial class ReplicaRecovery(
    IGrainFactory grains, IClusterMembershipService membership, ILocalSiloDetails local, SiloDatabase database, ClusterOptions options,
    ILogger<ReplicaRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CatchUpInterval, stoppingToken).ConfigureAwait(false);
                if (membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) == SiloStatus.Active) await CatchUpAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One round: every stale replica on this silo whose shard has a live primary is caught up from it.</summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        string self = local.SiloAddress.Endpoint.ToString();
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.Endpoint.ToString()).ToHashSet(StringComparer.Ordinal);
        var collections = database.Database.CollectionNames().Select(name => ShardCollection().Match(name))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal);
        foreach (string collection in collections)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CollectionLayout? layout;
            try
            {
                layout = await grains.GetGrain<ICollectionLayoutGrain>(collection).Get().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Catch-up: the layout of collection {Collection} cannot be read yet: {Error}", collection, e.Message);
                continue;
            }
            if (layout is null) continue;
            for (int s = 0; s < layout.ShardNumber; s++)
            {
                for (int r = 0; r < layout.ReplicationFactor; r++)
                {
                    string replica = layout.ReplicaKey(s, r);
                    if (layout.Replicas[s][r] != self || !layout.Stale.Contains(replica)) continue;
                    string? primary = layout.ServingOrder(s).Select(i => layout.ReplicaKey(s, i))
                        .FirstOrDefault(key => key != replica && !layout.Stale.Contains(key) && active.Contains(ReplicaKeys.Silo(key)));
                    if (primary is null)
                    {
                        logger.LogWarning("Catch-up: replica {Replica} is stale and shard {Shard} of {Collection} has no live replica to catch up from", replica, s, collection);
                        continue;
                    }
                    try
                    {
                        await grains.GetGrain<IShardReplicaGrain>(primary).CatchUp(replica).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning("Catch-up of replica {Replica} from {Primary} failed (retried next round): {Error}", replica, primary, e.Message);
                    }
                }
            }
        }
    }

    [GeneratedRegex(@"^(.+)\.shard-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ShardCollection();
}
