using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Http;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>Qdrant's <c>PointRequest</c> (<c>POST /collections/{collection_name}/points</c>): retrieve by ids.</summary>
internal sealed record PointRequest(IReadOnlyList<PointId> Ids, WithPayloadInterface WithPayload, bool WithVector)
{
    public static PointRequest Parse(JsonElement root, int maxIds)
    {
        var body = new JsonFields(root, "");
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        var ids = JsonValues.ReadPointIds(body.Required("ids"), "ids", maxIds);
        return new(ids, WithPayloadInterface.Read(body, WithPayloadInterface.All), WithVectorSelector.Read(body));
    }
}

/// <summary>Qdrant's <c>PointsSelector</c>: <c>{"points":[ids]}</c> or <c>{"filter":{…}}</c>.</summary>
internal static class PointsSelector
{
    /// <summary>Reads the selector fields of <paramref name="body"/> (also used inside <c>SetPayload</c> and <c>DeletePayload</c>).</summary>
    public static PointSelector Read(JsonFields body, int maxIds)
    {
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        bool hasPoints = body.TryGet("points", out var points);
        var filter = body.Filter("filter");
        if (hasPoints && filter is not null) throw ApiException.BadRequest("give either `points` or `filter`, not both");
        if (hasPoints) return PointSelector.ByIds(JsonValues.ReadPointIds(points, "points", maxIds));
        if (filter is not null) return PointSelector.ByFilter(filter);
        throw ApiException.BadRequest("either a list of point ids (`points`) or a `filter` must be provided");
    }
}

/// <summary>Qdrant's <c>SetPayload</c> (<c>POST|PUT /collections/{collection_name}/points/payload</c>).</summary>
internal sealed record SetPayload(JsonObject Payload, PointSelector Points)
{
    public static SetPayload Parse(JsonElement root, int maxIds)
    {
        var body = new JsonFields(root, "");
        body.Unsupported("key", "`key` (setting a payload under a nested path)", "set the whole top-level key");
        var payload = body.Payload("payload") ?? throw ApiException.Format("missing field `payload`");
        return new(payload, PointsSelector.Read(body, maxIds));
    }
}

/// <summary>Qdrant's <c>DeletePayload</c> (<c>POST /collections/{collection_name}/points/payload/delete</c>).</summary>
internal sealed record DeletePayload(IReadOnlyList<string> Keys, PointSelector Points)
{
    public static DeletePayload Parse(JsonElement root, int maxIds)
    {
        var body = new JsonFields(root, "");
        var keys = body.Strings("keys") ?? throw ApiException.Format("missing field `keys`");
        return new(keys, PointsSelector.Read(body, maxIds));
    }
}

/// <summary>Qdrant's <c>ScrollRequest</c> (<c>POST /collections/{collection_name}/points/scroll</c>).</summary>
internal sealed record ScrollRequest(PointId? Offset, int Limit, Filter? Filter, WithPayloadInterface WithPayload, bool WithVector)
{
    public static ScrollRequest Parse(JsonElement root, int maxLimit)
    {
        var body = new JsonFields(root, "");
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        body.Unsupported("order_by", "`order_by` (scrolling in payload order)", "points are scrolled in id order");
        PointId? offset = body.TryGet("offset", out var o) ? JsonValues.ReadPointId(o, "offset") : null;
        return Create(offset, body.Count("limit"), body.Filter("filter"), WithPayloadInterface.Read(body, WithPayloadInterface.All), WithVectorSelector.Read(body), maxLimit);
    }

    /// <summary>A page request with Qdrant's default limit (10) and the server's checks (both transports build it here).</summary>
    public static ScrollRequest Create(PointId? offset, long? limit, Filter? filter, WithPayloadInterface withPayload, bool withVector, int maxLimit)
    {
        long page = limit ?? 10;
        if (page < 1) throw ApiException.Validation("limit", "value 0 invalid, must be 1 or larger");
        if (page > maxLimit) throw ApiException.Limit($"`limit` {page} is larger than this server's maximum page of {maxLimit}");
        return new(offset, (int)page, filter, withPayload, withVector);
    }
}

/// <summary>Qdrant's <c>CountRequest</c> (<c>POST /collections/{collection_name}/points/count</c>); counts are always exact.</summary>
internal sealed record CountRequest(Filter? Filter)
{
    public static CountRequest Parse(JsonElement root)
    {
        var body = new JsonFields(root, "");
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        _ = body.Bool("exact");
        return new(body.Filter("filter"));
    }
}
