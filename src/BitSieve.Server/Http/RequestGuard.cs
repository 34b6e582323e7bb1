using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace BitSieve.Server.Http;

/// <summary>
/// What a browser must not be able to do to a server on this machine, checked before any endpoint runs:
/// <list type="bullet">
/// <item><description><b>Host allow-list</b> (DNS rebinding): the <c>Host</c> header must name an allowed host
/// (<see cref="ServerOptions.AllowedHosts"/>: loopback by default), any port. Kestrel fills <c>Host</c> from HTTP/2's
/// and HTTP/3's <c>:authority</c> pseudo-header, so this one check covers every protocol; a request without either is
/// refused too.</description></item>
/// <item><description><b>CORS</b>, off unless <see cref="ServerOptions.CorsOrigin"/> names an origin: no
/// <c>Access-Control-Allow-*</c> header, no preflight granted, and a request carrying an <c>Origin</c> that is neither
/// the server's own nor the allowed one is refused (403).</description></item>
/// <item><description><b>JSON bodies only</b>: a request with a body must send <c>Content-Type: application/json</c>
/// (a <c>charset</c> parameter may say UTF-8), else 415. Browsers send <c>text/plain</c>, form and blob bodies across
/// origins without a preflight; a JSON content type always needs one.</description></item>
/// </list>
/// Every refusal is an error in the shape of both route families, <c>{"status":{"error":"…"},"time":…}</c>.
/// </summary>
internal sealed class RequestGuard
{
    private readonly HashSet<string>? _hosts;
    private readonly string _hostList;
    private readonly string? _origin;

    public RequestGuard(ServerOptions options)
    {
        _hosts = options.AllowedHosts.Any(h => h.Trim() == "*")
            ? null
            : options.AllowedHosts.Select(h => h.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _hostList = string.Join(", ", options.AllowedHosts);
        _origin = options.CorsOrigin?.TrimEnd('/');
    }

    /// <summary>Whether <paramref name="value"/> is a web origin: an http(s) scheme, a host, an optional port, nothing else.</summary>
    public static bool IsOrigin(string value) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;

    /// <summary>
    /// Checks the request; when it must be refused, writes the error (or, for a granted preflight, the answer) and
    /// returns false.
    /// </summary>
    public async Task<bool> AdmitAsync(HttpContext context)
    {
        var request = context.Request;
        if (RefusedHost(request) is { } refused)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, refused).ConfigureAwait(false);
            return false;
        }
        string? origin = request.Headers.Origin;
        if (origin is not null)
        {
            bool allowed = _origin is not null && string.Equals(origin.TrimEnd('/'), _origin, StringComparison.OrdinalIgnoreCase);
            if (HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod))
            {
                if (!allowed)
                {
                    await RefuseOrigin(context, origin).ConfigureAwait(false);
                    return false;
                }
                AddCorsHeaders(context.Response, origin);
                context.Response.Headers.AccessControlAllowMethods = "GET, POST, PUT, PATCH, DELETE";
                context.Response.Headers.AccessControlAllowHeaders = "content-type, api-key, authorization";
                context.Response.Headers.AccessControlMaxAge = "600";
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return false;
            }
            if (allowed) AddCorsHeaders(context.Response, origin);
            else if (!SameOrigin(origin, request.Host))
            {
                await RefuseOrigin(context, origin).ConfigureAwait(false);
                return false;
            }
        }
        if (RefusedBody(context) is { } got)
        {
            await Refuse(context, StatusCodes.Status415UnsupportedMediaType,
                $"Unsupported media type: request bodies must be JSON sent with `Content-Type: application/json` (optionally `; charset=utf-8`), got {got}").ConfigureAwait(false);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Null when the request's <c>Host</c> (HTTP/2's <c>:authority</c>, which Kestrel copies there) is allowed, else the
    /// message of the refusal (REST answers it 400, gRPC <c>INVALID_ARGUMENT</c>).
    /// </summary>
    public string? RefusedHost(HttpRequest request)
    {
        if (HostAllowed(request.Host)) return null;
        string host = request.Host.HasValue ? $"`{request.Host.Value}`" : "no Host header";
        return $"Bad request: this server does not answer to {host}; it answers to {_hostList} (any port). " +
            "Start it with --allowed-hosts NAME[,NAME…] to serve other names (a browser page could otherwise reach it through a DNS name it controls)";
    }

    private bool HostAllowed(HostString host)
    {
        if (_hosts is null) return true;
        return host.HasValue && _hosts.Contains(host.Host);
    }

    /// <summary>A description of the body's content type when the body may not be read, else null.</summary>
    private static string? RefusedBody(HttpContext context)
    {
        var request = context.Request;
        string? contentType = request.ContentType;
        if (contentType is null)
        {
            bool mayHaveBody = request.ContentLength is > 0
                || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
            return mayHaveBody ? "a body without a Content-Type" : null;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return $"`{contentType}`";
        if (!media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return $"`{contentType}`";
        foreach (var parameter in media.Parameters)
        {
            bool utf8 = parameter.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)
                && (parameter.Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || parameter.Value.Equals("utf8", StringComparison.OrdinalIgnoreCase)
                    || parameter.Value.Equals("\"utf-8\"", StringComparison.OrdinalIgnoreCase));
            if (!utf8) return $"`{contentType}` (the only parameter accepted is charset=utf-8)";
        }
        return null;
    }

    private static bool SameOrigin(string origin, HostString host) =>
        host.HasValue && Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase);

    private static void AddCorsHeaders(HttpResponse response, string origin)
    {
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.Vary = HeaderNames.Origin;
    }

    private Task RefuseOrigin(HttpContext context, string origin) => Refuse(context, StatusCodes.Status403Forbidden,
        $"Forbidden: cross-origin requests from `{origin}` are not allowed" +
        (_origin is null ? "; start the server with --cors-origin ORIGIN to allow one web origin" : $"; the allowed origin is {_origin}"));

    private static Task Refuse(HttpContext context, int status, string message) =>
        ErrorResponse.WriteAsync(context, status, message);
}
