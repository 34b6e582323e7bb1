namespace BitSieve.Quantization;

/// <summary>A query encoded once for every tier: 4-bit FastScan tables for T1, signed bytes for T2, floats for T3.</summary>
internal sealed class EncodedQuery
{
    public const int T1Bits = 4;

    public required float[] Vector { get; init; }

    public required QueryPlanes T1 { get; init; }

    public required QueryBytes T2 { get; init; }

    /// <summary>‖u‖ = ‖q − c‖.</summary>
    public required float Norm { get; init; }

    /// <summary>The per-query additive term: ⟨c, q⟩ (inner product) or −‖q − c‖² (Euclidean).</summary>
    public required float Gamma { get; init; }
}
