namespace BitSieve.Quantization;

/// <summary>
/// Per-vector correction factors of both tiers. With α = 1 (inner product) or 2 (Euclidean), R = ‖x − c‖,
/// f₁ = ⟨x̄, o′⟩ and f₂ = ⟨ȳ/‖ȳ‖, o′⟩, the score of x against a query u = q − c is
/// s = αR·⟨o, u⟩ + β + γ(q), and each tier estimates ⟨o, u⟩ with the ratio estimator of RaBitQ.
/// </summary>
internal struct VectorFactors
{
    /// <summary>αR: the scale of the direction term.</summary>
    public float Scale;

    /// <summary>αR / (f₁√D): turns the T1 integer product into a score.</summary>
    public float RInv1;

    /// <summary>αR·√(1−f₁²) / (f₁√(D−1)): the T1 error per unit of ‖u‖ and of ε₀.</summary>
    public float E1;

    /// <summary>2·popcount(b) − D.</summary>
    public float Balance;

    /// <summary>The additive term: ⟨x − c, c⟩ (inner product) or −R² (Euclidean).</summary>
    public float Beta;

    /// <summary>αR / (‖ȳ‖ f₂).</summary>
    public float RInv2;

    /// <summary>αR·√(1−f₂²) / (f₂√(D−1)).</summary>
    public float E2;

    /// <summary>‖ȳ‖ / √D.</summary>
    public float YNorm;
}
