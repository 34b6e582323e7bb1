using System.Text.Json;
using System.Text.Json.Serialization;
using BitSieve.Cluster.Grains;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Orleans.Runtime;

namespace BitSieve.Cluster.Http;

/// <summary>
/// The cluster's own endpoints, beside the single node's APIs that a silo serves too: <c>/healthz</c>, <c>/livez</c>
/// and <c>/readyz</c> (200 only once the silo is an active member); <c>GET /cluster</c> (the silos) and
/// <c>GET /collections/{name}/cluster</c> (a collection's shards and replicas), in Qdrant's shapes where it has them;
/// and moving replicas between silos: <c>POST /cluster/rebalance</c> (a silo that joined takes its share of every
/// collection's replicas) and <c>POST /cluster/silos/{peer_id}/drain</c> (every replica moves off the silo before it
/// is stopped), each answering, once done, the moves it made.
/// </summary>
internal static class MembershipApi
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
            return Answer(context, new ClusterStatus("enabled", local.SiloAddress.Endpoint.ToString(), peers), MembershipJsonContext.Default.QdrantResponseClusterStatus);
        });

        app.MapGet("/collections/{collection_name}/cluster", async (string collection_name, IGrainFactory grains, LayoutDirectory layouts, IClusterMembershipService membership, HttpContext context) =>
        {
            var layout = (Database.IsValidName(collection_name) ? await layouts.GetAsync(grains, collection_name).ConfigureAwait(false) : null)
                ?? throw ApiException.CollectionNotFound(collection_name);
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
            return Answer(context, info, MembershipJsonContext.Default.QdrantResponseCollectionClusterInfo);
        });

        app.MapPost("/cluster/rebalance", async (Rebalancing rebalancing, HttpContext context) =>
            Answer(context, await Run(() => rebalancing.RebalanceAsync(context.RequestAborted)).ConfigureAwait(false)));

        app.MapPost("/cluster/silos/{peer_id}/drain", async (string peer_id, Rebalancing rebalancing, HttpContext context) =>
            Answer(context, await Run(() => rebalancing.DrainAsync(peer_id, context.RequestAborted)).ConfigureAwait(false)));
    }

    /// <summary>Runs the moves; an impossible drain is a 400 (a shard without a live replica is the silo's 503).</summary>
    private static async Task<IReadOnlyList<ReplicaMove>> Run(Func<Task<IReadOnlyList<ReplicaMove>>> moves)
    {
        try
        {
            return await moves().ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static IResult Answer(HttpContext context, IReadOnlyList<ReplicaMove> moves) =>
        Answer(context, new ReplicaMoves(moves), MembershipJsonContext.Default.QdrantResponseReplicaMoves);

    private static IResult Answer<T>(HttpContext context, T result, System.Text.Json.Serialization.Metadata.JsonTypeInfo<QdrantResponse<T>> type)
        where T : notnull => TypedResults.Json(QdrantResponse<T>.Ok(result, RequestTiming.Seconds(context)), type);
}

/// <summary>The answer of a rebalance or a drain: the replicas it moved, in order.</summary>
internal sealed record ReplicaMoves(IReadOnlyList<ReplicaMove> Moves);

/// <summary><c>GET /cluster</c>: this silo and every silo the membership lists (Qdrant's <c>ClusterStatus</c> shape where it has one).</summary>
internal sealed record ClusterStatus(string Status, string PeerId, IReadOnlyDictionary<string, PeerInfo> Peers);

/// <summary>One silo: its silo endpoint and its membership status (<c>Active</c>, <c>Joining</c>, <c>Dead</c>, …).</summary>
internal sealed record PeerInfo(string Uri, string State);

/// <summary><c>GET /collections/{name}/cluster</c>: the collection's shards and where each replica is.</summary>
internal sealed record CollectionClusterInfo(int ShardCount, int ReplicationFactor, int WriteConsistencyFactor, IReadOnlyList<ShardInfo> Shards);

/// <summary>One shard and its replicas.</summary>
internal sealed record ShardInfo(int ShardId, IReadOnlyList<ReplicaInfo> Replicas);

/// <summary>
/// One replica: its silo, its state (<c>Active</c>; <c>Dead</c> when its silo is down or it missed a write), and, when
/// reachable, its points and the last write sequence it applied.
/// </summary>
internal sealed record ReplicaInfo(string PeerId, string State, long? PointsCount, long? Sequence);

/// <summary>The cluster endpoints' serializer metadata, snake_case on the wire as the rest of the API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(QdrantResponse<ReplicaMoves>))]
[JsonSerializable(typeof(QdrantResponse<ClusterStatus>))]
[JsonSerializable(typeof(QdrantResponse<CollectionClusterInfo>))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
