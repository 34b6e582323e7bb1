namespace BitSieve;

/// <summary>How two vectors are compared. Every metric reduces to inner products on centred, rotated vectors.</summary>
public enum Metric
{
    /// <summary>Cosine similarity: vectors are normalized on insert; higher is closer.</summary>
    Cosine,

    /// <summary>Inner product; higher is closer.</summary>
    Dot,

    /// <summary>Euclidean (L2) distance; lower is closer.</summary>
    Euclidean,
}
