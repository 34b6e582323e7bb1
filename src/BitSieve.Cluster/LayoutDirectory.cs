using System.Collections.Concurrent;
using BitSieve.Cluster.Grains;

namespace BitSieve.Cluster;

/// <summary>
/// This silo's way to a collection's layout: asks the collection's layout grain, and keeps the last answer. When the
/// layout grain cannot be reached (its silo died and the cluster has not declared it dead yet, so the grain is not yet
/// activated elsewhere from storage), the last answer serves, so reads go on through the detection window; a
/// collection this silo has never seen fails as unavailable.
/// </summary>
internal sealed class LayoutDirectory
{
    private readonly ConcurrentDictionary<string, CollectionLayout> _last = new(StringComparer.Ordinal);

    /// <summary>The layout of <paramref name="collection"/>, or null when there is no such collection.</summary>
    public async Task<CollectionLayout?> GetAsync(IGrainFactory grains, string collection)
    {
        CollectionLayout? layout;
        try
        {
            layout = await grains.GetGrain<ICollectionLayoutGrain>(collection).Get().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return _last.TryGetValue(collection, out var last) ? last
                : throw new ShardUnavailableException($"The layout of collection `{collection}` cannot be reached ({e.GetType().Name}: {e.Message.Split('\n', 2)[0]}); retry once the cluster has noticed the silo that held it is gone.", e);
        }
        if (layout is null) _last.TryRemove(collection, out _);
        else _last[collection] = layout;
        return layout;
    }
}
