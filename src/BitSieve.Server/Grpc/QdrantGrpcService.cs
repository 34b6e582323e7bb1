using BitSieve.Server.Http;
using BitSieve.Server.Qdrant;
using Grpc.Core;
using Q = Qdrant.Client.Grpc;

namespace BitSieve.Server.Grpc;

/// <summary>
/// Qdrant's gRPC API (<c>qdrant.Qdrant</c>, <c>qdrant.Collections</c>, <c>qdrant.Points</c>) over the same
/// <see cref="QdrantOperations"/> as the REST API: each method reads its message with <see cref="GrpcRequests"/>, calls
/// the operation and writes the answer with <see cref="GrpcResponses"/>. The methods are bound by
/// <see cref="QdrantGrpcMethods"/>; errors become status codes in <see cref="GrpcGuard"/>. Collections are in
/// <c>QdrantGrpcService.Collections.cs</c>, points and searches in <c>QdrantGrpcService.Points.cs</c>.
/// </summary>
internal sealed partial class QdrantGrpcService(QdrantOperations operations)
{
    /// <summary><c>qdrant.Qdrant/HealthCheck</c>: the title and the Qdrant API version, as <c>GET /</c>.</summary>
    public Task<Q.HealthCheckReply> HealthCheck(Q.HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new Q.HealthCheckReply { Title = QdrantApi.Title, Version = QdrantApi.CompatibleVersion });

    /// <summary>Seconds since the request started, Qdrant's <c>time</c>.</summary>
    private static double Time(ServerCallContext context) => RequestTiming.Seconds(context.GetHttpContext());
}
