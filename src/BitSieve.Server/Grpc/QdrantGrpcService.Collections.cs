using BitSieve.Server.Http;
using BitSieve.Server.Qdrant.Models;
using Grpc.Core;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

internal sealed partial class QdrantGrpcService
{
    /// <summary><c>qdrant.Collections/List</c>.</summary>
    public async Task<Q.ListCollectionsResponse> ListCollections(Q.ListCollectionsRequest request, ServerCallContext context)
    {
        var response = new Q.ListCollectionsResponse();
        foreach (string name in await operations.ListCollectionsAsync().ConfigureAwait(false)) response.Collections.Add(new Q.CollectionDescription { Name = name });
        response.Time = Time(context);
        return response;
    }

    /// <summary><c>qdrant.Collections/Get</c>.</summary>
    public async Task<Q.GetCollectionInfoResponse> GetCollection(Q.GetCollectionInfoRequest request, ServerCallContext context) =>
        new() { Result = GrpcResponses.CollectionInfo(await operations.GetCollectionAsync(request.CollectionName).ConfigureAwait(false)), Time = Time(context) };

    /// <summary><c>qdrant.Collections/Create</c>: one unnamed dense vector, as REST's create.</summary>
    public async Task<Q.CollectionOperationResponse> CreateCollection(Q.CreateCollection request, ServerCallContext context)
    {
        await operations.CreateCollectionAsync(request.CollectionName, ReadCreate(request)).ConfigureAwait(false);
        return new Q.CollectionOperationResponse { Result = true, Time = Time(context) };
    }

    /// <summary>
    /// <c>qdrant.Collections/Update</c>. REST serves no collection update (PATCH is refused), so neither does gRPC: an
    /// update that changes nothing answers true, any parameter is refused naming it.
    /// </summary>
    public async Task<Q.CollectionOperationResponse> UpdateCollection(Q.UpdateCollection request, ServerCallContext context)
    {
        await operations.EnsureExistsAsync(request.CollectionName).ConfigureAwait(false);
        (bool Set, string Name)[] changes =
        [
            (request.OptimizersConfig is not null, "optimizers_config"), (request.Params is not null, "params"),
            (request.HnswConfig is not null, "hnsw_config"), (request.VectorsConfig is not null, "vectors_config"),
            (request.QuantizationConfig is not null, "quantization_config"), (request.SparseVectorsConfig is not null, "sparse_vectors_config"),
            (request.StrictModeConfig is not null, "strict_mode_config"), (request.Metadata.Count > 0, "metadata"),
        ];
        if (changes.FirstOrDefault(c => c.Set) is { Set: true } change)
            throw ApiException.NotSupported($"updating collection parameters (`{change.Name}`)", "create a new collection with the parameters you want");
        return new Q.CollectionOperationResponse { Result = true, Time = Time(context) };
    }

    /// <summary><c>qdrant.Collections/Delete</c>: false when there was no such collection.</summary>
    public async Task<Q.CollectionOperationResponse> DeleteCollection(Q.DeleteCollection request, ServerCallContext context) =>
        new() { Result = await operations.DeleteCollectionAsync(request.CollectionName).ConfigureAwait(false), Time = Time(context) };

    /// <summary><c>qdrant.Collections/CollectionExists</c>.</summary>
    public async Task<Q.CollectionExistsResponse> CollectionExists(Q.CollectionExistsRequest request, ServerCallContext context) =>
        new()
        {
            Result = new Q.CollectionExists { Exists = await operations.CollectionExistsAsync(request.CollectionName).ConfigureAwait(false) },
            Time = Time(context),
        };

    /// <summary><c>qdrant.Points/CreateFieldIndex</c>: keyword, integer, float, bool, datetime.</summary>
    public async Task<Q.PointsOperationResponse> CreateFieldIndex(Q.CreateFieldIndexCollection request, ServerCallContext context)
    {
        if (!request.HasFieldType)
            throw ApiException.BadRequest("`field_type` is required (BitSieve does not infer a field's type): one of keyword, integer, float, bool, datetime");
        string schema = request.FieldType switch
        {
            Q.FieldType.Keyword => "keyword",
            Q.FieldType.Integer => "integer",
            Q.FieldType.Float => "float",
            Q.FieldType.Bool => "bool",
            Q.FieldType.Datetime => "datetime",
            Q.FieldType.Geo => "geo",
            Q.FieldType.Text => "text",
            Q.FieldType.Uuid => "uuid",
            var other => other.ToString(),
        };
        var result = await operations.CreateFieldIndexAsync(request.CollectionName, Qdrant.Models.CreateFieldIndex.Create(request.FieldName, schema)).ConfigureAwait(false);
        return Updated(result, context);
    }

    /// <summary><c>qdrant.Points/DeleteFieldIndex</c>.</summary>
    public async Task<Q.PointsOperationResponse> DeleteFieldIndex(Q.DeleteFieldIndexCollection request, ServerCallContext context) =>
        Updated(await operations.DeleteFieldIndexAsync(request.CollectionName, request.FieldName).ConfigureAwait(false), context);

    /// <summary>Reads a create request into collection options with REST's rules (<see cref="Qdrant.Models.CreateCollection"/>).</summary>
    private static Qdrant.Models.CreateCollection ReadCreate(Q.CreateCollection request)
    {
        if (request.SparseVectorsConfig is { Map.Count: > 0 }) throw ApiException.NotSupported("sparse vectors (`sparse_vectors_config`)");
        if (request.Metadata.Count > 0) throw ApiException.NotSupported("collection `metadata`");
        if (request.HasShardingMethod && request.ShardingMethod == Q.ShardingMethod.Custom)
            throw ApiException.NotSupported("sharding method `custom`", "a BitSieve collection is one shard");
        if (request.StrictModeConfig is { Enabled: true }) throw ApiException.NotSupported("strict mode (`strict_mode_config.enabled`)", "use the server's own limits");
        var vectors = request.VectorsConfig?.ConfigCase switch
        {
            Q.VectorsConfig.ConfigOneofCase.Params => request.VectorsConfig.Params,
            Q.VectorsConfig.ConfigOneofCase.ParamsMap => throw ApiException.NotSupported(
                $"named vectors ({string.Join(", ", request.VectorsConfig.ParamsMap.Map.Keys.Select(k => $"`{k}`"))})",
                "create the collection with one unnamed vector: vectors_config.params"),
            _ => throw ApiException.BadRequest("`vectors_config` is required: BitSieve collections hold one dense vector per point (collections of only sparse vectors are not supported)"),
        };
        if (vectors.MultivectorConfig is not null) throw ApiException.NotSupported("multivectors (`vectors_config.params.multivector_config`)");
        if (vectors.HasDatatype && vectors.Datatype is not (Q.Datatype.Default or Q.Datatype.Float32))
            throw ApiException.NotSupported($"datatype `{vectors.Datatype}`", "vectors are stored as float32");
        if (vectors.Size is < 2 or > CollectionOptions.MaxDimension)
            throw ApiException.Validation("vectors_config.params.size", $"value {vectors.Size} invalid, must be from 2 to {CollectionOptions.MaxDimension}");
        var options = new CollectionOptions
        {
            Dimension = (int)vectors.Size,
            Metric = vectors.Distance switch
            {
                Q.Distance.Cosine => Metric.Cosine,
                Q.Distance.Dot => Metric.Dot,
                Q.Distance.Euclid => Metric.Euclidean,
                Q.Distance.Manhattan => throw ApiException.NotSupported("the Manhattan distance", "use Cosine, Dot or Euclid"),
                _ => throw ApiException.Format("`vectors_config.params.distance`: expected one of Cosine, Euclid, Dot"),
            },
            Bits = QuantizationBits(vectors.QuantizationConfig ?? request.QuantizationConfig,
                vectors.QuantizationConfig is null ? "quantization_config" : "vectors_config.params.quantization_config"),
        };
        var (hnsw, path) = vectors.HnswConfig is { } own ? (own, "vectors_config.params.hnsw_config") : (request.HnswConfig, "hnsw_config");
        if (hnsw is not null)
        {
            options = Qdrant.Models.CreateCollection.WithHnswConfig(options, hnsw.HasM ? Saturated(hnsw.M) : null,
                hnsw.HasEfConstruct ? Saturated(hnsw.EfConstruct) : null, hnsw.HasFullScanThreshold ? Saturated(hnsw.FullScanThreshold) : null, path);
        }
        return new Qdrant.Models.CreateCollection(options).WithSharding(
            request.HasShardNumber ? Saturated(request.ShardNumber) : null, request.HasReplicationFactor ? Saturated(request.ReplicationFactor) : null,
            request.HasWriteConsistencyFactor ? Saturated(request.WriteConsistencyFactor) : null);
    }

    private static int Saturated(uint value) => (int)Math.Min(value, int.MaxValue);

    private static long Saturated(ulong value) => (long)Math.Min(value, long.MaxValue);

    private static int QuantizationBits(Q.QuantizationConfig? config, string path) => config?.QuantizationCase switch
    {
        null or Q.QuantizationConfig.QuantizationOneofCase.None => Qdrant.Models.CreateCollection.BinaryBits,
        Q.QuantizationConfig.QuantizationOneofCase.Scalar when config.Scalar.Type == Q.QuantizationType.Int8 => Qdrant.Models.CreateCollection.ScalarBits,
        Q.QuantizationConfig.QuantizationOneofCase.Scalar => throw ApiException.Format($"`{path}.scalar.type`: expected `int8`"),
        Q.QuantizationConfig.QuantizationOneofCase.Binary => Qdrant.Models.CreateCollection.BinaryBits,
        Q.QuantizationConfig.QuantizationOneofCase.Product => throw ApiException.NotSupported("product quantization", "use `scalar` (8 bits per dimension) or `binary` (4 bits)"),
        _ => throw ApiException.NotSupported("turbo quantization", "use `scalar` (8 bits per dimension) or `binary` (4 bits)"),
    };

    private static Q.PointsOperationResponse Updated(UpdateResult result, ServerCallContext context) =>
        new() { Result = GrpcResponses.Update(result), Time = Time(context) };
}
