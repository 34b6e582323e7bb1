using System.Text.Json;
using System.Text.Json.Serialization;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Cluster.Http;

/// <summary>
/// Moving replicas between silos over HTTP: <c>POST /cluster/rebalance</c> (a silo that joined takes its share of every
/// collection's replicas) and <c>POST /cluster/silos/{peer_id}/drain</c> (every replica moves off the silo before it
/// is stopped). Each answers, once done, the moves it made.
/// </summary>
internal static class MembershipApi
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/cluster/rebalance", async (Rebalancing rebalancing, HttpContext context) =>
            Answer(context, await Run(() => rebalancing.RebalanceAsync(context.RequestAborted)).ConfigureAwait(false)));

        app.MapPost("/cluster/silos/{peer_id}/drain", async (string peer_id, Rebalancing rebalancing, HttpContext context) =>
            Answer(context, await Run(() => rebalancing.DrainAsync(peer_id, context.RequestAborted)).ConfigureAwait(false)));
    }

    /// <summary>Runs the moves; failures in the API's words: an impossible drain 400, a shard without a live replica 503.</summary>
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
        catch (ShardUnavailableException e)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, $"Service unavailable: {e.Message}");
        }
    }

    private static IResult Answer(HttpContext context, IReadOnlyList<ReplicaMove> moves) =>
        TypedResults.Json(QdrantResponse<ReplicaMoves>.Ok(new ReplicaMoves(moves), RequestTiming.Seconds(context)), MembershipJsonContext.Default.QdrantResponseReplicaMoves);
}

/// <summary>The answer of a rebalance or a drain: the replicas it moved, in order.</summary>
internal sealed record ReplicaMoves(IReadOnlyList<ReplicaMove> Moves);

/// <summary>The membership API's serializer metadata, snake_case on the wire as the rest of the API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(QdrantResponse<ReplicaMoves>))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
