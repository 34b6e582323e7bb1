namespace BitSieve;

/// <summary>Which index answers a collection's unfiltered searches.</summary>
public enum IndexType
{
    /// <summary>
    /// The flat cascade below <see cref="CollectionOptions.GraphThreshold"/> live points, the graph from there on (built
    /// in bulk when the collection crosses it, then kept up to date by every write).
    /// </summary>
    Auto,

    /// <summary>Always the flat cascade (a linear scan of the 1-bit codes): no graph is built or kept.</summary>
    Flat,

    /// <summary>Always the graph, whatever the size.</summary>
    Graph,
}

/// <summary>How a collection is created. Stored in its manifest; fixed for the collection's life.</summary>
public sealed record CollectionOptions
{
    /// <summary>Vector dimension, 2 to 4096.</summary>
    public required int Dimension { get; init; }

    /// <summary>The metric; cosine normalizes vectors on insert.</summary>
    public Metric Metric { get; init; } = Metric.Cosine;

    /// <summary>Total bits per dimension of the T1 + T2 code: 4 (default) or 8.</summary>
    public int Bits { get; init; } = 4;

    /// <summary>Seed of the random rotation.</summary>
    public ulong RotationSeed { get; init; } = 0xB175_1E7EUL;

    /// <summary>Points after which an empty collection trains its centroid and re-encodes.</summary>
    public int TrainingSize { get; init; } = 1024;

    /// <summary>Which index answers unfiltered searches: <see cref="IndexType.Auto"/> (the default), flat or graph.</summary>
    public IndexType Index { get; init; } = IndexType.Auto;

    /// <summary>
    /// The most neighbours a graph node keeps (R, 2 to 255; default 32: 128 B of links per vector). Qdrant's
    /// <c>hnsw_config.m</c> maps to 2·m, the degree of an HNSW base layer.
    /// </summary>
    public int GraphDegree { get; init; } = 32;

    /// <summary>The beam width of the search that finds an inserted point's neighbours (Qdrant's <c>ef_construct</c>; default 100, as Qdrant's).</summary>
    public int GraphBuildBeam { get; init; } = 100;

    /// <summary>
    /// Under <see cref="IndexType.Auto"/>, the live points from which the graph answers (default
    /// <see cref="DefaultGraphThreshold"/>); below it the flat cascade is as fast (docs/graph.md has the measurement).
    /// </summary>
    public int GraphThreshold { get; init; } = DefaultGraphThreshold;

    /// <summary>
    /// The default <see cref="GraphThreshold"/>. At 13,717 points (docs-minilm) the graph at its default effort and the
    /// flat cascade run level (10,349 and 9,872 queries/s on one thread) and the flat cascade's recall is higher; the
    /// flat cascade's cost grows with the points, the graph's far slower, so the graph pays from about 20,000 on.
    /// </summary>
    public const int DefaultGraphThreshold = 20_000;

    /// <summary>Largest dimension a collection accepts.</summary>
    public const int MaxDimension = 4096;

    /// <summary>Whether the graph answers at <paramref name="livePoints"/> live points.</summary>
    internal bool WantsGraph(int livePoints) => Index switch
    {
        IndexType.Graph => true,
        IndexType.Auto => livePoints >= GraphThreshold,
        _ => false,
    };

    internal void Validate()
    {
        if (Dimension is < 2 or > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, $"Dimension must be between 2 and {MaxDimension}.");
        if (Bits is not (4 or 8))
            throw new ArgumentOutOfRangeException(nameof(Bits), Bits, "Bits must be 4 or 8.");
        if (!Enum.IsDefined(Metric))
            throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown metric.");
        if (TrainingSize < 1)
            throw new ArgumentOutOfRangeException(nameof(TrainingSize), TrainingSize, "TrainingSize must be at least 1.");
        if (!Enum.IsDefined(Index))
            throw new ArgumentOutOfRangeException(nameof(Index), Index, "Unknown index type.");
        if (GraphDegree is < 2 or > 255)
            throw new ArgumentOutOfRangeException(nameof(GraphDegree), GraphDegree, "GraphDegree must be between 2 and 255.");
        if (GraphBuildBeam is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(GraphBuildBeam), GraphBuildBeam, "GraphBuildBeam must be between 1 and 4096.");
        if (GraphThreshold < 0)
            throw new ArgumentOutOfRangeException(nameof(GraphThreshold), GraphThreshold, "GraphThreshold must not be negative.");
    }
}
