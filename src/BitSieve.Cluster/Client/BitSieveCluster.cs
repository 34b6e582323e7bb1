using BitSieve.Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace BitSieve.Cluster.Client;

/// <summary>
/// A .NET application's connection to a BitSieve cluster, the cluster's counterpart of <see cref="Database"/> and the
/// same <see cref="IDatabase"/>: an Orleans client of the silos' gateways that calls the same coordinator as every
/// silo's HTTP API, so a collection answers it exactly as it answers HTTP. Its collections are
/// <see cref="IPointCollection"/>s, as the embedded engine's are, so code written against those (the
/// <c>BitSieve.VectorData</c> connector among it) runs on a cluster unchanged.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await BitSieveCluster.ConnectAsync("redis://10.0.0.9:6379");
/// var docs = await cluster.CreateCollectionAsync("docs", new CollectionOptions { Dimension = 384 }, shardNumber: 6, replicationFactor: 2);
/// await docs.UpsertAsync(points);
/// var hits = await docs.SearchAsync(queryVector, new SearchOptions { K = 10 });
/// </code>
/// </example>
public sealed class BitSieveCluster : IDatabase, IAsyncDisposable
{
    private readonly IHost? _host;
    private readonly IGrainFactory _grains;
    private readonly LayoutDirectory _layouts;

    private BitSieveCluster(IHost host, string location)
        : this(host.Services.GetRequiredService<IClusterClient>(), location, new LayoutDirectory()) => _host = host;

    /// <summary>
    /// The cluster seen from inside one of its silos (its HTTP API), through the silo's own grain factory and its
    /// <see cref="LayoutDirectory"/> (which keeps answering while the silo of a layout grain is dying).
    /// </summary>
    internal BitSieveCluster(IGrainFactory grains, string location, LayoutDirectory layouts)
    {
        _grains = grains;
        Location = location;
        _layouts = layouts;
    }

    /// <summary>The cluster's address: its Redis (<c>redis://HOST:PORT</c>), or the gateway of a development cluster (<c>localhost:PORT</c>).</summary>
    public string Location { get; }

    /// <summary>
    /// The shards of a collection that <see cref="GetOrCreateCollectionAsync"/> creates (as the VectorData connector's
    /// <c>EnsureCollectionExistsAsync</c> does); 1 unless set. <see cref="CreateCollectionAsync"/> takes its own.
    /// </summary>
    public int DefaultShardNumber { get; set; } = 1;

    /// <summary>The replicas of each shard of a collection that <see cref="GetOrCreateCollectionAsync"/> creates; 1 unless set.</summary>
    public int DefaultReplicationFactor { get; set; } = 1;

    /// <summary>
    /// Connects to the cluster whose membership is kept in <paramref name="redis"/> (<c>HOST:PORT</c> or
    /// <c>redis://HOST:PORT</c>, as <c>bitsieve serve --cluster</c>): the client finds the silos' gateways there.
    /// </summary>
    /// <param name="redis">The cluster's Redis.</param>
    /// <param name="clusterId">The cluster's name (the silos' <see cref="ClusterOptions.ClusterId"/>).</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <exception cref="ArgumentException">The address is not <c>HOST:PORT</c> or <c>redis://HOST:PORT</c>.</exception>
    public static Task<BitSieveCluster> ConnectAsync(string redis, string clusterId = "bitsieve", CancellationToken cancellationToken = default)
    {
        string endpoint = new ClusterOptions { Redis = redis }.RedisEndpoint is { Length: > 0 } e ? e : throw new ArgumentException($"The Redis address must be HOST:PORT or redis://HOST:PORT, not '{redis}'.", nameof(redis));
        return StartAsync(client => client.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(endpoint)),
            $"redis://{endpoint}", clusterId, cancellationToken);
    }

    /// <summary>
    /// Connects to a development cluster on this machine (silos started without Redis, on Orleans' localhost
    /// clustering) through the gateway port of one of its silos.
    /// </summary>
    /// <param name="gatewayPort">A silo's gateway port (<see cref="ClusterOptions.GatewayPort"/>).</param>
    /// <param name="clusterId">The cluster's name.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    public static Task<BitSieveCluster> ConnectLocalAsync(int gatewayPort, string clusterId = "bitsieve", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gatewayPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(gatewayPort, 65535);
        return StartAsync(client => client.UseLocalhostClustering(gatewayPort), $"localhost:{gatewayPort}", clusterId, cancellationToken);
    }

    private static async Task<BitSieveCluster> StartAsync(Action<IClientBuilder> clustering, string location, string clusterId, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            clustering(client);
            client.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = "bitsieve";
            });
            client.Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = ClusterSilo.CallTimeout);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new BitSieveCluster(host, location);
    }

    /// <summary>
    /// Creates a sharded collection: <paramref name="shardNumber"/> shards, each kept as
    /// <paramref name="replicationFactor"/> replicas on different silos, writes acknowledged by
    /// <paramref name="writeConsistencyFactor"/> replicas (0, unset: 1; every write goes to every live replica).
    /// </summary>
    /// <exception cref="InvalidOperationException">It exists.</exception>
    /// <exception cref="ArgumentException">The name (at most <see cref="MaxNameLength"/> characters) or options are invalid, or the replication factor exceeds the active silos.</exception>
    public async Task<IPointCollection> CreateCollectionAsync(string name, CollectionOptions options, int shardNumber = 1, int replicationFactor = 1, int writeConsistencyFactor = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckName(name);
        if (name.Length > MaxNameLength)
            throw new ArgumentException($"The collection name '{name}' has {name.Length} characters; a cluster's hold at most {MaxNameLength} (each shard replica is a collection named NAME.shard-N).", nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(shardNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardNumber, MaxShards);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(writeConsistencyFactor);
        options.Validate();
        var layout = await Layouts(name).Create(ReplicaOptions.From(options), shardNumber, replicationFactor, writeConsistencyFactor).ConfigureAwait(false);
        return new ClusterCollection(name, layout.Options.ToOptions(), _grains, _layouts);
    }

    /// <summary>The longest name of a cluster's collection (its replicas' names add a shard suffix).</summary>
    public const int MaxNameLength = 200;

    /// <summary>The most shards of one collection (Qdrant's limit on <c>shard_number</c>).</summary>
    public const int MaxShards = 1024;

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> CollectionNamesAsync() => _grains.GetGrain<ICollectionCatalogGrain>(0).List();

    /// <inheritdoc />
    public async Task<bool> CollectionExistsAsync(string name) =>
        Database.IsValidName(name) && await _layouts.GetAsync(_grains, name).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    public async Task<IPointCollection> GetCollectionAsync(string name)
    {
        CheckName(name);
        var layout = await _layouts.GetAsync(_grains, name).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"Collection '{name}' does not exist in the cluster at {Location}.");
        return new ClusterCollection(name, layout.Options.ToOptions(), _grains, _layouts);
    }

    /// <summary>
    /// The collection <paramref name="name"/>, created when it does not exist with <paramref name="options"/>,
    /// <see cref="DefaultShardNumber"/> shards and <see cref="DefaultReplicationFactor"/> replicas of each. Callers that
    /// race to create it (two silos' <c>/v1</c>, two connectors) all get it, as from an embedded database.
    /// </summary>
    public async Task<IPointCollection> GetOrCreateCollectionAsync(string name, CollectionOptions options)
    {
        CheckName(name);
        if (await _layouts.GetAsync(_grains, name).ConfigureAwait(false) is { } layout) return new ClusterCollection(name, layout.Options.ToOptions(), _grains, _layouts);
        try
        {
            return await CreateCollectionAsync(name, options, DefaultShardNumber, DefaultReplicationFactor).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Created by another caller between the look-up and the create; any other refusal is the caller's to see.
            if (await _layouts.GetAsync(_grains, name).ConfigureAwait(false) is { } created) return new ClusterCollection(name, created.Options.ToOptions(), _grains, _layouts);
            throw;
        }
    }

    /// <summary>Deletes a collection, every replica of every shard; false when there was none.</summary>
    public async Task<bool> DeleteCollectionAsync(string name) =>
        Database.IsValidName(name) && await Layouts(name).Drop().ConfigureAwait(false);

    /// <summary>Disconnects (a silo's view of its own cluster has nothing to close).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }

    private ICollectionLayoutGrain Layouts(string name) => _grains.GetGrain<ICollectionLayoutGrain>(name);

    private static void CheckName(string name)
    {
        if (!Database.IsValidName(name)) throw new ArgumentException($"'{name}' is not a valid collection name.", nameof(name));
    }
}
