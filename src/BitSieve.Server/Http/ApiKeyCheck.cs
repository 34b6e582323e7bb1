using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace BitSieve.Server.Http;

/// <summary>
/// Qdrant's API-key rule: when a key is configured, a request must carry it in the <c>api-key</c> header or as
/// <c>Authorization: Bearer KEY</c>, else it is answered 401 (Qdrant's messages). The comparison is of SHA-256
/// digests in constant time, so neither the key's content nor its length leaks through timing. <c>/</c>,
/// <c>/healthz</c>, <c>/readyz</c>, <c>/livez</c> (as in Qdrant), the API description and the dashboard's page and
/// assets (not its data) are open.
/// </summary>
internal sealed class ApiKeyCheck
{
    private readonly byte[] _digest;

    public ApiKeyCheck(string key) => _digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The answer to a request without a key (gRPC: <c>UNAUTHENTICATED</c>).</summary>
    public const string MissingKey = "Must provide an API key or an Authorization bearer token";

    /// <summary>The answer to a request with a wrong key (gRPC: <c>PERMISSION_DENIED</c>).</summary>
    public const string InvalidKey = "Invalid API key";

    /// <summary>Paths that need no key.</summary>
    public static bool IsOpen(PathString path) =>
        path == "/" || path == "/healthz" || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/livez")
        || path == "/docs" || path.StartsWithSegments("/openapi") || Web.Dashboard.IsOpen(path);

    /// <summary>Null when the request may pass, else the message of the 401: <see cref="MissingKey"/> or <see cref="InvalidKey"/>.</summary>
    public string? Check(HttpRequest request)
    {
        string? presented = request.Headers["api-key"].FirstOrDefault();
        if (presented is null && request.Headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            presented = authorization["Bearer ".Length..];
        if (presented is null) return MissingKey;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _digest) ? null : InvalidKey;
    }
}
