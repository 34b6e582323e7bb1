using System.Text.Json.Nodes;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>Qdrant's successful answer: <c>{"result":…,"status":"ok","time":seconds}</c>.</summary>
/// <typeparam name="T">The result's type.</typeparam>
/// <param name="Result">The result (never null).</param>
/// <param name="Status">Always <c>ok</c>.</param>
/// <param name="Time">Seconds the request took.</param>
internal sealed record QdrantResponse<T>(T Result, string Status, double Time)
    where T : notnull
{
    /// <summary>A successful answer with <paramref name="result"/>.</summary>
    public static QdrantResponse<T> Ok(T result, double time) => new(result, "ok", time);
}

/// <summary>The answer of <c>GET /</c>: <c>{"title","version","commit"}</c>.</summary>
internal sealed record VersionInfo(string Title, string Version, string? Commit);

/// <summary>Qdrant's <c>UpdateResult</c>: the write is applied and durable when this is sent.</summary>
/// <param name="OperationId">The collection's log sequence after the write.</param>
/// <param name="Status">Always <c>completed</c>: BitSieve answers after the write is durable, whatever <c>wait</c> says.</param>
internal sealed record UpdateResult(long OperationId, string Status)
{
    /// <summary>A write that is applied and durable.</summary>
    public static UpdateResult Completed(long operationId) => new(operationId, "completed");
}

/// <summary>Qdrant's <c>CollectionsResponse</c>.</summary>
internal sealed record CollectionsResponse(IReadOnlyList<CollectionDescription> Collections);

/// <summary>Qdrant's <c>CollectionDescription</c>.</summary>
internal sealed record CollectionDescription(string Name);

/// <summary>Qdrant's <c>CollectionExistence</c>.</summary>
internal sealed record CollectionExistence(bool Exists);

/// <summary>Qdrant's <c>Record</c>: a point, its payload and vector null where not asked for.</summary>
internal sealed record Record(PointId Id, JsonObject? Payload, float[]? Vector)
{
    /// <summary>The wire record of a stored point, its payload projected by <paramref name="withPayload"/>.</summary>
    public static Record From(PointRecord point, WithPayloadInterface withPayload) => new(point.Id, withPayload.Apply(point.Payload), point.Vector);
}

/// <summary>Qdrant's <c>ScoredPoint</c>; BitSieve keeps no point versions, so <c>version</c> is 0.</summary>
internal sealed record ScoredPoint(PointId Id, int Version, float Score, JsonObject? Payload, float[]? Vector)
{
    /// <summary>The wire record of a search hit, its payload projected by <paramref name="withPayload"/>.</summary>
    public static ScoredPoint From(global::BitSieve.ScoredPoint hit, WithPayloadInterface withPayload) =>
        new(hit.Id, 0, hit.Score, withPayload.Apply(hit.Payload), hit.Vector);
}

/// <summary>Qdrant's <c>QueryResponse</c>.</summary>
internal sealed record QueryResponse(IReadOnlyList<ScoredPoint> Points);

/// <summary>Qdrant's <c>ScrollResult</c>: a page of points, <c>next_page_offset</c> null on the last page.</summary>
internal sealed record ScrollResult(IReadOnlyList<Record> Points, PointId? NextPageOffset);

/// <summary>Qdrant's <c>CountResult</c>.</summary>
internal sealed record CountResult(long Count);
