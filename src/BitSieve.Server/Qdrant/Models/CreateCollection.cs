using System.Text.Json;
using BitSieve.Server.Http;

namespace BitSieve.Server.Qdrant.Models;

/// <summary>
/// Qdrant's <c>CreateCollection</c> body (<c>PUT /collections/{collection_name}</c>), read into BitSieve's
/// <see cref="CollectionOptions"/>.
/// </summary>
/// <remarks>
/// <para><c>vectors.size</c> and <c>vectors.distance</c> (<c>Cosine</c>, <c>Dot</c>, <c>Euclid</c>) map onto the
/// dimension and metric. <c>quantization_config</c> picks the precision ladder: <c>scalar</c> (int8) → 8 bits per
/// dimension in T1 + T2, <c>binary</c> (any encoding) → 4 bits; none → 4 bits (BitSieve always keeps the quantized
/// tiers and the float32 originals, so there is no unquantized mode). Its tuning fields (<c>quantile</c>,
/// <c>always_ram</c>, <c>query_encoding</c>, …) are accepted and have no effect.</para>
/// <para><c>hnsw_config</c> (or <c>vectors.hnsw_config</c>, which wins) configures the graph index
/// (<see cref="IndexType"/>): <c>m</c> = 0 → <see cref="IndexType.Flat"/>; otherwise the collection is
/// <see cref="IndexType.Auto"/> with <see cref="CollectionOptions.GraphDegree"/> = 2·<c>m</c> (an HNSW base layer's
/// degree; <c>m</c> 1 to 127), <see cref="CollectionOptions.GraphBuildBeam"/> = <c>ef_construct</c> (1 to 4096) and
/// <see cref="CollectionOptions.GraphThreshold"/> = <c>full_scan_threshold</c> kilobytes of float32 vectors in points
/// (Qdrant's "1 KB = one vector of 256 dimensions", rounded up to whole points). Its other fields
/// (<c>max_indexing_threads</c>, <c>on_disk</c>, <c>payload_m</c>, …) are accepted and have no effect.</para>
/// <para><c>shard_number</c> (1 to 1024), <c>replication_factor</c> (1 or more) and <c>write_consistency_factor</c>
/// (0, the default, means 1, as Qdrant's default) are checked as Qdrant checks them and used by a cluster silo (see
/// <see cref="IDatabase.CreateCollectionAsync"/>); a single node keeps every collection as one shard in one copy.
/// Accepted and ignored, because they tune Qdrant's storage without changing any answer: <c>on_disk_payload</c>,
/// <c>wal_config</c>, <c>optimizers_config</c>, <c>payload</c>, <c>vectors.on_disk</c>, <c>vectors.memory</c>. Refused with a 400 that names them: named vectors, sparse vectors, multivectors,
/// datatypes other than float32, the Manhattan distance, product and turbo quantization, custom sharding,
/// <c>init_from</c>, collection <c>metadata</c> and an enabled <c>strict_mode_config</c>.</para>
/// </remarks>
internal sealed record CreateCollection(CollectionOptions Options, int ShardNumber = 1, int ReplicationFactor = 1, int WriteConsistencyFactor = 0)
{
    /// <summary>The most shards of one collection (Qdrant's limit).</summary>
    public const int MaxShards = 1024;

    /// <summary>Bits per dimension of T1 + T2 for <c>scalar</c> (int8) quantization.</summary>
    public const int ScalarBits = 8;

    /// <summary>Bits per dimension of T1 + T2 for <c>binary</c> quantization, and without a quantization config.</summary>
    public const int BinaryBits = 4;

    public static CreateCollection Parse(JsonElement root)
    {
        var body = new JsonFields(root, "");
        if (!body.TryGet("vectors", out var vectors))
            throw ApiException.BadRequest("`vectors` is required: BitSieve collections hold one dense vector per point, e.g. {\"vectors\":{\"size\":384,\"distance\":\"Cosine\"}} (collections of only sparse vectors are not supported)");
        body.Unsupported("sparse_vectors", "sparse vectors (`sparse_vectors`)", null, v => v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any());
        body.Unsupported("init_from", "`init_from`");
        body.Unsupported("metadata", "collection `metadata`", null, v => v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any());
        if (body.String("sharding_method") is { } sharding && sharding != "auto")
            throw ApiException.NotSupported($"sharding method `{sharding}`", "a BitSieve collection is one shard");
        if (body.Object("strict_mode_config") is { } strict && strict.Bool("enabled") == true)
            throw ApiException.NotSupported("strict mode (`strict_mode_config.enabled`)", "use the server's own limits");

        var vectorParams = ParseVectorParams(vectors);
        int bits = QuantizationBits(vectorParams.TryGet("quantization_config", out var own) ? own : body.TryGet("quantization_config", out var shared) ? shared : default,
            vectorParams.Has("quantization_config") ? "vectors.quantization_config" : "quantization_config");
        var options = new CollectionOptions
        {
            Dimension = ReadSize(vectorParams),
            Metric = ReadDistance(vectorParams),
            Bits = bits,
        };
        var hnsw = vectorParams.Object("hnsw_config") ?? body.Object("hnsw_config");
        return new CreateCollection(hnsw is { } config ? WithHnswConfig(options, config.Count("m"), config.Count("ef_construct"), config.Count("full_scan_threshold"), config.Path) : options)
            .WithSharding(body.Count("shard_number"), body.Count("replication_factor"), body.Count("write_consistency_factor"));
    }

    /// <summary>The sharding fields (null where the request leaves one out), checked; both transports read them here.</summary>
    public CreateCollection WithSharding(int? shardNumber, int? replicationFactor, int? writeConsistencyFactor)
    {
        if (shardNumber is < 1 or > MaxShards) throw ApiException.Validation("shard_number", $"value {shardNumber} invalid, must be from 1 to {MaxShards}");
        if (replicationFactor is < 1) throw ApiException.Validation("replication_factor", $"value {replicationFactor} invalid, must be 1 or larger");
        return this with { ShardNumber = shardNumber ?? 1, ReplicationFactor = replicationFactor ?? 1, WriteConsistencyFactor = writeConsistencyFactor ?? 0 };
    }

    /// <summary>Bytes of one float32 vector of the collection, the unit Qdrant's <c>full_scan_threshold</c> (in KB) counts.</summary>
    private static long VectorBytes(CollectionOptions options) => (long)options.Dimension * sizeof(float);

    /// <summary>
    /// Qdrant's <c>HnswConfig</c> mapped onto the graph options (see the remarks); <paramref name="path"/> names the
    /// object in messages. Both transports read it here.
    /// </summary>
    public static CollectionOptions WithHnswConfig(CollectionOptions options, long? m, long? efConstruct, long? fullScanThreshold, string path)
    {
        if (m is { } degree)
        {
            if (degree == 0) options = options with { Index = IndexType.Flat };
            else if (degree is < 0 or > 127) throw ApiException.Validation($"{path}.m", $"value {degree} invalid, must be from 0 to 127");
            else options = options with { GraphDegree = (int)Math.Max(2, 2 * degree) };
        }
        if (efConstruct is { } beam)
        {
            if (beam is < 1 or > 4096) throw ApiException.Validation($"{path}.ef_construct", $"value {beam} invalid, must be from 1 to 4096");
            options = options with { GraphBuildBeam = (int)beam };
        }
        if (fullScanThreshold is { } kilobytes)
        {
            if (kilobytes is < 0 or > int.MaxValue) throw ApiException.Validation($"{path}.full_scan_threshold", $"value {kilobytes} invalid, must be from 0 to {int.MaxValue}");
            long points = (kilobytes * 1024 + VectorBytes(options) - 1) / VectorBytes(options);
            options = options with { GraphThreshold = (int)Math.Min(points, int.MaxValue) };
        }
        return options;
    }

    /// <summary>The <c>hnsw_config</c> a collection's options echo: <c>m</c> 0 for a flat collection, else half the degree.</summary>
    public static (int M, int EfConstruct, int FullScanThreshold) HnswConfigOf(CollectionOptions options) => (
        options.Index == IndexType.Flat ? 0 : options.GraphDegree / 2,
        options.GraphBuildBeam,
        options.Index == IndexType.Graph ? 0 : (int)Math.Min(options.GraphThreshold * VectorBytes(options) / 1024, int.MaxValue));

    /// <summary>Qdrant's name of a metric.</summary>
    public static string DistanceName(Metric metric) => metric switch
    {
        Metric.Cosine => "Cosine",
        Metric.Dot => "Dot",
        Metric.Euclidean => "Euclid",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    private static JsonFields ParseVectorParams(JsonElement vectors)
    {
        var fields = new JsonFields(vectors, "vectors");
        if (!fields.Element.TryGetProperty("size", out _) && !fields.Element.TryGetProperty("distance", out _))
        {
            string names = string.Join(", ", fields.Element.EnumerateObject().Select(p => $"`{p.Name}`"));
            throw ApiException.NotSupported(names.Length == 0 ? "an empty `vectors` map" : $"named vectors ({names})",
                "create the collection with one unnamed vector: {\"vectors\":{\"size\":…,\"distance\":…}}");
        }
        fields.Unsupported("multivector_config", "multivectors (`vectors.multivector_config`)");
        if (fields.String("datatype") is { } datatype && datatype != "float32")
            throw ApiException.NotSupported($"datatype `{datatype}`", "vectors are stored as float32");
        return fields;
    }

    private static int ReadSize(JsonFields vectors)
    {
        int size = vectors.Count("size") ?? throw ApiException.Format("missing field `vectors.size`");
        if (size is < 2 or > CollectionOptions.MaxDimension)
            throw ApiException.Validation("vectors.size", $"value {size} invalid, must be from 2 to {CollectionOptions.MaxDimension}");
        return size;
    }

    private static Metric ReadDistance(JsonFields vectors) =>
        (vectors.String("distance") ?? throw ApiException.Format("missing field `vectors.distance`")) switch
        {
            "Cosine" => Metric.Cosine,
            "Dot" => Metric.Dot,
            "Euclid" => Metric.Euclidean,
            "Manhattan" => throw ApiException.NotSupported("the Manhattan distance", "use Cosine, Dot or Euclid"),
            var other => throw ApiException.Format($"`vectors.distance`: unknown variant `{other}`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`"),
        };

    private static int QuantizationBits(JsonElement config, string path)
    {
        if (config.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return BinaryBits;
        var fields = new JsonFields(config, path);
        if (fields.Object("scalar") is { } scalar)
        {
            if (scalar.String("type") is { } type && type != "int8")
                throw ApiException.Format($"`{path}.scalar.type`: unknown variant `{type}`, expected `int8`");
            return ScalarBits;
        }
        if (fields.Has("binary")) return BinaryBits;
        if (fields.Has("product")) throw ApiException.NotSupported("product quantization", "use `scalar` (8 bits per dimension) or `binary` (4 bits)");
        if (fields.Has("turbo")) throw ApiException.NotSupported("turbo quantization", "use `scalar` (8 bits per dimension) or `binary` (4 bits)");
        throw ApiException.Format($"`{path}`: expected one of `scalar`, `binary`, `product`");
    }
}

/// <summary>Qdrant's <c>CreateFieldIndex</c> body (<c>PUT /collections/{collection_name}/index</c>).</summary>
internal sealed record CreateFieldIndex(string FieldName, string Schema)
{
    /// <summary>The schemas BitSieve indexes.</summary>
    public static readonly string[] Supported = ["keyword", "integer", "float", "bool", "datetime"];

    /// <summary>An index of <paramref name="schema"/> on <paramref name="field"/>: geo, text and uuid are refused (both transports check here).</summary>
    public static CreateFieldIndex Create(string field, string schema)
    {
        if (schema is "geo" or "text" or "uuid")
            throw ApiException.NotSupported($"payload index type `{schema}`",
                schema == "text" ? "match.text is evaluated as a case-sensitive substring, without an index" : "index a keyword, integer, float, bool or datetime field");
        if (!Supported.Contains(schema))
            throw ApiException.Format($"`field_schema`: unknown variant `{schema}`, expected one of `keyword`, `integer`, `float`, `geo`, `text`, `bool`, `datetime`, `uuid`");
        return new CreateFieldIndex(field, schema);
    }

    public static CreateFieldIndex Parse(JsonElement root)
    {
        var body = new JsonFields(root, "");
        string field = body.String("field_name") ?? throw ApiException.Format("missing field `field_name`");
        if (!body.TryGet("field_schema", out var schemaValue))
            throw ApiException.BadRequest("`field_schema` is required (BitSieve does not infer a field's type): one of keyword, integer, float, bool, datetime");
        string schema = schemaValue.ValueKind switch
        {
            JsonValueKind.String => schemaValue.GetString()!,
            JsonValueKind.Object => new JsonFields(schemaValue, "field_schema").String("type") ?? throw ApiException.Format("missing field `field_schema.type`"),
            _ => throw body.TypeError("field_schema", "a schema name or an object with `type`", schemaValue),
        };
        return Create(field, schema);
    }
}
