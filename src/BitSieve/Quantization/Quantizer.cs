using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace BitSieve.Quantization;

/// <summary>
/// Centring and rotation, and the encoders of both quantized tiers: T1 sign codes (RaBitQ) and the T2 extra bits of
/// the extended code in the same rotated space. Metrics reduce to inner products on centred rotated vectors:
/// s(x, q) = αR⟨o, u⟩ + β(x) + γ(q), see <see cref="VectorFactors"/>.
/// </summary>
internal sealed class Quantizer
{
    public Quantizer(int dimension, Metric metric, int bits, ulong seed, float[] centroid)
    {
        Dimension = dimension;
        Metric = metric;
        Bits = bits;
        Seed = seed;
        Words = (dimension + 63) >> 6;
        Centroid = centroid;
        Rotation = new RandomRotation(dimension, seed);
    }

    public int Dimension { get; }

    public Metric Metric { get; }

    /// <summary>Total bits per dimension of T1 + T2.</summary>
    public int Bits { get; }

    /// <summary>
    /// Bytes of a T2 code: all B bits of every (padded) dimension, the sign included. 4-bit codes are packed two per
    /// byte in halves (see <see cref="Kernels.DotNibbles"/>), 8-bit codes one per byte.
    /// </summary>
    public int RefineBytes => Bits == 4 ? Words * 32 : Words * 64;

    /// <summary>Magnitude levels per sign: 2^(B−1).</summary>
    public int Levels => 1 << (Bits - 1);

    public ulong Seed { get; }

    /// <summary>64-bit words per bit plane.</summary>
    public int Words { get; }

    public float[] Centroid { get; }

    public RandomRotation Rotation { get; }

    private float Alpha => Metric == Metric.Euclidean ? 2f : 1f;

    /// <summary>Encodes one vector (already normalized under cosine) into its sign code, T2 code planes and factors.</summary>
    public void Encode(ReadOnlySpan<float> x, Span<ulong> sign, Span<byte> code, out VectorFactors factors)
    {
        int d = Dimension;
        float[] buffer = ArrayPool<float>.Shared.Rent(2 * d);
        byte[] levelBuffer = ArrayPool<byte>.Shared.Rent(d);
        try
        {
            var centred = buffer.AsSpan(0, d);
            var rotated = buffer.AsSpan(d, d);
            TensorPrimitives.Subtract(x, Centroid, centred);
            float r = TensorPrimitives.Norm(centred);
            sign.Clear();
            code.Clear();
            factors = default;
            factors.Beta = Metric == Metric.Euclidean ? -r * r : TensorPrimitives.Dot(centred, Centroid);
            factors.Balance = -d;
            if (r == 0 || !float.IsFinite(r)) return;

            TensorPrimitives.Divide(centred, r, centred);
            Rotation.Apply(centred, rotated);

            // Branch-free: the signs of a rotated vector are a coin toss each.
            double absSum = TensorPrimitives.SumOfMagnitudes(rotated);
            for (int i = 0; i < d; i++) sign[i >> 6] |= (ulong)(rotated[i] > 0 ? 1 : 0) << (i & 63);
            int ones = 0;
            foreach (ulong word in sign) ones += BitOperations.PopCount(word);
            double sqrtD = Math.Sqrt(d), sqrtD1 = Math.Sqrt(d - 1);
            double scale = Alpha * r;
            double f1 = Math.Clamp(absSum / sqrtD, 1e-6, 1.0);
            factors.Scale = (float)scale;
            factors.Balance = 2 * ones - d;
            factors.RInv1 = (float)(scale / (f1 * sqrtD));
            factors.E1 = (float)(scale * Math.Sqrt(1 - f1 * f1) / (f1 * sqrtD1));

            var level = levelBuffer.AsSpan(0, d);
            var (f2, norm) = ExtendedCode.Encode(rotated, Levels, level);
            f2 = Math.Clamp(f2, 1e-6, 1.0);
            int top = Levels - 1, half = Words * 32;
            for (int i = 0; i < d; i++)
            {
                int positive = rotated[i] > 0 ? 1 : 0, m = level[i];
                // Code c = 2^(B−1)·b + (b ? m : L−1−m), so that c − (2^B − 1)/2 = ±(m + ½).
                int c = top - m + positive * (2 * m + 1);
                if (Bits == 8) code[i] = (byte)c;
                else if (i < half) code[i] |= (byte)c;
                else code[i - half] |= (byte)(c << 4);
            }
            factors.YNorm = (float)(norm / sqrtD);
            factors.RInv2 = (float)(scale / (norm * f2));
            factors.E2 = (float)(scale * Math.Sqrt(1 - f2 * f2) / (f2 * sqrtD1));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(levelBuffer);
        }
    }

    /// <summary>Encodes a query (already normalized under cosine) for every tier.</summary>
    public EncodedQuery Prepare(ReadOnlySpan<float> query)
    {
        int d = Dimension;
        var centred = new float[d];
        var rotated = new float[d];
        TensorPrimitives.Subtract(query, Centroid, centred);
        float norm = TensorPrimitives.Norm(centred);
        float gamma = Metric == Metric.Euclidean ? -norm * norm : TensorPrimitives.Dot(query, Centroid);
        Rotation.Apply(centred, rotated);
        return new EncodedQuery
        {
            Vector = query.ToArray(),
            T1 = new QueryPlanes(rotated, EncodedQuery.T1Bits, Words),
            T2 = new QueryBytes(rotated, Bits == 4 ? sbyte.MaxValue : Kernels.DotBytesQueryLimit, Words * 64),
            Norm = norm,
            Gamma = gamma,
        };
    }

    /// <summary>The exact score (higher is closer) of a stored vector against the query, from float32.</summary>
    public float ExactScore(ReadOnlySpan<float> x, ReadOnlySpan<float> query) =>
        Metric == Metric.Euclidean ? -Kernels.SquaredDistance(x, query) : Kernels.Dot(x, query);
}
