using System.Text.Json;
using BitSieve.Server.Http;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>
/// One nearest-neighbour search, as both Qdrant's <c>QueryRequest</c> (<c>/points/query</c>) and the older
/// <c>SearchRequest</c> (<c>/points/search</c>) describe it.
/// </summary>
internal sealed record VectorSearch(
    float[] Vector, Filter? Filter, SearchParams Params, float? ScoreThreshold, int Limit, int Offset,
    WithPayloadInterface WithPayload, bool WithVector)
{
    /// <summary>Reads the fields both request kinds share.</summary>
    public static VectorSearch Read(JsonFields body, float[] vector, int? limit, int maxLimit)
    {
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        body.Unsupported("lookup_from", "`lookup_from`");
        double? threshold = body.Number("score_threshold");
        return Create(vector, body.Filter("filter"), SearchParams.Read(body), threshold is { } t ? (float)t : null, limit, body.Count("offset"),
            WithPayloadInterface.Read(body, WithPayloadInterface.None), WithVectorSelector.Read(body), maxLimit, body.Child("limit"));
    }

    /// <summary>
    /// A search with Qdrant's defaults (limit 10, offset 0) and the server's checks: a limit of at least 1 (else a 422
    /// naming <paramref name="limitPath"/>) and <c>limit + offset</c> within <paramref name="maxLimit"/>. Both transports build searches here.
    /// </summary>
    public static VectorSearch Create(
        float[] vector, Filter? filter, SearchParams parameters, float? scoreThreshold, long? limit, long? offset,
        WithPayloadInterface withPayload, bool withVector, int maxLimit, string limitPath)
    {
        long top = limit ?? 10;
        if (top < 1) throw ApiException.Validation(limitPath, "value 0 invalid, must be 1 or larger");
        long skip = offset ?? 0;
        if (top + skip > maxLimit)
            throw ApiException.Limit($"`{limitPath}` + `offset` = {top + skip} is larger than this server's maximum of {maxLimit} results per search");
        return new VectorSearch(vector, filter, parameters, scoreThreshold, (int)top, (int)skip, withPayload, withVector);
    }
}

/// <summary>Qdrant's <c>QueryRequest</c>: the universal query API, of which BitSieve serves nearest-neighbour queries.</summary>
internal static class QueryRequest
{
    private static readonly string[] OtherQueries =
        ["recommend", "discover", "context", "order_by", "fusion", "rrf", "formula", "sample", "relevance_feedback"];

    public static VectorSearch Parse(JsonElement root, string path, int maxLimit)
    {
        var body = new JsonFields(root, path);
        if (body.TryGet("prefetch", out var prefetch) && !(prefetch.ValueKind == JsonValueKind.Array && prefetch.GetArrayLength() == 0))
            throw ApiException.NotSupported("`prefetch` (multi-stage and hybrid queries)", "send one `query` vector");
        if (body.String("using") is { Length: > 0 } name)
            throw ApiException.NotSupported($"the named vector `{name}` in `using`", "BitSieve collections hold one unnamed vector");
        if (!body.TryGet("query", out var query))
            throw ApiException.BadRequest($"`{body.Child("query")}` is required: BitSieve answers nearest-neighbour queries (listing points without a query is what scroll does)");
        return VectorSearch.Read(body, ReadQuery(query, body.Child("query")), body.Count("limit"), maxLimit);
    }

    private static float[] ReadQuery(JsonElement query, string path)
    {
        switch (query.ValueKind)
        {
            case JsonValueKind.Array:
                return JsonValues.ReadVector(query, path);
            case JsonValueKind.Number or JsonValueKind.String:
                throw ApiException.NotSupported($"a point id as `{path}`", "send the query vector itself");
            case JsonValueKind.Object:
                var fields = new JsonFields(query, path);
                if (fields.TryGet("nearest", out var nearest))
                {
                    fields.Unsupported("mmr", "MMR re-ranking (`nearest.mmr`)");
                    return ReadQuery(nearest, fields.Child("nearest"));
                }
                foreach (string kind in OtherQueries)
                    if (fields.Has(kind)) throw ApiException.NotSupported($"the `{kind}` query", "BitSieve answers nearest-neighbour queries: send a vector or {\"nearest\": vector}");
                return JsonValues.ReadVector(query, path);
            default:
                throw ApiException.Format($"`{path}`: expected a vector or {{\"nearest\": vector}}, got {JsonValues.Describe(query)}");
        }
    }
}

/// <summary>Qdrant's <c>QueryRequestBatch</c> and <c>SearchRequestBatch</c>: <c>{"searches":[…]}</c>.</summary>
internal static class SearchBatch
{
    public static List<VectorSearch> Parse(JsonElement root, bool query, int maxSearches, int maxLimit)
    {
        var body = new JsonFields(root, "");
        var searches = body.Array("searches") ?? throw ApiException.Format("missing field `searches`");
        int count = searches.GetArrayLength();
        if (count > maxSearches) throw ApiException.Limit($"`searches` holds {count} searches; this server accepts at most {maxSearches} per batch");
        var list = new List<VectorSearch>(count);
        int i = 0;
        foreach (var item in searches.EnumerateArray())
        {
            string path = $"searches[{i++}]";
            list.Add(query ? QueryRequest.Parse(item, path, maxLimit) : SearchRequest.Parse(item, path, maxLimit));
        }
        return list;
    }
}

/// <summary>Qdrant's older <c>SearchRequest</c> (<c>/points/search</c>): <c>vector</c> and <c>limit</c> are required.</summary>
internal static class SearchRequest
{
    public static VectorSearch Parse(JsonElement root, string path, int maxLimit)
    {
        var body = new JsonFields(root, path);
        var vector = body.Required("vector");
        if (vector.ValueKind == JsonValueKind.Object && vector.TryGetProperty("name", out var name))
            throw ApiException.NotSupported($"the named vector `{(name.ValueKind == JsonValueKind.String ? name.GetString() : name.GetRawText())}` in `{body.Child("vector")}`", "send the vector as a plain array of numbers");
        int limit = body.Count("limit") ?? throw ApiException.Format($"missing field `{body.Child("limit")}`");
        return VectorSearch.Read(body, JsonValues.ReadVector(vector, body.Child("vector")), limit, maxLimit);
    }
}

/// <summary>
/// Qdrant's <c>SearchParams</c>, mapped onto BitSieve's search modes.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><description><c>exact: true</c> or <c>quantization.ignore: true</c> → <see cref="Quality.Exact"/>: deterministic
/// bounds, the top k equals exact float32 search up to ties.</description></item>
/// <item><description><c>quantization.oversampling: x</c> → the fixed-oversampling baseline with
/// <see cref="SearchOptions.Oversampling"/> = ⌈x⌉: the top k·⌈x⌉ by the 1-bit estimate, rescored with float32.
/// Together with <c>exact</c> or <c>ignore</c> it is a 400: exact would silently become approximate.</description></item>
/// <item><description>otherwise → the dynamic cascade at the default quality (recall@k ≥ 0.995).</description></item>
/// <item><description><c>quantization.rescore: false</c> is accepted, but scores are always exact float32 scores:
/// BitSieve never returns quantized estimates.</description></item>
/// <item><description><c>hnsw_ef</c> → <see cref="SearchOptions.Effort"/>, the beam width of the graph traversal
/// (1 to <see cref="SearchOptions.MaxEffort"/>; raised to the limit when below it), used where the graph answers (see
/// <c>hnsw_config</c> in <see cref="CreateCollection"/>) and ignored by flat collections, filtered and exact searches.</description></item>
/// <item><description><c>indexed_only</c> and <c>acorn</c> are accepted and have no effect (every point is indexed at once).</description></item>
/// </list>
/// </remarks>
internal sealed record SearchParams(bool Exact, bool IgnoreQuantization, double? Oversampling, bool? Rescore, int? Effort = null)
{
    public static readonly SearchParams Default = new(false, false, null, null);

    public static SearchParams Read(JsonFields body)
    {
        if (body.Object("params") is not { } p) return Default;
        int? effort = p.Count("hnsw_ef");
        _ = p.Bool("indexed_only");
        bool exact = p.Bool("exact") ?? false;
        if (p.Object("quantization") is not { } q) return Create(exact, false, null, null, effort, p.Path, p.Child("quantization"));
        return Create(exact, q.Bool("ignore") ?? false, q.Number("oversampling"), q.Bool("rescore"), effort, p.Path, q.Path);
    }

    /// <summary>
    /// The parameters with the server's checks (both transports build them here): <c>hnsw_ef</c> 1 to
    /// <see cref="SearchOptions.MaxEffort"/> and <c>oversampling</c> at least 1 (else a 422), and not <c>oversampling</c>
    /// together with <c>exact</c> or <c>ignore</c> (a 400). <paramref name="path"/> and <paramref name="quantizationPath"/>
    /// name the fields in messages.
    /// </summary>
    public static SearchParams Create(bool exact, bool ignore, double? oversampling, bool? rescore, long? effort, string path, string quantizationPath)
    {
        string Child(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";
        if (effort is < 1 or > SearchOptions.MaxEffort)
            throw ApiException.Validation(Child(path, "hnsw_ef"), $"value {effort} invalid, must be from 1 to {SearchOptions.MaxEffort}");
        if (oversampling is < 1) throw ApiException.Validation(Child(quantizationPath, "oversampling"), $"value {oversampling} invalid, must be 1.0 or larger");
        if ((exact || ignore) && oversampling is not null)
            throw ApiException.BadRequest($"`{Child(quantizationPath, "oversampling")}` cannot be combined with `{(exact ? Child(path, "exact") : Child(quantizationPath, "ignore"))}: true`: exact search certifies the top k, " +
                "oversampling runs an uncertified fixed scan (drop one of them)");
        return new(exact, ignore, oversampling, rescore, (int?)effort);
    }

    /// <summary>The engine options for a search of the top <paramref name="k"/>.</summary>
    public SearchOptions ToOptions(int k) => Exact || IgnoreQuantization
        ? new SearchOptions { K = k, Quality = Quality.Exact }
        : new SearchOptions { K = k, Oversampling = Oversampling is { } x ? (int)Math.Min(Math.Ceiling(x), 1_000_000) : null, Effort = Effort };

    /// <summary>The mode name used in metrics: exact, oversampling or cascade.</summary>
    public string Mode => Exact || IgnoreQuantization ? "exact" : Oversampling is not null ? "oversampling" : "cascade";
}
