using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Grpc.Core;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

internal sealed partial class QdrantGrpcService
{
    /// <summary><c>qdrant.Points/Upsert</c>.</summary>
    public async Task<Q.PointsOperationResponse> Upsert(Q.UpsertPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        if (request.UpdateFilter is not null) throw ApiException.NotSupported("`update_filter` (conditional updates)");
        if (request.HasUpdateMode && request.UpdateMode != Q.UpdateMode.Upsert)
            throw ApiException.NotSupported($"`update_mode` `{request.UpdateMode}`", "BitSieve always upserts");
        if (request.Points.Count > operations.Options.MaxPointsPerRequest)
            throw ApiException.Limit($"`points` holds {request.Points.Count} points; this server accepts at most {operations.Options.MaxPointsPerRequest} per request: split it into batches");
        await operations.EnsureExistsAsync(request.CollectionName).ConfigureAwait(false);
        var points = new List<Point>(request.Points.Count);
        for (int i = 0; i < request.Points.Count; i++)
        {
            var point = request.Points[i];
            string path = $"points[{i}]";
            points.Add(new Point(GrpcRequests.PointId(point.Id, $"{path}.id"), GrpcRequests.Vector(point.Vectors, $"{path}.vectors"),
                point.Payload.Count == 0 ? null : GrpcRequests.Payload(point.Payload)));
        }
        return Updated(await operations.UpsertAsync(request.CollectionName, points).ConfigureAwait(false), context);
    }

    /// <summary><c>qdrant.Points/Delete</c>: by ids (unknown ones ignored) or by filter.</summary>
    public async Task<Q.PointsOperationResponse> Delete(Q.DeletePoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        return Updated(await operations.DeleteAsync(request.CollectionName, GrpcRequests.Selector(request.Points, "points")).ConfigureAwait(false), context);
    }

    /// <summary><c>qdrant.Points/Get</c>: payloads by default, vectors when asked; unknown ids are left out.</summary>
    public async Task<Q.GetResponse> Get(Q.GetPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        var retrieve = new PointRequest(GrpcRequests.PointIds(request.Ids, "ids"),
            GrpcRequests.WithPayload(request.WithPayload, WithPayloadInterface.All), GrpcRequests.WithVectors(request.WithVectors, "with_vectors"));
        var response = new Q.GetResponse();
        foreach (var point in await operations.RetrieveAsync(request.CollectionName, retrieve).ConfigureAwait(false)) response.Result.Add(GrpcResponses.Retrieved(point, retrieve.WithPayload));
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Points/SetPayload</c>: sets the keys, keeps the others.</summary>
    public async Task<Q.PointsOperationResponse> SetPayload(Q.SetPayloadPoints request, ServerCallContext context) =>
        Updated(await operations.SetPayloadAsync(request.CollectionName, ReadSetPayload(request)).ConfigureAwait(false), context);

    /// <summary><c>qdrant.Points/OverwritePayload</c>: replaces the whole payload.</summary>
    public async Task<Q.PointsOperationResponse> OverwritePayload(Q.SetPayloadPoints request, ServerCallContext context) =>
        Updated(await operations.OverwritePayloadAsync(request.CollectionName, ReadSetPayload(request)).ConfigureAwait(false), context);

    /// <summary><c>qdrant.Points/DeletePayload</c>: removes keys.</summary>
    public async Task<Q.PointsOperationResponse> DeletePayload(Q.DeletePayloadPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        var delete = new DeletePayload([.. request.Keys], GrpcRequests.Selector(request.PointsSelector, "points_selector"));
        return Updated(await operations.DeletePayloadAsync(request.CollectionName, delete).ConfigureAwait(false), context);
    }

    /// <summary><c>qdrant.Points/ClearPayload</c>: empties payloads.</summary>
    public async Task<Q.PointsOperationResponse> ClearPayload(Q.ClearPayloadPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        return Updated(await operations.ClearPayloadAsync(request.CollectionName, GrpcRequests.Selector(request.Points, "points")).ConfigureAwait(false), context);
    }

    /// <summary><c>qdrant.Points/Scroll</c>: id order (integers, then UUIDs), <c>next_page_offset</c> absent on the last page.</summary>
    public async Task<Q.ScrollResponse> Scroll(Q.ScrollPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        if (request.OrderBy is not null) throw ApiException.NotSupported("`order_by` (scrolling in payload order)", "points are scrolled in id order");
        var scroll = ScrollRequest.Create(request.Offset is null ? null : GrpcRequests.PointId(request.Offset, "offset"), request.HasLimit ? request.Limit : null,
            GrpcRequests.Filter(request.Filter, "filter"), GrpcRequests.WithPayload(request.WithPayload, WithPayloadInterface.All),
            GrpcRequests.WithVectors(request.WithVectors, "with_vectors"), operations.Options.MaxLimit);
        var page = await operations.ScrollAsync(request.CollectionName, scroll).ConfigureAwait(false);
        var response = new Q.ScrollResponse();
        foreach (var point in page.Points) response.Result.Add(GrpcResponses.Retrieved(point, scroll.WithPayload));
        if (page.NextOffset is { } next) response.NextPageOffset = GrpcResponses.PointId(next);
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Points/Count</c>: always exact.</summary>
    public async Task<Q.CountResponse> Count(Q.CountPoints request, ServerCallContext context)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        long count = await operations.CountAsync(request.CollectionName, new CountRequest(GrpcRequests.Filter(request.Filter, "filter"))).ConfigureAwait(false);
        return new Q.CountResponse { Result = new Q.CountResult { Count = (ulong)count }, Time = Time(context) };
    }

    /// <summary><c>qdrant.Points/Search</c> (the older API).</summary>
    public async Task<Q.SearchResponse> Search(Q.SearchPoints request, ServerCallContext context)
    {
        var search = ReadSearch(request, "");
        var response = new Q.SearchResponse();
        AddHits(response.Result, (await operations.SearchAsync(request.CollectionName, [search], "this search").ConfigureAwait(false))[0], search);
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Points/SearchBatch</c>.</summary>
    public async Task<Q.SearchBatchResponse> SearchBatch(Q.SearchBatchPoints request, ServerCallContext context)
    {
        CheckBatch(request.SearchPoints.Count, "search_points");
        var searches = request.SearchPoints.Select((s, i) => ReadSearch(s, $"search_points[{i}]")).ToList();
        var response = new Q.SearchBatchResponse();
        response.Result.AddRange(await BatchAsync(request.CollectionName, searches, $"this batch of {searches.Count} searches").ConfigureAwait(false));
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Points/Query</c>: nearest-neighbour queries.</summary>
    public async Task<Q.QueryResponse> Query(Q.QueryPoints request, ServerCallContext context)
    {
        var search = ReadQuery(request, "");
        var response = new Q.QueryResponse();
        AddHits(response.Result, (await operations.SearchAsync(request.CollectionName, [search], "this query").ConfigureAwait(false))[0], search);
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Points/QueryBatch</c>.</summary>
    public async Task<Q.QueryBatchResponse> QueryBatch(Q.QueryBatchPoints request, ServerCallContext context)
    {
        CheckBatch(request.QueryPoints.Count, "query_points");
        var searches = request.QueryPoints.Select((q, i) => ReadQuery(q, $"query_points[{i}]")).ToList();
        var response = new Q.QueryBatchResponse();
        response.Result.AddRange(await BatchAsync(request.CollectionName, searches, $"this batch of {searches.Count} queries").ConfigureAwait(false));
        response.Time = Time(context);
        return response;
    }

    /// <summary>Runs a batch (SearchBatch and QueryBatch alike) and answers one result list per search, in order.</summary>
    private async Task<List<Q.BatchResult>> BatchAsync(string collection, List<VectorSearch> searches, string what)
    {
        var results = await operations.SearchAsync(collection, searches, what).ConfigureAwait(false);
        var batches = new List<Q.BatchResult>(searches.Count);
        for (int i = 0; i < searches.Count; i++)
        {
            var batch = new Q.BatchResult();
            AddHits(batch.Result, results[i], searches[i]);
            batches.Add(batch);
        }
        return batches;
    }

    private SetPayload ReadSetPayload(Q.SetPayloadPoints request)
    {
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        if (request.HasKey) throw ApiException.NotSupported("`key` (setting a payload under a nested path)", "set the whole top-level key");
        return new SetPayload(GrpcRequests.Payload(request.Payload), GrpcRequests.Selector(request.PointsSelector, "points_selector"));
    }

    private void CheckBatch(int count, string field)
    {
        if (count > operations.Options.MaxBatchSearches)
            throw ApiException.Limit($"`{field}` holds {count} searches; this server accepts at most {operations.Options.MaxBatchSearches} per batch");
    }

    private VectorSearch ReadSearch(Q.SearchPoints request, string path)
    {
        string Child(string name) => path.Length == 0 ? name : $"{path}.{name}";
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        if (request.HasVectorName && request.VectorName.Length > 0)
            throw ApiException.NotSupported($"the named vector `{request.VectorName}` in `{Child("vector_name")}`", "BitSieve collections hold one unnamed vector");
        if (request.SparseIndices is not null) throw ApiException.NotSupported($"a sparse vector at `{Child("vector")}`", "send a dense vector");
        return VectorSearch.Create(GrpcRequests.Finite(request.Vector, Child("vector")), GrpcRequests.Filter(request.Filter, Child("filter")),
            GrpcRequests.Params(request.Params), request.HasScoreThreshold ? request.ScoreThreshold : null,
            GrpcRequests.Saturated(request.Limit), request.HasOffset ? GrpcRequests.Saturated(request.Offset) : null,
            GrpcRequests.WithPayload(request.WithPayload, WithPayloadInterface.None), GrpcRequests.WithVectors(request.WithVectors, Child("with_vectors")),
            operations.Options.MaxLimit, Child("limit"));
    }

    private VectorSearch ReadQuery(Q.QueryPoints request, string path)
    {
        string Child(string name) => path.Length == 0 ? name : $"{path}.{name}";
        GrpcRequests.NoShardKey(request.ShardKeySelector);
        if (request.Prefetch.Count > 0) throw ApiException.NotSupported("`prefetch` (multi-stage and hybrid queries)", "send one `query` vector");
        if (request.HasUsing && request.Using.Length > 0)
            throw ApiException.NotSupported($"the named vector `{request.Using}` in `{Child("using")}`", "BitSieve collections hold one unnamed vector");
        if (request.LookupFrom is not null) throw ApiException.NotSupported("`lookup_from`");
        var query = request.Query ?? throw ApiException.BadRequest(
            $"`{Child("query")}` is required: BitSieve answers nearest-neighbour queries (listing points without a query is what scroll does)");
        float[] vector = query.VariantCase switch
        {
            Q.Query.VariantOneofCase.Nearest => GrpcRequests.Vector(query.Nearest, Child("query.nearest")),
            Q.Query.VariantOneofCase.NearestWithMmr => throw ApiException.NotSupported("MMR re-ranking (`query.nearest_with_mmr`)"),
            Q.Query.VariantOneofCase.None => throw ApiException.BadRequest($"`{Child("query")}` holds no query"),
            var other => throw ApiException.NotSupported($"the `{QueryName(other)}` query",
                "BitSieve answers nearest-neighbour queries: send query.nearest with a dense vector"),
        };
        return VectorSearch.Create(vector, GrpcRequests.Filter(request.Filter, Child("filter")), GrpcRequests.Params(request.Params),
            request.HasScoreThreshold ? request.ScoreThreshold : null, request.HasLimit ? GrpcRequests.Saturated(request.Limit) : null,
            request.HasOffset ? GrpcRequests.Saturated(request.Offset) : null, GrpcRequests.WithPayload(request.WithPayload, WithPayloadInterface.None),
            GrpcRequests.WithVectors(request.WithVectors, Child("with_vectors")), operations.Options.MaxLimit, Child("limit"));
    }

    /// <summary>Qdrant's snake_case name of a query variant, for messages.</summary>
    private static string QueryName(Q.Query.VariantOneofCase variant) =>
        Q.Query.Descriptor.Oneofs[0].Fields.FirstOrDefault(f => f.FieldNumber == (int)variant)?.Name ?? variant.ToString();

    private static void AddHits(Google.Protobuf.Collections.RepeatedField<Q.ScoredPoint> target, List<global::BitSieve.ScoredPoint> hits, VectorSearch search)
    {
        foreach (var hit in hits) target.Add(GrpcResponses.Scored(hit, search.WithPayload));
    }
}
