namespace BitSieve;

/// <summary>Options of one search.</summary>
public sealed record SearchOptions
{
    /// <summary>How many results to return.</summary>
    public int K { get; init; } = 10;

    /// <summary>The quality target of the dynamic cascade.</summary>
    public Quality Quality { get; init; } = Quality.Default;

    /// <summary>
    /// When set, runs the fixed-oversampling baseline instead of the cascade: the top K·Oversampling by the T1
    /// estimate are rescored with the float32 originals. It certifies nothing, so it cannot be combined with
    /// <see cref="Quality.Exact"/> (an <see cref="ArgumentException"/>: the caller asked for exact and would get approximate).
    /// </summary>
    public int? Oversampling { get; init; }

    /// <summary>
    /// When true, every vector (every one a filter allows) is scored with its float32 original: the brute-force
    /// baseline that the quantized methods are measured against (as <c>bitsieve bench</c>'s exact search), available
    /// through every search entry point, hybrid search included. <see cref="Quality"/> is not used; <see cref="Oversampling"/>
    /// must be unset.
    /// </summary>
    public bool Exhaustive { get; init; }

    /// <summary>
    /// The beam width of a graph traversal (Qdrant's <c>hnsw_ef</c>), 1 to <see cref="MaxEffort"/>; raised to
    /// <see cref="K"/> when below it. Null (the default) lets the collection choose. Used only where the graph answers
    /// (an unfiltered search of a collection that has one, not <see cref="Quality.Exact"/>, <see cref="Exhaustive"/> or
    /// <see cref="Oversampling"/>); elsewhere it is ignored.
    /// </summary>
    public int? Effort { get; init; }

    /// <summary>The largest <see cref="Effort"/>.</summary>
    public const int MaxEffort = 100_000;

    /// <summary>Threads a search (or a batch) may use.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// A score the caller already holds k results at (a sharded collection's global k-th exact score, from the shard that
    /// answered first), in the collection's own units (Euclidean: a distance). The flat cascade prunes every point that
    /// cannot reach it, at every tier, so it may return fewer than K hits: only those scoring at least as well as the
    /// bound. Merged with the results that set the bound, the top K is unchanged. Null (the default) for none; the
    /// graph, direct scoring, <see cref="Exhaustive"/> and <see cref="Oversampling"/> ignore it.
    /// </summary>
    public float? ScoreBound { get; init; }

    internal void Validate()
    {
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "K must be at least 1.");
        if (K > 100_000) throw new ArgumentOutOfRangeException(nameof(K), K, "K must be at most 100000.");
        if (Oversampling is < 1) throw new ArgumentOutOfRangeException(nameof(Oversampling), Oversampling, "Oversampling must be at least 1.");
        if (Exhaustive && Oversampling is not null)
            throw new ArgumentException("Exhaustive search scores every vector exactly; it takes no Oversampling.", nameof(Oversampling));
        if (Quality.IsExact && Oversampling is not null)
            throw new ArgumentException("Quality.Exact certifies the top k with deterministic bounds; Oversampling runs the uncertified fixed scan instead. Set one or the other.", nameof(Oversampling));
        if (Quality.RecallTarget <= 0)
            throw new ArgumentOutOfRangeException(nameof(Quality), "Quality is uninitialized; use Quality.Default, Quality.Recall(target) or Quality.Exact.");
        if (Effort is < 1 or > MaxEffort) throw new ArgumentOutOfRangeException(nameof(Effort), Effort, $"Effort must be between 1 and {MaxEffort}.");
        if (ScoreBound is { } bound && !float.IsFinite(bound)) throw new ArgumentOutOfRangeException(nameof(ScoreBound), bound, "ScoreBound must be a finite score.");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
    }
}
