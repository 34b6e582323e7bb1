using System.Text.Json.Serialization;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>
/// Qdrant's <c>CollectionInfo</c>. <c>hnsw_config</c> echoes the collection's graph options (see
/// <see cref="CreateCollection"/>); <c>optimizer_config</c> and <c>wal_config</c> carry Qdrant's defaults, for clients
/// that require these objects (BitSieve has no segments). <c>index</c>, BitSieve's own member, says which index answers
/// unfiltered searches now: <c>graph</c> or <c>flat</c>.
/// </summary>
internal sealed record CollectionInfo(
    string Status, string OptimizerStatus, long IndexedVectorsCount, long PointsCount, int SegmentsCount,
    CollectionConfig Config, IReadOnlyDictionary<string, PayloadIndexInfo> PayloadSchema, string Index)
{
    /// <summary>The wire description of a collection; <paramref name="indexedPoints"/> counts the points holding each indexed key.</summary>
    public static CollectionInfo From(global::BitSieve.CollectionInfo info, IReadOnlyDictionary<string, long> indexedPoints)
    {
        var schema = new Dictionary<string, PayloadIndexInfo>(StringComparer.Ordinal);
        foreach (var (field, type) in info.PayloadIndexes) schema[field] = new PayloadIndexInfo(type, indexedPoints.GetValueOrDefault(field));
        var quantization = info.Options.Bits == 8
            ? new QuantizationConfig { Scalar = new ScalarQuantizationConfig("int8", AlwaysRam: true) }
            : new QuantizationConfig { Binary = new BinaryQuantizationConfig(AlwaysRam: true) };
        var config = new CollectionConfig(
            new CollectionParams(new VectorParams(info.Options.Dimension, CreateCollection.DistanceName(info.Options.Metric)),
                info.Sharding.ShardNumber, info.Sharding.ReplicationFactor, info.Sharding.WriteConsistencyFactor, OnDiskPayload: true),
            HnswConfig.Of(info.Options), OptimizersConfig.QdrantDefault, WalConfig.QdrantDefault, quantization);
        // Qdrant's yellow: optimizing in the background, or (a cluster) a replica catching up.
        return new CollectionInfo(info.Compacting || info.Sharding.StaleReplicas > 0 ? "yellow" : "green", "ok",
            info.Count, info.Count, 1, config, schema, info.AnsweringIndex.ToString().ToLowerInvariant());
    }
}

/// <summary>Qdrant's <c>CollectionConfig</c>.</summary>
internal sealed record CollectionConfig(
    CollectionParams Params, HnswConfig HnswConfig, OptimizersConfig OptimizerConfig, WalConfig WalConfig, QuantizationConfig QuantizationConfig);

/// <summary>Qdrant's <c>CollectionParams</c>: shards and replicas (one of each on a single node), payloads on disk (in SQLite).</summary>
internal sealed record CollectionParams(VectorParams Vectors, int ShardNumber, int ReplicationFactor, int WriteConsistencyFactor, bool OnDiskPayload);

/// <summary>Qdrant's <c>VectorParams</c>: <c>size</c> and <c>distance</c> (Cosine, Dot, Euclid).</summary>
internal sealed record VectorParams(int Size, string Distance);

/// <summary>Qdrant's <c>HnswConfig</c>, echoing a collection's graph options.</summary>
internal sealed record HnswConfig(int M, int EfConstruct, int FullScanThreshold, int MaxIndexingThreads, bool OnDisk)
{
    public static HnswConfig Of(CollectionOptions options)
    {
        var (m, efConstruct, fullScanThreshold) = CreateCollection.HnswConfigOf(options);
        return new(m, efConstruct, fullScanThreshold, 0, false);
    }
}

/// <summary>Qdrant's <c>OptimizersConfig</c>, with Qdrant's defaults.</summary>
internal sealed record OptimizersConfig(
    double DeletedThreshold, int VacuumMinVectorNumber, int DefaultSegmentNumber, int? MaxSegmentSize, int? MemmapThreshold,
    int IndexingThreshold, int FlushIntervalSec, int? MaxOptimizationThreads)
{
    public static readonly OptimizersConfig QdrantDefault = new(0.2, 1000, 0, null, null, 20000, 5, null);
}

/// <summary>Qdrant's <c>WalConfig</c>, with Qdrant's defaults.</summary>
internal sealed record WalConfig(int WalCapacityMb, int WalSegmentsAhead)
{
    public static readonly WalConfig QdrantDefault = new(32, 0);
}

/// <summary>Qdrant's <c>QuantizationConfig</c>: <c>scalar</c> for 8-bit collections, <c>binary</c> for 4-bit ones (one of the two).</summary>
internal sealed record QuantizationConfig
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScalarQuantizationConfig? Scalar { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BinaryQuantizationConfig? Binary { get; init; }
}

/// <summary>Qdrant's <c>ScalarQuantizationConfig</c>.</summary>
internal sealed record ScalarQuantizationConfig(string Type, bool AlwaysRam);

/// <summary>Qdrant's <c>BinaryQuantizationConfig</c>.</summary>
internal sealed record BinaryQuantizationConfig(bool AlwaysRam);

/// <summary>Qdrant's <c>PayloadIndexInfo</c>: the index type and how many points hold a value at its key.</summary>
internal sealed record PayloadIndexInfo(string DataType, long Points);
