using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace BitSieve.Cluster.Placement;

/// <summary>
/// Places a shard replica on the silo its grain key names (<c>COLLECTION/SHARD/REPLICA@HOST:PORT</c>), the silo
/// whose data directory holds the replica; the collection's layout chose those silos so that no two replicas of a
/// shard share one. A replica whose silo is not an active member is not activated anywhere else (that would be an
/// empty replica): the call fails, and readers go to another replica.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
internal sealed class OwnerSiloPlacement : PlacementStrategy
{
    internal static readonly OwnerSiloPlacement Instance = new();
}

/// <summary>Marks a grain class as placed by <see cref="OwnerSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class OwnerSiloPlacementAttribute : PlacementAttribute
{
    public OwnerSiloPlacementAttribute() : base(OwnerSiloPlacement.Instance)
    {
    }
}

/// <summary>The director of <see cref="OwnerSiloPlacement"/>.</summary>
internal sealed class OwnerSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString();
        string owner = Grains.ReplicaKeys.Silo(key);
        foreach (var silo in context.GetCompatibleSilos(target))
            if (silo.Endpoint.ToString() == owner) return Task.FromResult(silo);
        throw new SiloUnavailableException($"Replica {key} lives on silo {owner}, which is not an active member of the cluster.");
    }
}
