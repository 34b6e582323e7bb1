using BitSieve.Server;

namespace BitSieve.Cluster;

/// <summary>How a <see cref="ClusterSilo"/> joins its cluster and serves HTTP.</summary>
public sealed record ClusterOptions
{
    /// <summary>
    /// The HTTP side, as a single node's (<see cref="ServerOptions.DatabasePath"/> is this silo's own data directory,
    /// <see cref="ServerOptions.Host"/> the address it binds and advertises to the other silos).
    /// </summary>
    public ServerOptions Server { get; init; } = new();

    /// <summary>
    /// The Redis server that holds the cluster's membership and collection layouts, <c>HOST:PORT</c> (a
    /// <c>redis://HOST:PORT</c> URL is accepted too); null for Orleans' localhost development clustering (one machine,
    /// layouts in memory: for development and tests).
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>The port silos talk to each other on (default 11111, Orleans').</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>The port Orleans clients connect to (default 30000, Orleans').</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>
    /// Localhost clustering only: the silo port of the cluster's first silo, which the others join; null when this
    /// silo is the first.
    /// </summary>
    public int? PrimarySiloPort { get; init; }

    /// <summary>The cluster's name: silos with the same Redis and cluster id form one cluster (default <c>bitsieve</c>).</summary>
    public string ClusterId { get; init; } = "bitsieve";

    /// <summary>
    /// How many points of its most recent writes each replica keeps in memory (default 100,000) so that a replica that
    /// returns catches up by replaying them; a replica further behind is sent a snapshot. See docs/cluster.md.
    /// </summary>
    public int CatchUpLogPoints { get; init; } = 100_000;

    /// <summary>How often this silo looks for its stale replicas to catch up (default 1 s).</summary>
    public TimeSpan CatchUpInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The shards of a collection that the <c>/v1</c> text API creates (default 1); one created through
    /// <c>PUT /collections/{name}</c> takes its own <c>shard_number</c>.
    /// </summary>
    public int ShardNumber { get; init; } = 1;

    /// <summary>The replicas of each shard of a collection that the <c>/v1</c> text API creates (default 1).</summary>
    public int ReplicationFactor { get; init; } = 1;

    /// <summary>The Redis endpoint without a <c>redis://</c> scheme.</summary>
    internal string? RedisEndpoint => Redis is null ? null : Redis.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? Redis["redis://".Length..].TrimEnd('/') : Redis;

    /// <summary>Throws <see cref="ArgumentException"/> for values a silo cannot start with.</summary>
    public void Validate()
    {
        Server.Validate();
        if (SiloPort is < 1 or > 65535) throw new ArgumentException($"The silo port must be 1 to 65535, not {SiloPort}.", nameof(SiloPort));
        if (GatewayPort is < 1 or > 65535) throw new ArgumentException($"The gateway port must be 1 to 65535, not {GatewayPort}.", nameof(GatewayPort));
        if (CatchUpLogPoints < 0) throw new ArgumentException($"The catch-up log must hold 0 points or more, not {CatchUpLogPoints}.", nameof(CatchUpLogPoints));
        if (ShardNumber is < 1 or > 1024) throw new ArgumentException($"The shard number must be 1 to 1024, not {ShardNumber}.", nameof(ShardNumber));
        if (ReplicationFactor < 1) throw new ArgumentException($"The replication factor must be 1 or more, not {ReplicationFactor}.", nameof(ReplicationFactor));
        if (CatchUpInterval <= TimeSpan.Zero) throw new ArgumentException($"The catch-up interval must be positive, not {CatchUpInterval}.", nameof(CatchUpInterval));
        if (Redis is not null && string.IsNullOrWhiteSpace(RedisEndpoint))
            throw new ArgumentException($"The Redis address must be HOST:PORT or redis://HOST:PORT, not '{Redis}'.", nameof(Redis));
        if (Redis is not null && PrimarySiloPort is not null)
            throw new ArgumentException("A primary silo port is for localhost clustering only; with Redis, silos find each other there.", nameof(PrimarySiloPort));
    }
}
