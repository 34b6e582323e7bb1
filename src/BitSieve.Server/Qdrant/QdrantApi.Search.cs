using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BitSieve.Server.Qdrant;

public static partial class QdrantApi
{
    private const string SearchDescription =
        "Scores are Qdrant's: cosine similarity and dot product (higher is closer), Euclidean distance (lower is closer); always exact float32 scores. " +
        "`params.exact: true` or `params.quantization.ignore: true` → exact search (deterministic bounds, the top k equals brute force up to ties). " +
        "`params.quantization.oversampling: x` → the fixed-oversampling baseline (top k·⌈x⌉ by the 1-bit estimate, rescored with float32). " +
        "Otherwise the dynamic cascade runs at the default quality (recall@k ≥ 0.995). `rescore: false` still returns exact scores. " +
        "`score_threshold` keeps scores ≥ it (Euclid: distances ≤ it).";

    private static void MapSearch(IEndpointRouteBuilder app)
    {
        const string hits = """[{"id":7,"version":0,"score":0.87,"payload":{"topic":"storage"},"vector":null}]""";

        app.MapPost("/collections/{collection_name}/points/query", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var search = QueryRequest.Parse(body.RootElement, "", ops.Options.MaxLimit);
            var found = (await ops.SearchAsync(collection_name, [search], "this query").ConfigureAwait(false))[0];
            return Ok(request.HttpContext, QueryResponse(found, search));
        }).WithTags(SearchTag).WithSummary("Query points (nearest neighbours)").WithMetadata(new RequestBody(typeof(Models.Requests.QueryRequest))).WithDescription(SearchDescription +
            " `query` is a vector or `{\"nearest\": vector}`; prefetch, fusion, recommend, discover, order_by, formula and point-id queries are refused with 400.")
            .WithMetadata(new ApiExample("""{"query":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"must":[{"key":"topic","match":{"value":"storage"}}]},"params":{"quantization":{"rescore":true,"oversampling":2.0}},"with_payload":true}""",
                $$"""{"result":{"points":{{hits}}},"status":"ok","time":0.002}"""));

        app.MapPost("/collections/{collection_name}/points/query/batch", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var searches = SearchBatch.Parse(body.RootElement, query: true, ops.Options.MaxBatchSearches, ops.Options.MaxLimit);
            var results = await ops.SearchAsync(collection_name, searches, $"this batch of {searches.Count} queries").ConfigureAwait(false);
            return Ok(request.HttpContext, (IReadOnlyList<QueryResponse>)results.Select((hits, i) => QueryResponse(hits, searches[i])).ToList());
        }).WithTags(SearchTag).WithSummary("Query points in a batch").WithMetadata(new RequestBody(typeof(Models.Requests.QueryRequestBatch)))
            .WithMetadata(new ApiExample("""{"searches":[{"query":[0.2,0.1,0.9,0.7],"limit":3},{"query":[0.5,0.3,0.1,0.2],"limit":3,"params":{"exact":true}}]}""",
                $$"""{"result":[{"points":{{hits}}},{"points":[]}],"status":"ok","time":0.004}"""));

        app.MapPost("/collections/{collection_name}/points/search", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var search = SearchRequest.Parse(body.RootElement, "", ops.Options.MaxLimit);
            var found = (await ops.SearchAsync(collection_name, [search], "this search").ConfigureAwait(false))[0];
            return Ok(request.HttpContext, ScoredPoints(found, search));
        }).WithTags(SearchTag).WithSummary("Search points (older API)").WithMetadata(new RequestBody(typeof(Models.Requests.SearchRequest))).WithDescription(SearchDescription + " `vector` and `limit` are required.")
            .WithMetadata(new ApiExample("""{"vector":[0.2,0.1,0.9,0.7],"limit":3,"params":{"exact":true},"with_payload":["topic"]}""",
                $$"""{"result":{{hits}},"status":"ok","time":0.002}"""));

        app.MapPost("/collections/{collection_name}/points/search/batch", async (string collection_name, HttpRequest request, QdrantOperations ops) =>
        {
            await ops.EnsureExistsAsync(collection_name).ConfigureAwait(false);
            using var body = await Body(request, required: true).ConfigureAwait(false);
            var searches = SearchBatch.Parse(body.RootElement, query: false, ops.Options.MaxBatchSearches, ops.Options.MaxLimit);
            var results = await ops.SearchAsync(collection_name, searches, $"this batch of {searches.Count} searches").ConfigureAwait(false);
            return Ok(request.HttpContext, (IReadOnlyList<IReadOnlyList<Models.ScoredPoint>>)results.Select((hits, i) => ScoredPoints(hits, searches[i])).ToList());
        }).WithTags(SearchTag).WithSummary("Search points in a batch (older API)").WithMetadata(new RequestBody(typeof(Models.Requests.SearchRequestBatch)))
            .WithMetadata(new ApiExample("""{"searches":[{"vector":[0.2,0.1,0.9,0.7],"limit":3}]}""", $$"""{"result":[{{hits}}],"status":"ok","time":0.002}"""));
    }

    private static QueryResponse QueryResponse(List<ScoredPoint> hits, VectorSearch search) => new(ScoredPoints(hits, search));

    private static IReadOnlyList<Models.ScoredPoint> ScoredPoints(List<ScoredPoint> hits, VectorSearch search) =>
        hits.Select(hit => Models.ScoredPoint.From(hit, search.WithPayload)).ToList();
}
