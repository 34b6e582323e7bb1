using System.Text.Json;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace BitSieve.Server.Qdrant;

/// <summary>
/// The Qdrant-compatible REST API: Qdrant's paths, bodies, status codes and error shapes, so that Qdrant's clients
/// work unchanged. Handlers are in <c>QdrantApi.Collections.cs</c>, <c>QdrantApi.Points.cs</c> and
/// <c>QdrantApi.Search.cs</c>; the request bodies are read by the records in <c>Models/</c>.
/// </summary>
public static partial class QdrantApi
{
    /// <summary>The Qdrant REST API version whose subset this server implements (what <c>GET /</c> reports, and clients check).</summary>
    public const string CompatibleVersion = "1.19.0";

    /// <summary>The title <c>GET /</c> and gRPC's health check report.</summary>
    public const string Title = "bitsieve - vector search engine (Qdrant-compatible API)";

    private const string CollectionsTag = "Qdrant: collections";
    private const string PointsTag = "Qdrant: points";
    private const string SearchTag = "Qdrant: search";

    /// <summary>Maps every endpoint of the Qdrant-compatible API.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", Root).WithTags("Service").WithSummary("Version").WithDescription(
            "Qdrant's version object. `version` is the Qdrant API version this server implements a subset of, so that Qdrant clients' compatibility checks pass.")
            .WithMetadata(new ApiExample(null, $$"""{"title":"bitsieve - vector search engine (Qdrant-compatible API)","version":"{{CompatibleVersion}}","commit":null}"""));
        MapCollections(app);
        MapPoints(app);
        MapSearch(app);
        MapUnsupported(app);
    }

    private static Ok<VersionInfo> Root() => TypedResults.Ok(new VersionInfo(Title, CompatibleVersion, null));

    /// <summary>Qdrant endpoints that exist but that BitSieve does not implement: a 400 that says so, not a 404.</summary>
    private static void MapUnsupported(IEndpointRouteBuilder app)
    {
        (string Method, string Pattern, string Feature)[] unsupported =
        [
            ("PATCH", "/collections/{collection_name}", "updating collection parameters"),
            ("POST", "/collections/aliases", "collection aliases"),
            ("GET", "/aliases", "collection aliases"),
            ("GET", "/collections/{collection_name}/aliases", "collection aliases"),
            ("POST", "/collections/{collection_name}/points/batch", "batch update operations"),
            ("PUT", "/collections/{collection_name}/points/vectors", "updating vectors alone (upsert the point)"),
            ("POST", "/collections/{collection_name}/points/vectors/delete", "deleting vectors (delete the point)"),
            ("POST", "/collections/{collection_name}/points/recommend", "the recommend API"),
            ("POST", "/collections/{collection_name}/points/recommend/batch", "the recommend API"),
            ("POST", "/collections/{collection_name}/points/recommend/groups", "the recommend API"),
            ("POST", "/collections/{collection_name}/points/discover", "the discovery API"),
            ("POST", "/collections/{collection_name}/points/discover/batch", "the discovery API"),
            ("POST", "/collections/{collection_name}/points/search/groups", "grouped search"),
            ("POST", "/collections/{collection_name}/points/query/groups", "grouped queries"),
            ("POST", "/collections/{collection_name}/points/search/matrix/pairs", "distance matrices"),
            ("POST", "/collections/{collection_name}/points/search/matrix/offsets", "distance matrices"),
            ("POST", "/collections/{collection_name}/facet", "facet counts"),
            ("GET", "/collections/{collection_name}/snapshots", "snapshots"),
            ("POST", "/collections/{collection_name}/snapshots", "snapshots"),
            ("GET", "/snapshots", "snapshots"),
            ("POST", "/snapshots", "snapshots"),
            ("GET", "/cluster", "cluster management"),
            ("GET", "/collections/{collection_name}/cluster", "cluster management"),
        ];
        // Order 1: where a host maps one of these itself (a cluster silo's /cluster), its own endpoint (order 0) answers.
        foreach (var (method, pattern, feature) in unsupported)
        {
            app.MapMethods(pattern, [method], () => Results.Extensions.NotSupported(feature)).WithOrder(1).ExcludeFromDescription();
        }
    }

    private static IResult NotSupported(this IResultExtensions _, string feature) => throw ApiException.NotSupported(feature);

    /// <summary>Reads the body of a request; the collection is resolved first, so an unknown one is a 404 whatever the body.</summary>
    private static async Task<JsonDocument> Body(HttpRequest request, bool required = false) =>
        await JsonBody.ReadAsync(request, emptyIsEmptyObject: !required).ConfigureAwait(false);

    /// <summary>A successful answer, <c>{"result":…,"status":"ok","time":…}</c>.</summary>
    private static Ok<QdrantResponse<T>> Ok<T>(HttpContext context, T result)
        where T : notnull => TypedResults.Ok(QdrantResponse<T>.Ok(result, RequestTiming.Seconds(context)));
}
