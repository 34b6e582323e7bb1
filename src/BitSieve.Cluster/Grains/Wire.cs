using System.Text.Json.Nodes;

namespace BitSieve.Cluster.Grains;

/// <summary>
/// A collection's engine options as they travel between silos (the engine's <see cref="CollectionOptions"/> carries no
/// Orleans serializer, and the engine stays free of Orleans).
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record ReplicaOptions(
    [property: Id(0)] int Dimension, [property: Id(1)] Metric Metric, [property: Id(2)] int Bits, [property: Id(3)] IndexType Index,
    [property: Id(4)] int GraphDegree, [property: Id(5)] int GraphBuildBeam, [property: Id(6)] int GraphThreshold)
{
    public static ReplicaOptions From(CollectionOptions options) =>
        new(options.Dimension, options.Metric, options.Bits, options.Index, options.GraphDegree, options.GraphBuildBeam, options.GraphThreshold);

    public CollectionOptions ToOptions() => new()
    {
        Dimension = Dimension, Metric = Metric, Bits = Bits, Index = Index,
        GraphDegree = GraphDegree, GraphBuildBeam = GraphBuildBeam, GraphThreshold = GraphThreshold,
    };
}

/// <summary>One point on the wire: its id as text (an integer or a UUID), its vector, its payload as JSON text.</summary>
[GenerateSerializer, Immutable]
internal sealed record WirePoint([property: Id(0)] string Id, [property: Id(1)] float[] Vector, [property: Id(2)] string? Payload)
{
    public static WirePoint From(Point point) =>
        new(point.Id.ToString(), point.Vector.ToArray(), point.Payload?.ToJsonString());

    public Point ToPoint() => new(PointId.Parse(Id), Vector, Payload is null ? null : JsonNode.Parse(Payload)!.AsObject());
}

/// <summary>
/// One search as a shard replica runs it. <see cref="Bound"/>, when set, is a score the global top k already reaches
/// (another shard's k-th exact score): the replica may leave out every point that scores below it.
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record ShardQuery(
    [property: Id(0)] float[] Vector, [property: Id(1)] string? Filter, [property: Id(2)] int K, [property: Id(3)] double RecallTarget,
    [property: Id(4)] int? Oversampling, [property: Id(5)] int? Effort, [property: Id(6)] bool WithPayload, [property: Id(7)] bool WithVector,
    [property: Id(8)] float? Bound = null)
{
    /// <summary>A search as the engine's options state it (k, quality, oversampling, effort; threads stay the replica's).</summary>
    public static ShardQuery From(float[] vector, SearchOptions options, string? filter, bool withPayload, bool withVector) =>
        new(vector, filter, options.K, options.Quality.RecallTarget, options.Oversampling, options.Effort, withPayload, withVector);

    public SearchOptions ToOptions() => new()
    {
        K = K,
        Quality = RecallTarget >= 1 ? Quality.Exact : Quality.Recall(RecallTarget),
        Oversampling = Oversampling,
        Effort = Effort,
        ScoreBound = Bound,
    };
}

/// <summary>One hit of a shard replica, payload as JSON text.</summary>
[GenerateSerializer, Immutable]
internal sealed record WireHit([property: Id(0)] string Id, [property: Id(1)] float Score, [property: Id(2)] string? Payload, [property: Id(3)] float[]? Vector)
{
    public ScoredPoint ToScoredPoint() => new(PointId.Parse(Id), Score, Payload is null ? null : JsonNode.Parse(Payload)!.AsObject(), Vector);
}

/// <summary>A shard replica's answer: its hits, best first, and what its cascade spent (the engine's trace counts).</summary>
[GenerateSerializer, Immutable]
internal sealed record ShardAnswer(
    [property: Id(0)] IReadOnlyList<WireHit> Hits, [property: Id(1)] long T1Seen, [property: Id(2)] long T2Seen, [property: Id(3)] long T3Seen);

/// <summary>What a shard replica reports about itself for <c>GET /collections/{name}/cluster</c>.</summary>
[GenerateSerializer, Immutable]
internal sealed record ReplicaStatus([property: Id(0)] long Points, [property: Id(1)] long Sequence);

/// <summary>
/// Where a collection lives: its engine options, <c>shard_number</c> × <c>replication_factor</c> replicas (each the
/// endpoint of the silo that owns it), the write consistency, and which replicas missed a write (stale: they serve
/// nothing until they are caught up).
/// </summary>
[GenerateSerializer]
internal sealed record CollectionLayout(
    [property: Id(0)] string Name, [property: Id(1)] ReplicaOptions Options, [property: Id(2)] int WriteConsistencyFactor,
    [property: Id(3)] string[][] Replicas, [property: Id(4)] HashSet<string> Stale, [property: Id(5)] int[]? Primaries = null)
{
    public int ShardNumber => Replicas.Length;

    /// <summary>
    /// The index of the replica that orders shard <paramref name="shard"/>'s writes while it is live (replica 0 until
    /// it goes stale; a replica that catches up does not take the role back, so a shard never has two primaries because
    /// one returned).
    /// </summary>
    public int PrimaryOf(int shard) => Primaries is { } primaries ? primaries[shard] : 0;

    /// <summary>The replica indexes of a shard in the order writes and reads try them: the primary, then layout order.</summary>
    public IEnumerable<int> ServingOrder(int shard)
    {
        int primary = PrimaryOf(shard);
        yield return primary;
        for (int r = 0; r < ReplicationFactor; r++)
            if (r != primary) yield return r;
    }

    public int ReplicationFactor => Replicas.Length == 0 ? 0 : Replicas[0].Length;

    /// <summary>The grain key of replica <paramref name="replica"/> of shard <paramref name="shard"/>.</summary>
    public string ReplicaKey(int shard, int replica) => ReplicaKeys.Of(Name, shard, replica, Replicas[shard][replica]);
}

/// <summary>
/// Replica grain keys, <c>COLLECTION/SHARD/REPLICA@HOST:PORT</c>: the key names the silo that owns the replica's data,
/// so the placement director activates it there and nowhere else.
/// </summary>
internal static class ReplicaKeys
{
    public static string Of(string collection, int shard, int replica, string silo) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{collection}/{shard}/{replica}@{silo}");

    /// <summary>The collection a key names.</summary>
    public static string Collection(string key) => key[..key.IndexOf('/', StringComparison.Ordinal)];

    /// <summary>The shard a key names.</summary>
    public static int Shard(string key) => int.Parse(key[..key.LastIndexOf('@')].Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The silo endpoint a key names.</summary>
    public static string Silo(string key) => key[(key.LastIndexOf('@') + 1)..];

    /// <summary>The collection name of the replica's data in its silo's database: <c>COLLECTION.shard-N</c>.</summary>
    public static string LocalCollection(string key)
    {
        string head = key[..key.LastIndexOf('@')];
        string[] parts = head.Split('/');
        return $"{parts[0]}.shard-{parts[1]}";
    }
}

/// <summary>One shard replica's description (<see cref="Collection.Info"/>), for a sharded collection's, which sums them.</summary>
[GenerateSerializer, Immutable]
internal sealed record ShardDescription(
    [property: Id(0)] long Count, [property: Id(1)] long Tombstones, [property: Id(2)] bool Compacting, [property: Id(3)] string AnsweringIndex,
    [property: Id(4)] string AnsweringReason, [property: Id(5)] long LogSequence, [property: Id(6)] Dictionary<string, string> PayloadIndexes,
    [property: Id(7)] Dictionary<string, long> FileBytes, [property: Id(8)] int T1, [property: Id(9)] int T2, [property: Id(10)] int Factors, [property: Id(11)] int T3)
{
    public static ShardDescription From(CollectionInfo info) => new(info.Count, info.Tombstones, info.Compacting, info.AnsweringIndex.ToString(), info.AnsweringReason, info.LogSequence,
        new(info.PayloadIndexes, StringComparer.Ordinal), new(info.FileBytes, StringComparer.Ordinal),
        info.BytesPerVector.T1, info.BytesPerVector.T2, info.BytesPerVector.Factors, info.BytesPerVector.T3);

    /// <summary>
    /// A sharded collection's description from its shards': counts, tombstones and file bytes summed, the log sequence
    /// the sum of the shards' (every write advances at least one), payload indexes and bytes per vector the first
    /// shard's (every shard has the same), the answering index graph only when every shard's is, and each shard's reason.
    /// </summary>
    public static CollectionInfo Sum(string collection, CollectionOptions options, IReadOnlyList<ShardDescription> shards)
    {
        var first = shards[0];
        var fileBytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (file, bytes) in shards.SelectMany(s => s.FileBytes)) fileBytes[file] = fileBytes.GetValueOrDefault(file) + bytes;
        return new CollectionInfo
        {
            Name = collection,
            Count = shards.Sum(s => s.Count),
            Options = options,
            BytesPerVector = new TierBytes(first.T1, first.T2, first.Factors, first.T3),
            Tombstones = shards.Sum(s => s.Tombstones),
            Compacting = shards.Any(s => s.Compacting),
            AnsweringIndex = shards.All(s => s.AnsweringIndex == nameof(IndexType.Graph)) ? IndexType.Graph : IndexType.Flat,
            AnsweringReason = string.Join("; ", shards.Select((s, i) => $"shard {i}: {s.AnsweringIndex.ToLowerInvariant()}, {s.AnsweringReason}")),
            LogSequence = shards.Sum(s => s.LogSequence),
            PayloadIndexes = first.PayloadIndexes,
            FileBytes = fileBytes,
        };
    }
}
