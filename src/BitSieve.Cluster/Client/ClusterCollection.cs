using System.Text.Json.Nodes;
using BitSieve.Cluster.Grains;

namespace BitSieve.Cluster.Client;

/// <summary>
/// A sharded collection seen from a .NET application (see <see cref="BitSieveCluster"/>): the embedded
/// <see cref="Collection"/>'s <see cref="IPointCollection"/>, with the same arguments and results. Each call goes to
/// the cluster's coordinator, as the silos' HTTP API does: writes are acknowledged when durable on every live replica
/// of their shard, searches merge every shard's top k, and a search's trace sums the shards' counts per tier and lists
/// each shard's part (<see cref="SearchTrace.Shards"/>). Filters travel as their JSON text (<see cref="Filter.ToJson"/>)
/// and are read again on the replicas. Properties are kept with the collection's layout. A write's operation id is the
/// highest sequence among the shards it wrote.
/// </summary>
internal sealed class ClusterCollection : IPointCollection
{
    private readonly IGrainFactory _grains;
    private readonly LayoutDirectory _layouts;

    internal ClusterCollection(string name, CollectionOptions options, IGrainFactory grains, LayoutDirectory layouts)
    {
        Name = name;
        Options = options;
        _grains = grains;
        _layouts = layouts;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public CollectionOptions Options { get; }

    private IClusterCoordinatorGrain Coordinator => _grains.GetGrain<IClusterCoordinatorGrain>(0);

    private IClusterPointsGrain Points => _grains.GetGrain<IClusterPointsGrain>(0);

    private ICollectionLayoutGrain Layout => _grains.GetGrain<ICollectionLayoutGrain>(Name);

    /// <inheritdoc />
    public async Task<long> UpsertAsync(IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) return 0;
        return await Coordinator.Upsert(Name, [.. points.Select(WirePoint.From)]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> DeleteAsync(IEnumerable<PointId> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        string[] text = [.. ids.Select(id => id.ToString())];
        if (text.Length == 0) return 0;
        return await Points.Change(Name, new ShardChange(ShardChangeKind.Delete, text, null)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long> DeleteAsync(Filter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return Points.Change(Name, new ShardChange(ShardChangeKind.Delete, null, filter.ToJson()));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PointRecord>> RetrieveAsync(IEnumerable<PointId> ids, bool withPayload = true, bool withVector = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = await Points.Retrieve(Name, [.. ids.Select(id => id.ToString())], withPayload, withVector).ConfigureAwait(false);
        return [.. found.Select(r => r.ToRecord())];
    }

    /// <inheritdoc />
    public async Task<ScrollPage> ScrollAsync(PointId? offset = null, int limit = 10, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        if (limit is < 1 or > Collection.MaxPage) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1..{Collection.MaxPage} points.");
        var page = await Points.Scroll(Name, offset?.ToString(), limit, filter?.ToJson(), withPayload, withVector).ConfigureAwait(false);
        return new ScrollPage([.. page.Points.Select(r => r.ToRecord())], page.NextOffset is null ? null : PointId.Parse(page.NextOffset));
    }

    /// <inheritdoc />
    public Task<long> CountPointsAsync(Filter? filter = null) => Coordinator.Count(Name, filter?.ToJson());

    /// <inheritdoc />
    public async Task<PointSearchResult> SearchAsync(ReadOnlyMemory<float> query, SearchOptions? options = null, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        var answer = await Coordinator.Search(Name, Query(query, options, filter, withPayload, withVector), prune: true).ConfigureAwait(false);
        return Result(answer);
    }

    /// <inheritdoc />
    public async Task<PointSearchResult> SearchHybridAsync(ReadOnlyMemory<float> vector, string query, SearchOptions? options = null, Filter? filter = null,
        bool withPayload = true, bool withVector = false, int candidates = 50, double vectorWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(query);
        var answer = await Points.SearchHybrid(Name, Query(vector, options, filter, withPayload, withVector), query, candidates, vectorWeight).ConfigureAwait(false);
        return Result(answer);
    }

    /// <inheritdoc />
    public Task<long> CreatePayloadIndexAsync(string key, string schema)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(schema);
        return Points.Change(Name, new ShardChange(ShardChangeKind.CreatePayloadIndex, null, null, Field: key, Schema: schema));
    }

    /// <inheritdoc />
    public Task<long> DeletePayloadIndexAsync(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Points.Change(Name, new ShardChange(ShardChangeKind.DeletePayloadIndex, null, null, Field: key));
    }

    /// <inheritdoc />
    public Task<long> ReplaceAsync(Filter replaced, IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("A replacement needs at least one point; to remove points only, delete them.", nameof(points));
        return Points.Replace(Name, replaced.ToJson(), [.. points.Select(WirePoint.From)]);
    }

    /// <inheritdoc />
    public Task<long> SetPayloadAsync(PointSelector points, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Points.Change(Name, Selected(ShardChangeKind.SetPayload, points) with { Payload = payload.ToJsonString() });
    }

    /// <inheritdoc />
    public Task<long> OverwritePayloadAsync(PointSelector points, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Points.Change(Name, Selected(ShardChangeKind.OverwritePayload, points) with { Payload = payload.ToJsonString() });
    }

    /// <inheritdoc />
    public Task<long> DeletePayloadKeysAsync(PointSelector points, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Points.Change(Name, Selected(ShardChangeKind.DeletePayloadKeys, points) with { Keys = keys });
    }

    /// <inheritdoc />
    public Task<long> ClearPayloadAsync(PointSelector points) => Points.Change(Name, Selected(ShardChangeKind.ClearPayload, points));

    /// <inheritdoc />
    public async Task<PointSearchResult> SearchTextAsync(string query, int k = 10, Filter? filter = null, bool withPayload = true, bool withVector = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        new SearchOptions { K = k }.Validate();
        return Result(await Points.SearchText(Name, query, k, filter?.ToJson(), withPayload, withVector).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<CollectionInfo> InfoAsync()
    {
        var shards = await Points.Describe(Name).ConfigureAwait(false);
        var layout = await _layouts.GetAsync(_grains, Name).ConfigureAwait(false) ?? throw new KeyNotFoundException($"Collection `{Name}` doesn't exist!");
        return ShardDescription.Sum(Name, Options, shards) with
        {
            Sharding = new ShardingInfo(layout.ShardNumber, layout.ReplicationFactor, layout.WriteConsistencyFactor, layout.Stale.Count),
        };
    }

    /// <inheritdoc />
    public Task<string?> GetPropertyAsync(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Layout.GetProperty(name);
    }

    /// <inheritdoc />
    public Task SetPropertyAsync(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        return Layout.SetProperty(name, value);
    }

    /// <summary>A change of the points a selector names: their ids as text, or its filter as JSON text.</summary>
    private static ShardChange Selected(ShardChangeKind kind, PointSelector points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return points.Ids is { } ids ? new ShardChange(kind, [.. ids.Select(id => id.ToString())], null) : new ShardChange(kind, null, points.Filter!.ToJson());
    }

    /// <summary>The search as it travels; a vector of the wrong dimension fails here, before it does.</summary>
    private ShardQuery Query(ReadOnlyMemory<float> vector, SearchOptions? options, Filter? filter, bool withPayload, bool withVector)
    {
        if (vector.Length != Options.Dimension)
            throw new ArgumentException($"The query has {vector.Length} dimensions; collection '{Name}' has {Options.Dimension}.", nameof(vector));
        options ??= new SearchOptions();
        options.Validate();
        return ShardQuery.From(vector.ToArray(), options, filter?.ToJson(), withPayload, withVector);
    }

    private static PointSearchResult Result(ClusterAnswer answer)
    {
        var trace = new SearchTrace { Shards = [.. answer.Shards.Select(s => new ShardTrace(s.Shard, s.Replica, s.Hits, s.T1Seen, s.T2Seen, s.T3Seen, s.Bound))] };
        foreach (var shard in answer.Shards)
        {
            trace.T1Seen += shard.T1Seen;
            trace.T2Seen += shard.T2Seen;
            trace.T3Seen += shard.T3Seen;
        }
        return new PointSearchResult([.. answer.Hits.Select(h => h.ToScoredPoint())], trace);
    }
}
