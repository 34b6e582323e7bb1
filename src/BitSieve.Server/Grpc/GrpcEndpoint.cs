using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace BitSieve.Server.Grpc;

/// <summary>
/// The listener of the gRPC API (HTTP/2 without TLS, <see cref="ServerOptions.GrpcPort"/>), once Kestrel has bound it:
/// its port (the one chosen when 0 was asked for) tells gRPC requests from REST ones. REST's rules for browsers (JSON
/// bodies only, CORS) are not applied to it; the Host rule and the API key are, by <see cref="GrpcGuard"/>. A single
/// node and a cluster silo serve it alike (<see cref="ListenOn"/>, <see cref="AddServices"/>, <see cref="Map"/>), over
/// their <c>QdrantOperations</c>.
/// </summary>
internal sealed class GrpcEndpoint
{
    /// <summary>The listen options Kestrel binds (and updates with the bound port); null when gRPC is off.</summary>
    public ListenOptions? Listen { get; set; }

    /// <summary>The bound port, or null when gRPC is off.</summary>
    public int? Port => Listen?.EndPoint is IPEndPoint endpoint ? endpoint.Port : null;

    /// <summary>Whether the request arrived on the gRPC listener.</summary>
    public bool Serves(HttpContext context) => Port is int port && context.Connection.LocalPort == port;

    /// <summary>
    /// Adds the listener on <paramref name="port"/> of <paramref name="address"/> (null: localhost). gRPC is HTTP/2;
    /// without TLS there is no negotiation, so this listener speaks HTTP/2 only.
    /// </summary>
    public void ListenOn(KestrelServerOptions kestrel, IPAddress? address, int port)
    {
        void Http2(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http2;
            Listen = listen;
        }
        if (address is null) kestrel.ListenLocalhost(port, Http2);
        else kestrel.Listen(address, port, Http2);
    }

    /// <summary>Qdrant's gRPC services behind <see cref="GrpcGuard"/>, requests up to <see cref="ServerOptions.MaxRequestBodyBytes"/>.</summary>
    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddGrpc(grpcOptions =>
        {
            grpcOptions.MaxReceiveMessageSize = (int)Math.Min(options.MaxRequestBodyBytes, int.MaxValue);
            grpcOptions.Interceptors.Add<GrpcGuard>();
        });
        services.AddSingleton<IServiceMethodProvider<QdrantGrpcService>, QdrantGrpcMethods>();
        services.AddSingleton<QdrantGrpcService>();
    }

    /// <summary>Maps Qdrant's gRPC services.</summary>
    public static void Map(WebApplication app) => app.MapGrpcService<QdrantGrpcService>();

    /// <summary>The address clients dial once the listener is bound (<c>http://127.0.0.1:PORT</c>), or null when gRPC is off.</summary>
    public Uri? Address => Listen is { } listen && Port is int port
        ? new Uri($"http://{(listen.EndPoint is IPEndPoint { Address: var address } && !address.Equals(IPAddress.Loopback) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) ? (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString()) : "127.0.0.1")}:{port}")
        : null;

    /// <summary>The REST addresses among a host's bound ones: all but the gRPC listener's.</summary>
    public IReadOnlyList<string> RestAddresses(IEnumerable<string>? addresses) =>
        addresses?.Where(address => Port is not int port || !address.EndsWith($":{port}", StringComparison.Ordinal)).ToList() ?? [];
}
