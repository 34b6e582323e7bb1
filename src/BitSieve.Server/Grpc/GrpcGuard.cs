using BitSieve.Server.Http;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BitSieve.Server.Grpc;

/// <summary>
/// The gRPC side of the REST API's outer rules (<see cref="ErrorHandling"/>): the Host allow-list on <c>:authority</c>,
/// the API key in the <c>api-key</c> metadata (or <c>authorization: Bearer KEY</c>) — missing is
/// <c>UNAUTHENTICATED</c>, wrong is <c>PERMISSION_DENIED</c>, as Qdrant answers; <c>HealthCheck</c> is open — and Qdrant's errors turned into
/// status codes with the REST message (the host's own failures first mapped by <see cref="HostErrors"/>): 400 and 422 →
/// <c>INVALID_ARGUMENT</c>, 404 → <c>NOT_FOUND</c>, 413 → <c>RESOURCE_EXHAUSTED</c>, 503 → <c>UNAVAILABLE</c>, anything
/// unexpected → <c>INTERNAL</c>.
/// </summary>
internal sealed class GrpcGuard(ServerOptions options, HostErrors hostErrors, ILogger<GrpcGuard> logger) : Interceptor
{
    private readonly ApiKeyCheck? _apiKey = options.ApiKey is { } key ? new ApiKeyCheck(key) : null;
    private readonly RequestGuard _hosts = new(options);

    /// <summary>Open without a key, as REST's <c>GET /</c> (the same title and version) and Qdrant's health check are.</summary>
    private const string HealthCheckMethod = "/qdrant.Qdrant/HealthCheck";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var http = context.GetHttpContext();
        if (_hosts.RefusedHost(http.Request) is { } refused) throw new RpcException(new Status(StatusCode.InvalidArgument, refused));
        if (_apiKey is not null && context.Method != HealthCheckMethod && _apiKey.Check(http.Request) is { } denied)
            throw new RpcException(new Status(ReferenceEquals(denied, ApiKeyCheck.MissingKey) ? StatusCode.Unauthenticated : StatusCode.PermissionDenied, denied));
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            throw new RpcException(new Status(StatusCodeOf(e.StatusCode), e.Message));
        }
        catch (Exception e) when (hostErrors.Map(e) is { } mapped)
        {
            throw new RpcException(new Status(StatusCodeOf(mapped.StatusCode), mapped.Message));
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Status(StatusCode.NotFound, "Not found: the collection was deleted while the request ran"));
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            logger.LogError(e, "gRPC {Method} failed", context.Method);
            throw new RpcException(new Status(StatusCode.Internal, $"Service internal error: {e.Message}"));
        }
    }

    /// <summary>The gRPC status of a REST status code.</summary>
    public static StatusCode StatusCodeOf(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest or StatusCodes.Status422UnprocessableEntity or StatusCodes.Status415UnsupportedMediaType => StatusCode.InvalidArgument,
        StatusCodes.Status401Unauthorized => StatusCode.Unauthenticated,
        StatusCodes.Status403Forbidden => StatusCode.PermissionDenied,
        StatusCodes.Status404NotFound => StatusCode.NotFound,
        StatusCodes.Status409Conflict => StatusCode.AlreadyExists,
        StatusCodes.Status413PayloadTooLarge => StatusCode.ResourceExhausted,
        StatusCodes.Status501NotImplemented => StatusCode.Unimplemented,
        StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };
}
