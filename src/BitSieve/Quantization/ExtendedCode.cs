using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

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
        int d = direction.Length;
        float[] buffer = ArrayPool<float>.Shared.Rent(d + Vector<float>.Count);
        try
        {
            // |o′|, padded with zeros to whole vectors (a zero contributes nothing to ⟨ȳ, |o′|⟩ and 0.25 to ‖ȳ‖², which
            // CosineAt subtracts).
            var magnitude = buffer.AsSpan(0, (d + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count);
            magnitude.Clear();
            TensorPrimitives.Abs(direction, magnitude[..d]);
            float amax = TensorPrimitives.Max(magnitude[..d]);
            int padding = magnitude.Length - d;
            if (amax == 0)
            {
                level.Clear();
                return (0, Math.Sqrt(d * 0.25));
            }

            double ratio = Math.Pow(HighScale / LowScale, 1.0 / (CoarseSteps - 1));
            double bestLambda = LowScale, bestCos = -1;
            for (int s = 0; s < CoarseSteps; s++)
            {
                double lambda = LowScale * Math.Pow(ratio, s);
                double c = CosineAt(magnitude, padding, levels, lambda * levels / amax);
                if (c > bestCos) (bestCos, bestLambda) = (c, lambda);
            }
            // Refine between the neighbouring coarse points.
            double lo = bestLambda / ratio, step = (bestLambda * ratio - lo) / FineSteps;
            for (int s = 0; s <= FineSteps; s++)
            {
                double lambda = lo + s * step;
                double c = CosineAt(magnitude, padding, levels, lambda * levels / amax);
                if (c > bestCos) (bestCos, bestLambda) = (c, lambda);
            }

            float t = (float)(bestLambda * levels / amax);
            double dot = 0, norm2 = 0;
            for (int i = 0; i < d; i++)
            {
                float a = magnitude[i];
                int m = (int)MathF.Min(MathF.Floor(t * a), levels - 1);
                level[i] = (byte)m;
                dot += a * (m + 0.5);
                norm2 += (m + 0.5) * (m + 0.5);
            }
            double norm = Math.Sqrt(norm2);
            return (Math.Min(1.0, dot / norm), norm);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>cos(ȳ(t), |o′|) with ȳᵢ = min(⌊t·aᵢ⌋, L−1) + ½, lane-parallel; must choose the same levels as Encode.</summary>
    private static double CosineAt(ReadOnlySpan<float> magnitude, int padding, int levels, double t)
    {
        var scale = new Vector<float>((float)t);
        var top = new Vector<float>(levels - 1);
        var half = new Vector<float>(0.5f);
        Vector<float> dot = Vector<float>.Zero, norm2 = Vector<float>.Zero;
        for (int i = 0; i < magnitude.Length; i += Vector<float>.Count)
        {
            var a = new Vector<float>(magnitude[i..]);
            var g = Vector.Min(Vector.Floor(scale * a), top) + half;
            dot += a * g;
            norm2 += g * g;
        }
        return Vector.Sum(dot) / Math.Sqrt(Vector.Sum(norm2) - 0.25 * padding);
    }
}
