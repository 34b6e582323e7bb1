namespace BitSieve;

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

    /// <summary>Largest dimension a collection accepts.</summary>
    public const int MaxDimension = 4096;

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
    }
}
