#pragma warning disable CS1591
using System.Numerics;
using System.Numerics.Tensors;

namespace BitSieve;

// TEMPORARY scalar kernels, replaced by the SIMD kernels branch.
public static partial class Kernels
{
    public static long PopCount(ReadOnlySpan<ulong> bits)
    {
        long s = 0;
        foreach (var w in bits) s += BitOperations.PopCount(w);
        return s;
    }

    public static long Hamming(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        long s = 0;
        for (int i = 0; i < a.Length; i++) s += BitOperations.PopCount(a[i] ^ b[i]);
        return s;
    }

    public static long AsymmetricDot(ReadOnlySpan<ulong> code, ReadOnlySpan<ulong> queryPlanes, int queryBits)
    {
        long s = 0;
        int w = code.Length;
        for (int k = 0; k < queryBits; k++)
        {
            long p = 0;
            var plane = queryPlanes.Slice(k * w, w);
            for (int i = 0; i < w; i++) p += BitOperations.PopCount(code[i] & plane[i]);
            s += p << k;
        }
        return s;
    }

    public static void AsymmetricDotBlock(ReadOnlySpan<ulong> codes, ReadOnlySpan<ulong> queryPlanes, int queryBits, Span<int> results)
    {
        int w = queryPlanes.Length / queryBits;
        for (int i = 0; i < results.Length; i++) results[i] = (int)AsymmetricDot(codes.Slice(i * w, w), queryPlanes, queryBits);
    }

    public static long MultiBitDot(ReadOnlySpan<ulong> codePlanes, int codeBits, ReadOnlySpan<ulong> queryPlanes, int queryBits)
    {
        int w = queryPlanes.Length / queryBits;
        long s = 0;
        for (int j = 0; j < codeBits; j++) s += AsymmetricDot(codePlanes.Slice(j * w, w), queryPlanes, queryBits) << j;
        return s;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) { float d = a[i] - b[i]; s += d * d; }
        return s;
    }
}
