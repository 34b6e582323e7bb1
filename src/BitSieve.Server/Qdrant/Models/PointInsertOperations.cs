using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Http;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>
/// Qdrant's upsert body (<c>PUT /collections/{collection_name}/points</c>): <c>{"points":[{"id","vector","payload"}]}</c>
/// or the column form <c>{"batch":{"ids":[…],"vectors":[[…]],"payloads":[…]}}</c>.
/// </summary>
internal sealed record PointInsertOperations(IReadOnlyList<Point> Points)
{
    public static PointInsertOperations Parse(JsonElement root, int maxPoints)
    {
        var body = new JsonFields(root, "");
        body.Unsupported("shard_key", "`shard_key`", "a BitSieve collection is one shard");
        body.Unsupported("update_filter", "`update_filter` (conditional updates)");
        if (body.String("update_mode") is { } mode && mode != "upsert")
            throw ApiException.NotSupported($"`update_mode` `{mode}`", "BitSieve always upserts");
        if (body.Array("points") is { } list) return new(ParseList(list, maxPoints));
        if (body.Object("batch") is { } batch) return new(ParseBatch(batch, maxPoints));
        throw ApiException.Format("expected `points` (a list of {\"id\",\"vector\",\"payload\"}) or `batch` ({\"ids\",\"vectors\",\"payloads\"})");
    }

    private static List<Point> ParseList(JsonElement list, int maxPoints)
    {
        CheckCount(list.GetArrayLength(), maxPoints, "points");
        var points = new List<Point>(list.GetArrayLength());
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var point = new JsonFields(item, $"points[{i}]");
            var id = JsonValues.ReadPointId(point.Required("id"), point.Child("id"));
            var vector = JsonValues.ReadVector(point.Required("vector"), point.Child("vector"));
            points.Add(new Point(id, vector, point.Payload("payload")));
            i++;
        }
        return points;
    }

    private static List<Point> ParseBatch(JsonFields batch, int maxPoints)
    {
        var ids = batch.Array("ids") ?? throw ApiException.Format("missing field `batch.ids`");
        CheckCount(ids.GetArrayLength(), maxPoints, "batch.ids");
        var parsedIds = JsonValues.ReadPointIds(ids, "batch.ids", maxPoints);
        if (!batch.TryGet("vectors", out var vectors)) throw ApiException.Format("missing field `batch.vectors`");
        if (vectors.ValueKind == JsonValueKind.Object)
            throw ApiException.NotSupported("named vectors in `batch.vectors`", "send a list of plain arrays of numbers");
        if (vectors.ValueKind != JsonValueKind.Array) throw batch.TypeError("vectors", "a list of vectors", vectors);
        if (vectors.GetArrayLength() != parsedIds.Count)
            throw ApiException.WrongInput($"the batch has {parsedIds.Count} ids but {vectors.GetArrayLength()} vectors");
        var payloads = batch.Array("payloads");
        if (payloads is { } p && p.GetArrayLength() != parsedIds.Count)
            throw ApiException.WrongInput($"the batch has {parsedIds.Count} ids but {p.GetArrayLength()} payloads");

        var payloadItems = payloads?.EnumerateArray().ToArray();
        var points = new List<Point>(parsedIds.Count);
        int i = 0;
        foreach (var vector in vectors.EnumerateArray())
        {
            JsonObject? payload = null;
            if (payloadItems is not null && payloadItems[i].ValueKind != JsonValueKind.Null)
            {
                payload = payloadItems[i].ValueKind == JsonValueKind.Object ? JsonObject.Create(payloadItems[i])
                    : throw ApiException.Format($"`batch.payloads[{i}]`: expected an object or null, got {JsonValues.Describe(payloadItems[i])}");
            }
            points.Add(new Point(parsedIds[i], JsonValues.ReadVector(vector, $"batch.vectors[{i}]"), payload));
            i++;
        }
        return points;
    }

    private static void CheckCount(int count, int max, string path)
    {
        if (count > max) throw ApiException.Limit($"`{path}` holds {count} points; this server accepts at most {max} per request: split it into batches");
    }
}
