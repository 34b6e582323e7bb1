using System.Text.Json;
using System.Text.Json.Nodes;

namespace BitSieve.Server.Qdrant.Models.Requests;

// The request bodies of the Qdrant-compatible API as contracts, named as in Qdrant's schema: they give the OpenAPI
// document its request schemas (RequestBody metadata on each route). The handlers read bodies with the parsers in
// Qdrant/Models (JsonFields), which answer a wrong field with Qdrant's error wording and its JSON path. A filter is
// an object in Qdrant's filter language (must, should, must_not, min_should; docs/server.md lists the conditions).

/// <summary>Qdrant's <c>CreateCollection</c>.</summary>
internal sealed record CreateCollection(VectorParams Vectors)
{
    /// <summary><c>{"scalar":{…}}</c> (8 bits per dimension) or <c>{"binary":{…}}</c> (4 bits); none → 4 bits.</summary>
    public JsonObject? QuantizationConfig { get; init; }

    /// <summary>Accepted for compatibility; payloads are always on disk (SQLite).</summary>
    public bool? OnDiskPayload { get; init; }
}

/// <summary>Qdrant's <c>CreateFieldIndex</c>.</summary>
internal sealed record CreateFieldIndex(string FieldName)
{
    /// <summary>keyword, integer, float, bool or datetime, as a name or <c>{"type":…}</c>.</summary>
    public JsonElement? FieldSchema { get; init; }
}

/// <summary>Qdrant's <c>PointInsertOperations</c>: <c>points</c> or <c>batch</c>.</summary>
internal sealed record PointInsertOperations
{
    public IReadOnlyList<PointStruct>? Points { get; init; }

    public PointsBatch? Batch { get; init; }
}

/// <summary>Qdrant's <c>PointStruct</c>.</summary>
internal sealed record PointStruct(PointId Id, float[] Vector)
{
    public JsonObject? Payload { get; init; }
}

/// <summary>Qdrant's <c>Batch</c>: columns of ids, vectors and payloads.</summary>
internal sealed record PointsBatch(IReadOnlyList<PointId> Ids, IReadOnlyList<float[]> Vectors)
{
    public IReadOnlyList<JsonObject?>? Payloads { get; init; }
}

/// <summary>Qdrant's <c>PointRequest</c>.</summary>
internal sealed record PointRequest(IReadOnlyList<PointId> Ids)
{
    /// <summary>true/false, a list of keys, <c>{"include":[…]}</c> or <c>{"exclude":[…]}</c>.</summary>
    public JsonElement? WithPayload { get; init; }

    public bool? WithVector { get; init; }
}

/// <summary>Qdrant's <c>PointsSelector</c>: <c>{"points":[ids]}</c> or <c>{"filter":{…}}</c>.</summary>
internal sealed record PointsSelector
{
    public IReadOnlyList<PointId>? Points { get; init; }

    public JsonObject? Filter { get; init; }
}

/// <summary>Qdrant's <c>SetPayload</c>: the payload, and the points by id or filter.</summary>
internal sealed record SetPayload(JsonObject Payload)
{
    public IReadOnlyList<PointId>? Points { get; init; }

    public JsonObject? Filter { get; init; }
}

/// <summary>Qdrant's <c>DeletePayload</c>: the keys, and the points by id or filter.</summary>
internal sealed record DeletePayload(IReadOnlyList<string> Keys)
{
    public IReadOnlyList<PointId>? Points { get; init; }

    public JsonObject? Filter { get; init; }
}

/// <summary>Qdrant's <c>ScrollRequest</c>.</summary>
internal sealed record ScrollRequest
{
    public PointId? Offset { get; init; }

    public int? Limit { get; init; }

    public JsonObject? Filter { get; init; }

    public JsonElement? WithPayload { get; init; }

    public bool? WithVector { get; init; }
}

/// <summary>Qdrant's <c>CountRequest</c>; counts are always exact.</summary>
internal sealed record CountRequest
{
    public JsonObject? Filter { get; init; }

    public bool? Exact { get; init; }
}

/// <summary>Qdrant's <c>QueryRequest</c>: <c>query</c> is a vector or <c>{"nearest": vector}</c>.</summary>
internal sealed record QueryRequest
{
    public JsonElement? Query { get; init; }

    public int? Limit { get; init; }

    public int? Offset { get; init; }

    public JsonObject? Filter { get; init; }

    public SearchParams? Params { get; init; }

    public float? ScoreThreshold { get; init; }

    public JsonElement? WithPayload { get; init; }

    public bool? WithVector { get; init; }
}

/// <summary>Qdrant's <c>QueryRequestBatch</c>.</summary>
internal sealed record QueryRequestBatch(IReadOnlyList<QueryRequest> Searches);

/// <summary>Qdrant's older <c>SearchRequest</c>: <c>vector</c> and <c>limit</c> are required.</summary>
internal sealed record SearchRequest(float[] Vector, int Limit)
{
    public int? Offset { get; init; }

    public JsonObject? Filter { get; init; }

    public SearchParams? Params { get; init; }

    public float? ScoreThreshold { get; init; }

    public JsonElement? WithPayload { get; init; }

    public bool? WithVector { get; init; }
}

/// <summary>Qdrant's <c>SearchRequestBatch</c>.</summary>
internal sealed record SearchRequestBatch(IReadOnlyList<SearchRequest> Searches);

/// <summary>Qdrant's <c>SearchParams</c> (see <see cref="Models.SearchParams"/> for what each does here).</summary>
internal sealed record SearchParams
{
    public int? HnswEf { get; init; }

    public bool? Exact { get; init; }

    public bool? IndexedOnly { get; init; }

    public QuantizationSearchParams? Quantization { get; init; }
}

/// <summary>Qdrant's <c>QuantizationSearchParams</c>.</summary>
internal sealed record QuantizationSearchParams
{
    public bool? Ignore { get; init; }

    public bool? Rescore { get; init; }

    public double? Oversampling { get; init; }
}
