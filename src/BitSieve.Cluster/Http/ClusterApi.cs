using System.Text.Json;
using BitSieve.Cluster.Grains;
using BitSieve.Server;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Orleans.Runtime;

namespace BitSieve.Cluster.Http;

/// <summary>
/// The HTTP API of a cluster silo: the Qdrant-compatible subset a sharded collection serves (create with
/// <c>shard_number</c>, <c>replication_factor</c> and <c>write_consistency_factor</c>; info; delete; upsert; search,
/// query; count; and, in <c>ClusterApi.Points.cs</c>, retrieve, scroll, delete points, payload changes and payload
/// indexes), <c>GET /cluster</c>, <c>GET /collections/{name}/cluster</c>, <c>/healthz</c> and <c>/readyz</c>.
/// </summary>
internal static partial class ClusterApi
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("healthz check passed"));
        app.MapGet("/livez", () => TypedResults.Text("healthz check passed"));
        app.MapGet("/readyz", (IClusterMembershipService membership, ILocalSiloDetails local) =>
            membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) == SiloStatus.Active
                ? Results.Text("this silo is an active member of the cluster")
                : Results.Text($"this silo is not an active member of the cluster yet ({membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress)})", statusCode: StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/cluster", (IClusterMembershipService membership, ILocalSiloDetails local, HttpContext context) =>
        {
            var peers = membership.CurrentSnapshot.Members.Values
                .OrderBy(m => m.SiloAddress.Endpoint.ToString(), StringComparer.Ordinal)
                .GroupBy(m => m.SiloAddress.Endpoint.ToString())
                .ToDictionary(g => g.Key, g => new PeerInfo(g.Key, g.OrderByDescending(m => m.SiloAddress.Generation).First().Status.ToString()));
            return Json(context, new ClusterStatus("enabled", local.SiloAddress.Endpoint.ToString(), peers), ClusterJsonContext.Default.QdrantResponseClusterStatus);
        });

        app.MapPut("/collections/{collection_name}", async (string collection_name, HttpRequest request, IGrainFactory grains) =>
        {
            using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
            var create = CreateCollection.Parse(body.RootElement);
            var fields = new JsonFields(body.RootElement, "");
            int shards = fields.Count("shard_number") ?? 1;
            int replication = fields.Count("replication_factor") ?? 1;
            int consistency = fields.Count("write_consistency_factor") ?? 0;
            if (!Database.IsValidName(collection_name) || collection_name.Length > 200)
                throw new ApiException(StatusCodes.Status422UnprocessableEntity, $"Validation error in path parameters: [collection_name: `{collection_name}` is not a valid collection name]");
            if (shards is < 1 or > 1024) throw ApiException.Validation("shard_number", $"value {shards} invalid, must be from 1 to 1024");
            if (replication < 1) throw ApiException.Validation("replication_factor", $"value {replication} invalid, must be 1 or larger");
            await Call(() => grains.GetGrain<ICollectionLayoutGrain>(collection_name).Create(ReplicaOptions.From(create.Options), shards, replication, consistency)).ConfigureAwait(false);
            return Ok(request.HttpContext, true);
        });

        app.MapDelete("/collections/{collection_name}", async (string collection_name, IGrainFactory grains, HttpContext context) =>
            Ok(context, Database.IsValidName(collection_name) && await Call(() => grains.GetGrain<ICollectionLayoutGrain>(collection_name).Drop()).ConfigureAwait(false)));

        app.MapGet("/collections/{collection_name}", async (string collection_name, IGrainFactory grains, LayoutDirectory layouts, HttpContext context) =>
        {
            var layout = await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            long points = await Call(() => grains.GetGrain<IClusterCoordinatorGrain>(0).Count(collection_name, null)).ConfigureAwait(false);
            var vectors = new VectorParams(layout.Options.Dimension, layout.Options.Metric switch { Metric.Dot => "Dot", Metric.Euclidean => "Euclid", _ => "Cosine" });
            var info = new ClusterCollectionInfo(layout.Stale.Count == 0 ? "green" : "yellow", points,
                new ClusterCollectionConfig(new ClusterCollectionParams(vectors, layout.ShardNumber, layout.ReplicationFactor, layout.WriteConsistencyFactor)));
            return Json(context, info, ClusterJsonContext.Default.QdrantResponseClusterCollectionInfo);
        });

        app.MapGet("/collections/{collection_name}/cluster", async (string collection_name, IGrainFactory grains, LayoutDirectory layouts, IClusterMembershipService membership, HttpContext context) =>
        {
            var layout = await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.Endpoint.ToString()).ToHashSet();
            var shards = new List<ShardInfo>();
            for (int s = 0; s < layout.ShardNumber; s++)
            {
                var replicas = new List<ReplicaInfo>();
                for (int r = 0; r < layout.ReplicationFactor; r++)
                {
                    string key = layout.ReplicaKey(s, r), silo = layout.Replicas[s][r];
                    bool live = active.Contains(silo) && !layout.Stale.Contains(key);
                    ReplicaStatus? status = null;
                    if (active.Contains(silo))
                    {
                        try
                        {
                            status = await grains.GetGrain<IShardReplicaGrain>(key).Status().ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is SiloUnavailableException or TimeoutException or OrleansException)
                        {
                            live = false;
                        }
                    }
                    replicas.Add(new ReplicaInfo(silo, live ? "Active" : "Dead", status?.Points, status?.Sequence));
                }
                shards.Add(new ShardInfo(s, replicas));
            }
            var info = new CollectionClusterInfo(layout.ShardNumber, layout.ReplicationFactor, layout.WriteConsistencyFactor, shards);
            return Json(context, info, ClusterJsonContext.Default.QdrantResponseCollectionClusterInfo);
        });

        app.MapPut("/collections/{collection_name}/points", async (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
        {
            var layout = await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
            var points = PointInsertOperations.Parse(body.RootElement, options.MaxPointsPerRequest).Points;
            foreach (var point in points)
                if (point.Vector.Length != layout.Options.Dimension)
                    throw ApiException.WrongInput($"Vector dimension error: expected dim: {layout.Options.Dimension}, got {point.Vector.Length}");
            var wire = points.Select(WirePoint.From).ToList();
            long sequence = await Call(() => grains.GetGrain<IClusterCoordinatorGrain>(0).Upsert(collection_name, wire)).ConfigureAwait(false);
            return Ok(request.HttpContext, UpdateResult.Completed(sequence));
        });

        app.MapPost("/collections/{collection_name}/points/search", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Search(collection_name, request, grains, layouts, options, query: false));
        app.MapPost("/collections/{collection_name}/points/query", (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options) =>
            Search(collection_name, request, grains, layouts, options, query: true));

        app.MapPost("/collections/{collection_name}/points/count", async (string collection_name, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts) =>
        {
            await Layout(layouts, grains, collection_name).ConfigureAwait(false);
            using var body = await JsonBody.ReadAsync(request).ConfigureAwait(false);
            var fields = new JsonFields(body.RootElement, "");
            _ = fields.Filter("filter");
            string? filter = FilterText(body.RootElement);
            long count = await Call(() => grains.GetGrain<IClusterCoordinatorGrain>(0).Count(collection_name, filter)).ConfigureAwait(false);
            return Ok(request.HttpContext, new CountResult(count));
        });

        MapPoints(app);
    }

    private static async Task<IResult> Search(string collection, HttpRequest request, IGrainFactory grains, LayoutDirectory layouts, ServerOptions options, bool query)
    {
        var layout = await Layout(layouts, grains, collection).ConfigureAwait(false);
        using var body = await JsonBody.ReadAsync(request, emptyIsEmptyObject: false).ConfigureAwait(false);
        var search = query ? QueryRequest.Parse(body.RootElement, "", options.MaxLimit) : SearchRequest.Parse(body.RootElement, "", options.MaxLimit);
        if (search.Vector.Length != layout.Options.Dimension)
            throw ApiException.WrongInput($"Vector dimension error: expected dim: {layout.Options.Dimension}, got {search.Vector.Length}");
        var engine = search.Params.ToOptions(search.Offset + search.Limit);
        var shardQuery = ShardQuery.From(search.Vector, engine, FilterText(body.RootElement), search.WithPayload.Enabled, search.WithVector);
        var answer = await Call(() => grains.GetGrain<IClusterCoordinatorGrain>(0).Search(collection, shardQuery, prune: true)).ConfigureAwait(false);
        IEnumerable<global::BitSieve.ScoredPoint> hits = answer.Hits.Select(h => h.ToScoredPoint()).Skip(search.Offset);
        if (search.ScoreThreshold is { } threshold)
            hits = layout.Options.Metric == Metric.Euclidean ? hits.Where(h => h.Score <= threshold) : hits.Where(h => h.Score >= threshold);
        IReadOnlyList<Server.Qdrant.Models.ScoredPoint> points = hits.Select(h => Server.Qdrant.Models.ScoredPoint.From(h, search.WithPayload)).ToList();
        return query ? Ok(request.HttpContext, new QueryResponse(points)) : Ok(request.HttpContext, points);
    }

    /// <summary>The request's <c>filter</c> as JSON text for the replicas (the gateway has parsed it once, so it is valid), or null.</summary>
    private static string? FilterText(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("filter", out var filter) && filter.ValueKind != JsonValueKind.Null ? filter.GetRawText() : null;

    private static async Task<CollectionLayout> Layout(LayoutDirectory layouts, IGrainFactory grains, string collection) =>
        Database.IsValidName(collection) && await Call(() => layouts.GetAsync(grains, collection)).ConfigureAwait(false) is { } layout
            ? layout
            : throw ApiException.CollectionNotFound(collection);

    /// <summary>A grain call, its failures in the API's words: bad input 400, no such collection 404, an unreachable shard 503.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ShardUnavailableException e)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, $"Service unavailable: {e.Message}");
        }
        catch (KeyNotFoundException e)
        {
            throw ApiException.NotFound(e.Message);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static async Task Call(Func<Task> call) => await Call(async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);

    private static IResult Ok<T>(HttpContext context, T result)
        where T : notnull => TypedResults.Ok(QdrantResponse<T>.Ok(result, RequestTiming.Seconds(context)));

    private static IResult Json<T>(HttpContext context, T result, System.Text.Json.Serialization.Metadata.JsonTypeInfo<QdrantResponse<T>> type)
        where T : notnull => TypedResults.Json(QdrantResponse<T>.Ok(result, RequestTiming.Seconds(context)), type);
}
