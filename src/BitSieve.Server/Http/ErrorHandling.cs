using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BitSieve.Server.Http;

/// <summary>
/// The outermost middleware: stamps the request's start, applies the <see cref="RequestGuard"/> (Host allow-list,
/// CORS, JSON bodies only), checks the API key, and turns every failure into an error in
/// Qdrant's shape (<c>{"status":{"error":"…"},"time":…}</c>) with its status code: <see cref="ApiException"/> as it
/// says, a failure the host maps (<see cref="HostErrors"/>: a cluster's unreachable shard) as it maps it, a body over
/// the limit 413, a collection deleted under a running request 404, anything unexpected 500.
/// </summary>
/// <remarks>Requests on the gRPC listener pass straight through: <see cref="Grpc.GrpcGuard"/> applies the Host rule, the API
/// key and the error mapping in gRPC's terms, and anything else than gRPC there is a 415.</remarks>
internal sealed class ErrorHandling(RequestDelegate next, ServerOptions options, Grpc.GrpcEndpoint grpc, HostErrors hostErrors, ILogger<ErrorHandling> logger)
{
    private readonly ApiKeyCheck? _apiKey = options.ApiKey is { } key ? new ApiKeyCheck(key) : null;
    private readonly RequestGuard _guard = new(options);

    public async Task InvokeAsync(HttpContext context)
    {
        RequestTiming.Start(context);
        if (grpc.Serves(context))
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            await ErrorResponse.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"Unsupported media type: port {grpc.Port} serves Qdrant's gRPC API (application/grpc over HTTP/2); the REST API is on port {options.Port} unless it was chosen at random").ConfigureAwait(false);
            return;
        }
        if (!await _guard.AdmitAsync(context).ConfigureAwait(false)) return;
        if (_apiKey is not null && !ApiKeyCheck.IsOpen(context.Request.Path) && _apiKey.Check(context.Request) is { } denied)
        {
            await ErrorResponse.WriteAsync(context, StatusCodes.Status401Unauthorized, denied).ConfigureAwait(false);
            return;
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ErrorResponse.WriteAsync(context, e.StatusCode, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && hostErrors.Map(e) is { } mapped)
        {
            await ErrorResponse.WriteAsync(context, mapped.StatusCode, mapped.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            string message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"Payload too large: the request body is larger than this server's limit of {options.MaxRequestBodyBytes} bytes (bitsieve serve --max-body-mb)"
                : $"Bad request: {e.Message}";
            await ErrorResponse.WriteAsync(context, e.StatusCode, message).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (!context.Response.HasStarted)
        {
            await ErrorResponse.WriteAsync(context, StatusCodes.Status404NotFound, "Not found: the collection was deleted while the request ran").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads an answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status500InternalServerError, $"Service internal error: {e.Message}").ConfigureAwait(false);
        }
    }
}
