namespace BitSieve.Quantization;

/// <summary>
/// The extended (multi-bit) RaBitQ code of a unit direction o′: per dimension a level m ∈ [0, L) with L = 2^(B−1),
/// standing for the grid value ±(m + ½) with the sign of o′. The sign is the T1 bit, so T2 stores only the B−1 low
/// bits. The grid scale t is chosen to maximize the cosine between the grid vector ȳ and o′ (extended RaBitQ,
/// Gao et al. SIGMOD 2025); the estimator ⟨ȳ,u⟩/⟨ȳ,o′⟩ does not depend on t, only on that cosine.
/// </summary>
internal static class ExtendedCode
{
    private const int CoarseSteps = 32;
    private const int FineSteps = 8;
    private const double LowScale = 0.35, HighScale = 1.8;

    /// <summary>Chooses levels for <paramref name="direction"/> (unit). Returns ⟨ȳ/‖ȳ‖, o′⟩ and ‖ȳ‖.</summary>
    public static (double Cosine, double Norm) Encode(ReadOnlySpan<float> direction, int levels, Span<byte> level)
    {
        float amax = 0;
        foreach (var v in direction) amax = MathF.Max(amax, MathF.Abs(v));
        if (amax == 0)
        {
            level.Clear();
            return (0, Math.Sqrt(direction.Length * 0.25));
        }

        double ratio = Math.Pow(HighScale / LowScale, 1.0 / (CoarseSteps - 1));
        double bestLambda = LowScale, bestCos = -1;
        for (int s = 0; s < CoarseSteps; s++)
        {
            double lambda = LowScale * Math.Pow(ratio, s);
            double c = CosineAt(direction, levels, lambda * levels / amax);
            if (c > bestCos) (bestCos, bestLambda) = (c, lambda);
        }
        // Refine between the neighbouring coarse points.
        double lo = bestLambda / ratio, step = (bestLambda * ratio - lo) / FineSteps;
        for (int s = 0; s <= FineSteps; s++)
        {
            double lambda = lo + s * step;
            double c = CosineAt(direction, levels, lambda * levels / amax);
            if (c > bestCos) (bestCos, bestLambda) = (c, lambda);
        }

        double t = bestLambda * levels / amax, dot = 0, norm2 = 0;
        for (int i = 0; i < direction.Length; i++)
        {
            double a = Math.Abs(direction[i]);
            int m = Math.Min((int)(t * a), levels - 1);
            level[i] = (byte)m;
            dot += a * (m + 0.5);
            norm2 += (m + 0.5) * (m + 0.5);
        }
        double norm = Math.Sqrt(norm2);
        return (Math.Min(1.0, dot / norm), norm);
    }

    private static double CosineAt(ReadOnlySpan<float> direction, int levels, double t)
    {
        double dot = 0, norm2 = 0;
        float tf = (float)t;
        int top = levels - 1;
        foreach (var v in direction)
        {
            float a = MathF.Abs(v);
            int m = Math.Min((int)(tf * a), top);
            float g = m + 0.5f;
            dot += a * g;
            norm2 += g * g;
        }
        return dot / Math.Sqrt(norm2);
    }
}
