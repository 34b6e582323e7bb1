namespace BitSieve.Search.Graph;

/// <summary>How a proximity graph is built (Vamana: one layer, α-pruned neighbour lists).</summary>
internal sealed record GraphBuildOptions
{
    /// <summary>The most neighbours a node keeps (R): 32 ids of 4 bytes are 128 B of adjacency per vector.</summary>
    public int MaxDegree { get; init; } = 32;

    /// <summary>The beam width (L) of the search that finds an inserted point's neighbour candidates (100, Qdrant's default <c>ef_construct</c>).</summary>
    public int BuildBeam { get; init; } = 100;

    /// <summary>
    /// The pruning factor α on squared distances: a candidate c is dropped when an already kept neighbour n has
    /// α·d(n, c) ≤ d(p, c). α &gt; 1 keeps some long edges, which is what lets a one-layer graph be crossed in few hops.
    /// </summary>
    public float Alpha { get; init; } = 1.2f;

    /// <summary>Threads inserting points at once; 1 gives a build that depends only on <see cref="Seed"/>.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Seeds the insertion order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values outside their ranges.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegree, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDegree, 255);
        ArgumentOutOfRangeException.ThrowIfLessThan(BuildBeam, 1);
        if (!(Alpha >= 1f && Alpha <= 4f)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "α must lie in [1, 4].");
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1);
    }
}
