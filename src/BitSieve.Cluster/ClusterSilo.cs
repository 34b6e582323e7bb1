using System.Net;
using BitSieve.Cluster.Client;
using BitSieve.Cluster.Http;
using BitSieve.Cluster.Placement;
using BitSieve.Server;
using BitSieve.Server.Grpc;
using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using BitSieve.Server.Qdrant;
using BitSieve.Server.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;


namespace BitSieve.Cluster;

/// <summary>
/// One silo of a BitSieve cluster: an Orleans silo that owns the shard replicas placed on it (each an ordinary
/// collection of its own database) and serves the single node's Qdrant-compatible REST API and <c>/v1</c> text API
/// for the whole cluster (the same handlers, over the cluster's <see cref="IDatabase"/>), so any silo answers any
/// request as a single node would, and, when <see cref="ServerOptions.GrpcPort"/> is set, the single node's Qdrant gRPC
/// API over the same operations. Also serves the cluster's own endpoints (<see cref="MembershipApi"/>:
/// <c>GET /cluster</c>, <c>/readyz</c>, …) and <c>/metrics</c> (this silo's requests, searches and replicas).
/// </summary>
/// <example>
/// <code>
/// await using var silo = ClusterSilo.Create(new ClusterOptions { Redis = "10.0.0.9:6379", Server = new() { DatabasePath = "db", Host = "10.0.0.1" } });
/// await silo.StartAsync();
/// </code>
/// </example>
public sealed class ClusterSilo : IAsyncDisposable
{
    /// <summary>The grain storage provider that holds collection layouts.</summary>
    internal const string StorageName = "bitsieve";

    private readonly WebApplication _app;
    private readonly SiloDatabase _database;
    private readonly GrpcEndpoint _grpc;
    private bool _disposed;

    private ClusterSilo(WebApplication app, SiloDatabase database, GrpcEndpoint grpc)
    {
        _app = app;
        _database = database;
        _grpc = grpc;
    }

    /// <summary>The ASP.NET Core application (for tests and hosting).</summary>
    public WebApplication App => _app;

    /// <summary>The HTTP addresses of its REST API, once started.</summary>
    public IReadOnlyList<string> Addresses => _grpc.RestAddresses(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses);

    /// <summary>The address of its Qdrant gRPC API once started, or null when it serves none (<see cref="ServerOptions.GrpcPort"/>).</summary>
    public Uri? GrpcAddress => _grpc.Address;

    /// <summary>Builds the silo and its HTTP API; nothing listens or joins until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Cluster membership, ports, data directory.</param>
    /// <param name="configureLogging">Adjusts logging (the default writes warnings and errors to the console).</param>
    public static ClusterSilo Create(ClusterOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var server = options.Server;
        IPAddress? bind = server.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(server.Host.Trim('[', ']'), out var address) ? address
            : throw new ArgumentException($"The host must be an IP address (127.0.0.1, 10.0.0.1, 0.0.0.0), not '{server.Host}'.", nameof(options));
        var database = new SiloDatabase(server.DatabasePath);
        var grpc = new GrpcEndpoint();
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(ClusterSilo).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configureLogging?.Invoke(builder.Logging);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes;
                kestrel.Listen(bind, server.Port);
                if (server.GrpcPort is int grpcPort) grpc.ListenOn(kestrel, bind, grpcPort);
            });
            builder.Services.AddSingleton(server);
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(database);
            // Metrics read the replicas this silo holds; the Qdrant API and the /v1 text API read and write the whole
            // cluster through the same IDatabase a .NET client gets, with the single node's code.
            builder.Services.AddSingleton(database.Database);
            builder.Services.AddSingleton<IDatabase>(services => new BitSieveCluster(services.GetRequiredService<IGrainFactory>(), $"cluster silo {server.Host}:{options.SiloPort}",
                services.GetRequiredService<LayoutDirectory>())
            {
                DefaultShardNumber = options.ShardNumber,
                DefaultReplicationFactor = options.ReplicationFactor,
            });
            ServerMetrics.AddTo(builder.Services);
            builder.Services.AddSingleton<QdrantOperations>();
            V1Api.AddServices(builder.Services, server);
            builder.Services.AddSingleton<LayoutDirectory>();
            builder.Services.AddHostedService<ReplicaRecovery>();
            builder.Services.AddSingleton<Rebalancing>();
            builder.Services.AddSingleton(grpc);
            if (server.GrpcPort is not null) GrpcEndpoint.AddServices(builder.Services, server);
            // The one place the cluster's own failure becomes an answer, for every route and transport: the APIs are the
            // single node's, which never meets a shard without a live replica (its other failures, bad input and unknown
            // collections, are the engine's exceptions, which those APIs map as a single node does); it is a 503 naming the shard.
            builder.Services.AddSingleton(new HostErrors(e => e is ShardUnavailableException unavailable
                ? new ApiException(StatusCodes.Status503ServiceUnavailable, $"Service unavailable: {unavailable.Message}")
                : null));
            builder.Services.ConfigureHttpJsonOptions(ServerJsonContext.Configure);
            builder.UseOrleans(silo => ConfigureSilo(silo, options, bind));
            var app = builder.Build();
            app.UseMiddleware<ErrorHandling>();
            app.MapPrometheusScrapingEndpoint("/metrics");
            QdrantApi.Map(app);
            V1Api.Map(app);
            MembershipApi.Map(app);
            if (server.GrpcPort is not null) GrpcEndpoint.Map(app);
            app.MapFallback("{*path}", (HttpContext context) =>
                throw ApiException.NotFound($"{context.Request.Method} {context.Request.Path} is not an endpoint of a BitSieve cluster silo (see docs/cluster.md)"));
            return new ClusterSilo(app, database, grpc);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    private static void ConfigureSilo(ISiloBuilder silo, ClusterOptions options, IPAddress bind)
    {
        silo.Services.AddPlacementDirector<OwnerSiloPlacement, OwnerSiloPlacementDirector>();
        if (options.RedisEndpoint is { } redis)
        {
            var advertised = bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) ? null : bind;
            if (advertised is null) silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            else silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            silo.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis));
            silo.AddRedisGrainStorage(StorageName, o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis));
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                options.PrimarySiloPort is { } primary ? new IPEndPoint(IPAddress.Loopback, primary) : null);
            silo.AddMemoryGrainStorage(StorageName);
        }
        silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "bitsieve";
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
    }

    /// <summary>
    /// How long a grain call may run (Orleans' default is 30 s). A write that takes a shard across
    /// <see cref="CollectionOptions.GraphThreshold"/> builds the shard's graph in bulk inside the write, which took over
    /// 30 s on a loaded 2-core machine with every replica building at once; timed out, the write failed (and a replica
    /// still building when its primary's call timed out would be counted as having missed the write). A silo's call to a silo that dies does not wait this long:
    /// Orleans breaks it when the membership declares that silo dead.
    /// </summary>
    internal static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Joins the cluster and starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Leaves the cluster, stops listening, then checkpoints and closes this silo's database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _database.Dispose();
        }
    }
}
