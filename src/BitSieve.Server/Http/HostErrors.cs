namespace BitSieve.Server.Http;

/// <summary>
/// Failures of the database a host serves the API over, in the API's words. A cluster silo's database fails in a way a
/// single node's never does (a shard with no live replica: 503); the host says how once, here, and REST's error
/// handling (<see cref="ErrorHandling"/>) and gRPC's guard (<see cref="Grpc.GrpcGuard"/>) both read every failure
/// through it, so it reads the same on every route and transport. A single node's (<see cref="None"/>) maps nothing.
/// </summary>
internal sealed class HostErrors(Func<Exception, ApiException?> map)
{
    /// <summary>A host whose database fails only as the engine does.</summary>
    public static HostErrors None { get; } = new(_ => null);

    /// <summary>The failure as an API error, or null when it is not the host's to map.</summary>
    public ApiException? Map(Exception failure) => map(failure);
}
