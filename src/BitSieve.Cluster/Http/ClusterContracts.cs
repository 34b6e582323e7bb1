using System.Text.Json;
using System.Text.Json.Serialization;
using BitSieve.Server.Qdrant.Models;

namespace BitSieve.Cluster.Http;

/// <summary><c>GET /cluster</c>: this silo and every silo the membership lists (Qdrant's <c>ClusterStatus</c> shape where it has one).</summary>
internal sealed record ClusterStatus(string Status, string PeerId, IReadOnlyDictionary<string, PeerInfo> Peers);

/// <summary>One silo: its silo endpoint and its membership status (<c>Active</c>, <c>Joining</c>, <c>Dead</c>, …).</summary>
internal sealed record PeerInfo(string Uri, string State);

/// <summary><c>GET /collections/{name}/cluster</c>: the collection's shards and where each replica is.</summary>
internal sealed record CollectionClusterInfo(int ShardCount, int ReplicationFactor, int WriteConsistencyFactor, IReadOnlyList<ShardInfo> Shards);

/// <summary>One shard and its replicas.</summary>
internal sealed record ShardInfo(int ShardId, IReadOnlyList<ReplicaInfo> Replicas);

/// <summary>
/// One replica: its silo, its state (<c>Active</c>; <c>Dead</c> when its silo is down or it missed a write), and, when
/// reachable, its points and the last write sequence it applied.
/// </summary>
internal sealed record ReplicaInfo(string PeerId, string State, long? PointsCount, long? Sequence);

/// <summary><c>GET /collections/{name}</c> of a sharded collection: Qdrant's main fields.</summary>
internal sealed record ClusterCollectionInfo(string Status, long PointsCount, ClusterCollectionConfig Config);

/// <summary>The collection's configuration.</summary>
internal sealed record ClusterCollectionConfig(ClusterCollectionParams Params);

/// <summary>Its vectors and sharding, in Qdrant's names (<c>write_consistency_factor</c> 0 means all live replicas).</summary>
internal sealed record ClusterCollectionParams(VectorParams Vectors, int ShardNumber, int ReplicationFactor, int WriteConsistencyFactor);

/// <summary>The cluster API's serializer metadata, snake_case on the wire as the rest of the API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(QdrantResponse<ClusterStatus>))]
[JsonSerializable(typeof(QdrantResponse<CollectionClusterInfo>))]
[JsonSerializable(typeof(QdrantResponse<ClusterCollectionInfo>))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;
