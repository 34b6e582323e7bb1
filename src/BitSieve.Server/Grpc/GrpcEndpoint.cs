using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace BitSieve.Server.Grpc;

/// <summary>
/// The listener of the gRPC API (HTTP/2 without TLS, <see cref="ServerOptions.GrpcPort"/>), once Kestrel has bound it:
/// its port (the one chosen when 0 was asked for) tells gRPC requests from REST ones. REST's rules for browsers (JSON
/// bodies only, CORS) are not applied to it; the Host rule and the API key are, by <see cref="GrpcGuard"/>.
/// </summary>
internal sealed class GrpcEndpoint
{
    /// <summary>The listen options Kestrel binds (and updates with the bound port); null when gRPC is off.</summary>
    public ListenOptions? Listen { get; set; }

    /// <summary>The bound port, or null when gRPC is off.</summary>
    public int? Port => Listen?.EndPoint is IPEndPoint endpoint ? endpoint.Port : null;

    /// <summary>Whether the request arrived on the gRPC listener.</summary>
    public bool Serves(HttpContext context) => Port is int port && context.Connection.LocalPort == port;
}
