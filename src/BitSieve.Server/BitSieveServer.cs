using System.Net;
using BitSieve.Server.Grpc;
using BitSieve.Server.Http;
using BitSieve.Server.Metrics;
using BitSieve.Server.Qdrant;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BitSieve.Server;

/// <summary>
/// The BitSieve HTTP server: ASP.NET Core minimal APIs over one <see cref="Database"/>. Serves the Qdrant-compatible
/// REST API, BitSieve's own API under <c>/v1</c>, the OpenAPI document (<c>/openapi/v1.json</c>) and a reference page
/// (<c>/docs</c>), a web dashboard (<c>/dashboard</c>), <c>/healthz</c>, <c>/readyz</c>, <c>/livez</c>, and Prometheus
/// metrics (<c>/metrics</c>).
/// </summary>
/// <example>
/// <code>
/// await using var server = BitSieveServer.Create(new ServerOptions { DatabasePath = "db", Port = 0 });
/// await server.StartAsync();
/// Console.WriteLine(server.Addresses[0]);   // http://127.0.0.1:PORT
/// </code>
/// </example>
public sealed class BitSieveServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DatabaseService _database;
    private bool _disposed;

    private readonly GrpcEndpoint _grpc;

    private BitSieveServer(WebApplication app, DatabaseService database, GrpcEndpoint grpc)
    {
        _app = app;
        _database = database;
        _grpc = grpc;
    }

    /// <summary>The ASP.NET Core application (for tests and hosting).</summary>
    public WebApplication App => _app;

    /// <summary>The database it serves.</summary>
    public Database Database => _database.Database;

    /// <summary>The addresses the REST API listens on, once started (<c>http://127.0.0.1:PORT</c>).</summary>
    public IReadOnlyList<string> Addresses => _grpc.RestAddresses(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses);

    /// <summary>The address of the gRPC API once started (<c>http://127.0.0.1:PORT</c>), or null when it is off (<see cref="ServerOptions.GrpcPort"/>).</summary>
    public Uri? GrpcAddress => _grpc.Address;

    /// <summary>
    /// Opens the database (throwing <see cref="DatabaseLockedException"/> when another process holds it) and
    /// builds the application. Nothing listens until <see cref="StartAsync"/> or <see cref="RunAsync"/>.
    /// </summary>
    /// <param name="options">Where and how to serve.</param>
    /// <param name="configureLogging">Adjusts logging (the default writes warnings and errors to the console).</param>
    public static BitSieveServer Create(ServerOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var endpoint = ParseHost(options.Host);
        var database = new DatabaseService(options);
        var grpc = new GrpcEndpoint();
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(BitSieveServer).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configureLogging?.Invoke(builder.Logging);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
                if (endpoint is null) kestrel.ListenLocalhost(options.Port);
                else kestrel.Listen(endpoint, options.Port);
                if (options.GrpcPort is int grpcPort) grpc.ListenOn(kestrel, endpoint, grpcPort);
            });
            builder.Services.AddSingleton(grpc);
            builder.Services.AddSingleton(HostErrors.None);
            if (options.GrpcPort is not null) GrpcEndpoint.AddServices(builder.Services, options);
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(database);
            builder.Services.AddSingleton(database.Database);
            // The /v1 text API runs over the interface a cluster silo serves too.
            builder.Services.AddSingleton<IDatabase>(database.Database);
            ServerMetrics.AddTo(builder.Services);
            builder.Services.AddSingleton<QdrantOperations>();
            V1.V1Api.AddServices(builder.Services, options);
            builder.Services.ConfigureHttpJsonOptions(ServerJsonContext.Configure);
            builder.Services.AddOpenApi(OpenApiDocs.Configure);

            var app = builder.Build();
            app.UseMiddleware<ErrorHandling>();
            app.MapPrometheusScrapingEndpoint("/metrics");
            app.MapOpenApi("/openapi/{documentName}.json");
            MapService(app);
            QdrantApi.Map(OpenApiDocs.WithErrorResponses(app.MapGroup("")));
            V1.V1Api.Map(OpenApiDocs.WithErrorResponses(app.MapGroup("")));
            if (options.GrpcPort is not null) GrpcEndpoint.Map(app);
            Web.Dashboard.Map(OpenApiDocs.WithErrorResponses(app.MapGroup("")));
            app.MapFallback("{*path}", (HttpContext context) =>
            {
                throw ApiException.NotFound($"{context.Request.Method} {context.Request.Path} is not an endpoint of this server (BitSieve serves a subset of Qdrant's REST API and its own /v1 API; see /docs)");
            }).ExcludeFromDescription();
            return new BitSieveServer(app, database, grpc);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Serves until <paramref name="cancellationToken"/> fires or the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server, then checkpoints and closes the database.</summary>
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

    private static IPAddress? ParseHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return null;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address)) return address;
        throw new ArgumentException($"The host must be an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost, not '{host}'.", nameof(host));
    }

    private static void MapService(WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("healthz check passed")).WithTags("Service").WithSummary("Liveness (Qdrant's)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGet("/livez", () => TypedResults.Text("healthz check passed")).WithTags("Service").WithSummary("Liveness (Qdrant's)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGet("/readyz", (DatabaseService db) =>
        {
            _ = db.Database.CollectionNames();
            return TypedResults.Text("all shards are ready");
        }).WithTags("Service").WithSummary("Readiness: the database is open").Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGet("/docs", () => TypedResults.Stream(
            typeof(BitSieveServer).Assembly.GetManifestResourceStream("BitSieve.Server.Web.docs.html")!, "text/html; charset=utf-8"))
            .WithTags("Service").WithSummary("API reference page (renders /openapi/v1.json, works offline)").Produces<string>(StatusCodes.Status200OK, "text/html");
    }
}
