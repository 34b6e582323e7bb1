using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Google.Protobuf.Collections;
using EngineFilter = BitSieve.Filter;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

/// <summary>
/// Reads Qdrant's gRPC messages (<c>Qdrant.Client.Grpc</c>) into the request records the REST parsers produce, so that
/// <see cref="Qdrant.QdrantOperations"/> serves both transports. What BitSieve lacks (named, sparse and multi-vectors,
/// shard keys, queries other than nearest, …) is refused with the REST side's <see cref="ApiException"/>, which becomes
/// <c>INVALID_ARGUMENT</c>. Fields that only tune Qdrant's cluster (<c>wait</c>, <c>ordering</c>, <c>timeout</c>,
/// <c>read_consistency</c>) are ignored, as REST ignores them.
/// </summary>
internal static class GrpcRequests
{
    /// <summary>A point id: <c>num</c> or a <c>uuid</c> string.</summary>
    public static PointId PointId(Q.PointId? id, string path) => id?.PointIdOptionsCase switch
    {
        Q.PointId.PointIdOptionsOneofCase.Num => new PointId(id.Num),
        Q.PointId.PointIdOptionsOneofCase.Uuid when global::BitSieve.PointId.TryParse(id.Uuid, out var uuid) && uuid.IsUuid => uuid,
        Q.PointId.PointIdOptionsOneofCase.Uuid => throw ApiException.Format($"`{path}`: `{id.Uuid}` is not a UUID"),
        _ => throw ApiException.Format($"`{path}`: a point id needs `num` or `uuid`"),
    };

    /// <summary>A list of point ids.</summary>
    public static List<PointId> PointIds(RepeatedField<Q.PointId> ids, string path)
    {
        var list = new List<PointId>(ids.Count);
        for (int i = 0; i < ids.Count; i++) list.Add(PointId(ids[i], $"{path}[{i}]"));
        return list;
    }

    /// <summary>A dense vector from a point's <c>vectors</c>: the current <c>dense</c> or the older <c>data</c> field.</summary>
    public static float[] Vector(Q.Vectors? vectors, string path) => vectors?.VectorsOptionsCase switch
    {
        Q.Vectors.VectorsOptionsOneofCase.Vector => Vector(vectors.Vector, $"{path}.vector"),
        Q.Vectors.VectorsOptionsOneofCase.Vectors_ => throw ApiException.NotSupported($"named vectors at `{path}`",
            "BitSieve collections hold one unnamed vector per point"),
        _ => throw ApiException.Format($"`{path}`: the point has no vector"),
    };

    private static float[] Vector(Q.Vector vector, string path)
    {
        switch (vector.VectorCase)
        {
            case Q.Vector.VectorOneofCase.Dense:
                return Finite(vector.Dense.Data, $"{path}.dense.data");
            case Q.Vector.VectorOneofCase.Sparse:
                throw ApiException.NotSupported($"a sparse vector at `{path}`", "send a dense vector");
            case Q.Vector.VectorOneofCase.MultiDense:
                throw ApiException.NotSupported($"a multivector at `{path}`", "send one dense vector per point");
            case Q.Vector.VectorOneofCase.Document or Q.Vector.VectorOneofCase.Image or Q.Vector.VectorOneofCase.Object:
                throw ApiException.NotSupported($"an inference object at `{path}`", "embed the text yourself, or use BitSieve's /v1 text API");
        }
#pragma warning disable CS0612 // the older fields of a vector, deprecated in Qdrant's schema and still sent by older clients
        if (vector.Indices is not null) throw ApiException.NotSupported($"a sparse vector at `{path}`", "send a dense vector");
        if (vector.HasVectorsCount && vector.VectorsCount > 1)
            throw ApiException.NotSupported($"a multivector at `{path}`", "send one dense vector per point");
        return Finite(vector.Data, $"{path}.data");
#pragma warning restore CS0612
    }

    /// <summary>A query vector: <c>VectorInput.dense</c> (a point id as the query is refused, as on REST).</summary>
    public static float[] Vector(Q.VectorInput? input, string path) => input?.VariantCase switch
    {
        Q.VectorInput.VariantOneofCase.Dense => Finite(input.Dense.Data, $"{path}.dense.data"),
        Q.VectorInput.VariantOneofCase.Id => throw ApiException.NotSupported($"a point id as `{path}`", "send the query vector itself"),
        Q.VectorInput.VariantOneofCase.Sparse => throw ApiException.NotSupported($"a sparse vector at `{path}`", "send a dense vector"),
        Q.VectorInput.VariantOneofCase.MultiDense => throw ApiException.NotSupported($"a multivector at `{path}`", "send one dense vector"),
        Q.VectorInput.VariantOneofCase.Document or Q.VectorInput.VariantOneofCase.Image or Q.VectorInput.VariantOneofCase.Object =>
            throw ApiException.NotSupported($"an inference object at `{path}`", "embed the text yourself, or use BitSieve's /v1 text API"),
        _ => throw ApiException.Format($"`{path}`: expected a dense vector"),
    };

    /// <summary>Floats as sent; NaN and infinities are refused as REST refuses numbers that do not fit a float.</summary>
    public static float[] Finite(RepeatedField<float> data, string path)
    {
        var vector = new float[data.Count];
        for (int i = 0; i < vector.Length; i++)
        {
            float x = data[i];
            if (!float.IsFinite(x)) throw ApiException.WrongInput($"`{path}[{i}]` = {x.ToString(CultureInfo.InvariantCulture)} is not a finite number");
            vector[i] = x;
        }
        return vector;
    }

    /// <summary>
    /// A payload filter. The message is written as the JSON of Qdrant's REST filter and read by the same parser as REST's
    /// bodies (<see cref="JsonValues.ParseFilter"/>), so both transports share one filter language: its semantics, its
    /// limits (<see cref="Filter.MaxConditions"/>, <see cref="Filter.MaxDepth"/>) and its messages for what is not supported.
    /// </summary>
    public static Filter? Filter(Q.Filter? filter, string path)
    {
        if (filter is null) return null;
        var json = FilterJson(filter, path, 0);
        using var document = JsonDocument.Parse(json.ToJsonString(), new JsonDocumentOptions { MaxDepth = EngineFilter.MaxDepth * 4 + 8 });
        return JsonValues.ParseFilter(document.RootElement, path);
    }

    private static JsonObject FilterJson(Q.Filter filter, string path, int depth)
    {
        // The parser enforces the depth limit; this stops a message nested deeper than JSON can be written first.
        if (depth > EngineFilter.MaxDepth)
            throw ApiException.BadRequest($"`{path}` is nested more than {EngineFilter.MaxDepth} levels deep");
        var json = new JsonObject();
        if (filter.Must.Count > 0) json["must"] = Conditions(filter.Must, $"{path}.must", depth);
        if (filter.Should.Count > 0) json["should"] = Conditions(filter.Should, $"{path}.should", depth);
        if (filter.MustNot.Count > 0) json["must_not"] = Conditions(filter.MustNot, $"{path}.must_not", depth);
        if (filter.MinShould is { } minShould)
            json["min_should"] = new JsonObject
            {
                ["conditions"] = Conditions(minShould.Conditions, $"{path}.min_should.conditions", depth),
                ["min_count"] = minShould.MinCount,
            };
        return json;
    }

    private static JsonArray Conditions(RepeatedField<Q.Condition> conditions, string path, int depth)
    {
        var array = new JsonArray();
        for (int i = 0; i < conditions.Count; i++) array.Add(Condition(conditions[i], $"{path}[{i}]", depth));
        return array;
    }

    private static JsonObject Condition(Q.Condition condition, string path, int depth) => condition.ConditionOneOfCase switch
    {
        Q.Condition.ConditionOneOfOneofCase.Field => FieldCondition(condition.Field, path),
        Q.Condition.ConditionOneOfOneofCase.IsEmpty => new JsonObject { ["is_empty"] = new JsonObject { ["key"] = condition.IsEmpty.Key } },
        Q.Condition.ConditionOneOfOneofCase.IsNull => new JsonObject { ["is_null"] = new JsonObject { ["key"] = condition.IsNull.Key } },
        Q.Condition.ConditionOneOfOneofCase.HasId => new JsonObject { ["has_id"] = new JsonArray([.. PointIds(condition.HasId.HasId, $"{path}.has_id").Select(IdJson)]) },
        Q.Condition.ConditionOneOfOneofCase.Filter => FilterJson(condition.Filter, $"{path}.filter", depth + 1),
        Q.Condition.ConditionOneOfOneofCase.Nested => new JsonObject
        {
            ["nested"] = new JsonObject
            {
                ["key"] = condition.Nested.Key,
                ["filter"] = FilterJson(condition.Nested.Filter ?? new Q.Filter(), $"{path}.nested.filter", depth + 1),
            },
        },
        Q.Condition.ConditionOneOfOneofCase.HasVector => throw ApiException.BadRequest(
            $"`{path}.has_vector`: the has_vector condition is not supported; BitSieve does not implement this part of Qdrant's filter language"),
        Q.Condition.ConditionOneOfOneofCase.Slice => throw ApiException.BadRequest(
            $"`{path}.slice`: the slice condition is not supported; BitSieve does not implement this part of Qdrant's filter language"),
        _ => throw ApiException.Format($"`{path}`: an empty condition"),
    };

    private static JsonNode IdJson(PointId id) => id.IsUuid ? JsonValue.Create(id.ToString()) : JsonValue.Create(id.Number);

    private static JsonObject FieldCondition(Q.FieldCondition field, string path)
    {
        var json = new JsonObject { ["key"] = field.Key };
        if (field.Match is { } match) json["match"] = Match(match, $"{path}.match");
        if (field.Range is { } range)
        {
            var r = new JsonObject();
            if (range.HasLt) r["lt"] = range.Lt;
            if (range.HasGt) r["gt"] = range.Gt;
            if (range.HasGte) r["gte"] = range.Gte;
            if (range.HasLte) r["lte"] = range.Lte;
            json["range"] = r;
        }
        if (field.DatetimeRange is { } dates)
        {
            var r = new JsonObject();
            if (dates.Lt is { } lt) r["lt"] = Timestamp(lt);
            if (dates.Gt is { } gt) r["gt"] = Timestamp(gt);
            if (dates.Gte is { } gte) r["gte"] = Timestamp(gte);
            if (dates.Lte is { } lte) r["lte"] = Timestamp(lte);
            json["range"] = r;
        }
        if (field.ValuesCount is { } count)
        {
            var r = new JsonObject();
            if (count.HasLt) r["lt"] = count.Lt;
            if (count.HasGt) r["gt"] = count.Gt;
            if (count.HasGte) r["gte"] = count.Gte;
            if (count.HasLte) r["lte"] = count.Lte;
            json["values_count"] = r;
        }
        if (field.GeoBoundingBox is not null || field.GeoRadius is not null || field.GeoPolygon is not null)
            throw ApiException.BadRequest($"`{path}`: geo conditions are not supported; BitSieve does not implement this part of Qdrant's filter language");
        if (field.HasIsEmpty) json["is_empty"] = field.IsEmpty;
        if (field.HasIsNull) json["is_null"] = field.IsNull;
        return json;
    }

    private static string Timestamp(Google.Protobuf.WellKnownTypes.Timestamp timestamp) =>
        timestamp.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    private static JsonObject Match(Q.Match match, string path) => match.MatchValueCase switch
    {
        Q.Match.MatchValueOneofCase.Keyword => new JsonObject { ["value"] = match.Keyword },
        Q.Match.MatchValueOneofCase.Integer => new JsonObject { ["value"] = match.Integer },
        Q.Match.MatchValueOneofCase.Boolean => new JsonObject { ["value"] = match.Boolean },
        Q.Match.MatchValueOneofCase.Text => new JsonObject { ["text"] = match.Text },
        Q.Match.MatchValueOneofCase.Keywords => new JsonObject { ["any"] = new JsonArray([.. match.Keywords.Strings.Select(s => JsonValue.Create(s))]) },
        Q.Match.MatchValueOneofCase.Integers => new JsonObject { ["any"] = new JsonArray([.. match.Integers.Integers.Select(i => JsonValue.Create(i))]) },
        Q.Match.MatchValueOneofCase.ExceptKeywords => new JsonObject { ["except"] = new JsonArray([.. match.ExceptKeywords.Strings.Select(s => JsonValue.Create(s))]) },
        Q.Match.MatchValueOneofCase.ExceptIntegers => new JsonObject { ["except"] = new JsonArray([.. match.ExceptIntegers.Integers.Select(i => JsonValue.Create(i))]) },
        Q.Match.MatchValueOneofCase.Phrase => new JsonObject { ["phrase"] = match.Phrase },
        Q.Match.MatchValueOneofCase.TextAny => new JsonObject { ["text_any"] = match.TextAny },
        Q.Match.MatchValueOneofCase.Prefix => new JsonObject { ["prefix"] = match.Prefix },
        Q.Match.MatchValueOneofCase.Substring => new JsonObject { ["substring"] = match.Substring },
        _ => throw ApiException.Format($"`{path}`: an empty match"),
    };

    /// <summary>A payload: protobuf <c>Value</c>s as JSON (integers stay integers, doubles stay doubles).</summary>
    public static JsonObject Payload(MapField<string, Q.Value> payload)
    {
        var json = new JsonObject();
        foreach (var (key, value) in payload) json[key] = Json(value);
        return json;
    }

    private static JsonNode? Json(Q.Value value) => value.KindCase switch
    {
        Q.Value.KindOneofCase.NullValue or Q.Value.KindOneofCase.None => null,
        Q.Value.KindOneofCase.DoubleValue => double.IsFinite(value.DoubleValue) ? JsonValue.Create(value.DoubleValue)
            : throw ApiException.WrongInput($"a payload holds {value.DoubleValue.ToString(CultureInfo.InvariantCulture)}, which JSON cannot hold"),
        Q.Value.KindOneofCase.IntegerValue => JsonValue.Create(value.IntegerValue),
        Q.Value.KindOneofCase.StringValue => JsonValue.Create(value.StringValue),
        Q.Value.KindOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        Q.Value.KindOneofCase.StructValue => Payload(value.StructValue.Fields),
        Q.Value.KindOneofCase.ListValue => new JsonArray([.. value.ListValue.Values.Select(Json)]),
        _ => null,
    };

    /// <summary><c>with_payload</c>: absent → <paramref name="byDefault"/>; <c>enable</c>, <c>include</c> or <c>exclude</c>.</summary>
    public static WithPayloadInterface WithPayload(Q.WithPayloadSelector? selector, WithPayloadInterface byDefault) => selector?.SelectorOptionsCase switch
    {
        Q.WithPayloadSelector.SelectorOptionsOneofCase.Enable => selector.Enable ? WithPayloadInterface.All : WithPayloadInterface.None,
        Q.WithPayloadSelector.SelectorOptionsOneofCase.Include => new(true, [.. selector.Include.Fields], null),
        Q.WithPayloadSelector.SelectorOptionsOneofCase.Exclude => new(true, null, [.. selector.Exclude.Fields]),
        _ => byDefault,
    };

    /// <summary><c>with_vectors</c>: <c>enable</c>; a list of vector names asks for named vectors, which BitSieve lacks.</summary>
    public static bool WithVectors(Q.WithVectorsSelector? selector, string path) => selector?.SelectorOptionsCase switch
    {
        Q.WithVectorsSelector.SelectorOptionsOneofCase.Enable => selector.Enable,
        Q.WithVectorsSelector.SelectorOptionsOneofCase.Include when selector.Include.Names.Count == 0 => false,
        Q.WithVectorsSelector.SelectorOptionsOneofCase.Include => throw ApiException.NotSupported($"named vectors in `{path}`", "use enable: true or false"),
        _ => false,
    };

    /// <summary>Search parameters, checked as REST's (<see cref="SearchParams.Create"/>).</summary>
    public static SearchParams Params(Q.SearchParams? parameters)
    {
        if (parameters is null) return SearchParams.Default;
        if (parameters.Idf is not null) throw ApiException.NotSupported("`params.idf` (sparse-vector IDF)", "BitSieve has no sparse vectors");
        var q = parameters.Quantization;
        return SearchParams.Create(parameters.Exact, q?.Ignore ?? false, q is { HasOversampling: true } ? q.Oversampling : null,
            q is { HasRescore: true } ? q.Rescore : null, parameters.HasHnswEf ? (long)Math.Min(parameters.HnswEf, long.MaxValue) : null,
            "params", "params.quantization");
    }

    /// <summary>A points selector: ids or a filter.</summary>
    public static PointSelector Selector(Q.PointsSelector? selector, string path) => selector?.PointsSelectorOneOfCase switch
    {
        Q.PointsSelector.PointsSelectorOneOfOneofCase.Points => PointSelector.ByIds(PointIds(selector.Points.Ids, $"{path}.points.ids")),
        Q.PointsSelector.PointsSelectorOneOfOneofCase.Filter => PointSelector.ByFilter(Filter(selector.Filter, $"{path}.filter")!),
        _ => throw ApiException.BadRequest($"`{path}`: either a list of point ids (`points`) or a `filter` must be provided"),
    };

    /// <summary>Refuses a shard key selector (a BitSieve collection is one shard), as REST refuses <c>shard_key</c>.</summary>
    public static void NoShardKey(Q.ShardKeySelector? selector)
    {
        if (selector is not null) throw ApiException.NotSupported("`shard_key_selector`", "a BitSieve collection is one shard");
    }

    /// <summary>A count that fits an <see cref="int"/>-sized server limit, saturated (the limit check then names it).</summary>
    public static long Saturated(ulong value) => (long)Math.Min(value, (ulong)int.MaxValue + 1);
}
