using System.Text.Json;
using System.Text.Json.Nodes;
using BitSieve.Server.Qdrant.Models;
using Google.Protobuf.Collections;
using M = BitSieve.Server.Qdrant.Models;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

/// <summary>
/// Writes the operations' answers as Qdrant's gRPC messages. Vectors go out in both the current <c>dense</c> field and
/// the older <c>data</c> field of <c>VectorOutput</c>, so clients reading either find them; payloads keep JSON's
/// integers as <c>integer_value</c> and other numbers as <c>double_value</c>.
/// </summary>
internal static class GrpcResponses
{
    public static Q.PointId PointId(PointId id) => id.IsUuid ? new Q.PointId { Uuid = id.ToString() } : new Q.PointId { Num = id.Number };

    public static Q.UpdateResult Update(UpdateResult result) =>
        new() { OperationId = (ulong)Math.Max(0, result.OperationId), Status = Q.UpdateStatus.Completed };

    public static Q.RetrievedPoint Retrieved(PointRecord point, WithPayloadInterface withPayload)
    {
        var retrieved = new Q.RetrievedPoint { Id = PointId(point.Id) };
        if (withPayload.Apply(point.Payload) is { } payload) AddPayload(retrieved.Payload, payload);
        if (point.Vector is { } vector) retrieved.Vectors = Vectors(vector);
        return retrieved;
    }

    public static Q.ScoredPoint Scored(global::BitSieve.ScoredPoint hit, WithPayloadInterface withPayload)
    {
        var scored = new Q.ScoredPoint { Id = PointId(hit.Id), Score = hit.Score, Version = 0 };
        if (withPayload.Apply(hit.Payload) is { } payload) AddPayload(scored.Payload, payload);
        if (hit.Vector is { } vector) scored.Vectors = Vectors(vector);
        return scored;
    }

    private static Q.VectorsOutput Vectors(float[] vector)
    {
        var output = new Q.VectorOutput { Dense = new Q.DenseVector() };
        output.Dense.Data.Add(vector);
#pragma warning disable CS0612 // `data` is deprecated in Qdrant's schema, and still what older clients read.
        output.Data.Add(vector);
#pragma warning restore CS0612
        return new Q.VectorsOutput { Vector = output };
    }

    private static void AddPayload(MapField<string, Q.Value> target, JsonObject payload)
    {
        foreach (var (key, value) in payload) target[key] = Value(value);
    }

    private static Q.Value Value(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return new Q.Value { NullValue = Q.NullValue.NullValue };
            case JsonObject obj:
                var structure = new Q.Struct();
                AddPayload(structure.Fields, obj);
                return new Q.Value { StructValue = structure };
            case JsonArray array:
                var list = new Q.ListValue();
                foreach (var item in array) list.Values.Add(Value(item));
                return new Q.Value { ListValue = list };
        }
        var element = node.GetValue<JsonElement>();
        return element.ValueKind switch
        {
            JsonValueKind.String => new Q.Value { StringValue = element.GetString() },
            JsonValueKind.True => new Q.Value { BoolValue = true },
            JsonValueKind.False => new Q.Value { BoolValue = false },
            JsonValueKind.Number when element.TryGetInt64(out long integer) => new Q.Value { IntegerValue = integer },
            JsonValueKind.Number => new Q.Value { DoubleValue = element.GetDouble() },
            _ => new Q.Value { NullValue = Q.NullValue.NullValue },
        };
    }

    /// <summary>Qdrant's <c>CollectionInfo</c> from the REST record, so both transports describe a collection alike.</summary>
    public static Q.CollectionInfo CollectionInfo(M.CollectionInfo info)
    {
        var parameters = info.Config.Params;
        var vectorParams = new Q.VectorParams
        {
            Size = (ulong)parameters.Vectors.Size,
            Distance = parameters.Vectors.Distance switch
            {
                "Cosine" => Q.Distance.Cosine,
                "Dot" => Q.Distance.Dot,
                "Euclid" => Q.Distance.Euclid,
                _ => Q.Distance.UnknownDistance,
            },
        };
        var hnsw = info.Config.HnswConfig;
        var optimizers = info.Config.OptimizerConfig;
        var wal = info.Config.WalConfig;
        var quantization = info.Config.QuantizationConfig.Scalar is not null
            ? new Q.QuantizationConfig { Scalar = new Q.ScalarQuantization { Type = Q.QuantizationType.Int8 } }
            : new Q.QuantizationConfig { Binary = new Q.BinaryQuantization() };
        var result = new Q.CollectionInfo
        {
            Status = info.Status == "yellow" ? Q.CollectionStatus.Yellow : Q.CollectionStatus.Green,
            OptimizerStatus = new Q.OptimizerStatus { Ok = true },
            SegmentsCount = (ulong)info.SegmentsCount,
            PointsCount = (ulong)info.PointsCount,
            IndexedVectorsCount = (ulong)info.IndexedVectorsCount,
            Config = new Q.CollectionConfig
            {
                Params = new Q.CollectionParams
                {
                    ShardNumber = (uint)parameters.ShardNumber,
                    ReplicationFactor = (uint)parameters.ReplicationFactor,
                    WriteConsistencyFactor = (uint)parameters.WriteConsistencyFactor,
                    VectorsConfig = new Q.VectorsConfig { Params = vectorParams },
                },
                HnswConfig = new Q.HnswConfigDiff
                {
                    M = (ulong)hnsw.M,
                    EfConstruct = (ulong)hnsw.EfConstruct,
                    FullScanThreshold = (ulong)hnsw.FullScanThreshold,
                    MaxIndexingThreads = (ulong)hnsw.MaxIndexingThreads,
                },
                OptimizerConfig = new Q.OptimizersConfigDiff
                {
                    DeletedThreshold = optimizers.DeletedThreshold,
                    VacuumMinVectorNumber = (ulong)optimizers.VacuumMinVectorNumber,
                    DefaultSegmentNumber = (ulong)optimizers.DefaultSegmentNumber,
                    IndexingThreshold = (ulong)optimizers.IndexingThreshold,
                    FlushIntervalSec = (ulong)optimizers.FlushIntervalSec,
                },
                WalConfig = new Q.WalConfigDiff { WalCapacityMb = (ulong)wal.WalCapacityMb, WalSegmentsAhead = (ulong)wal.WalSegmentsAhead },
                QuantizationConfig = quantization,
            },
        };
        foreach (var (field, index) in info.PayloadSchema)
            result.PayloadSchema[field] = new Q.PayloadSchemaInfo { DataType = SchemaType(index.DataType), Points = (ulong)index.Points };
        return result;
    }

    private static Q.PayloadSchemaType SchemaType(string type) => type switch
    {
        "keyword" => Q.PayloadSchemaType.Keyword,
        "integer" => Q.PayloadSchemaType.Integer,
        "float" => Q.PayloadSchemaType.Float,
        "bool" => Q.PayloadSchemaType.Bool,
        "datetime" => Q.PayloadSchemaType.Datetime,
        _ => Q.PayloadSchemaType.UnknownType,
    };
}
