using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>Inner product Σ a[i]·b[i] of two float32 vectors.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length as <paramref name="a"/>.</param>
    /// <returns>The dot product (summation order differs from a sequential loop).</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(b));
        }

        return FloatCore<DotTerm>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    /// <summary>Squared Euclidean distance Σ (a[i] − b[i])².</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length as <paramref name="a"/>.</param>
    /// <returns>The squared distance.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(b));
        }

        return FloatCore<SquaredDifferenceTerm>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    /// <summary>One term of a float reduction, accumulated as acc + f(a, b); fused where the hardware allows.</summary>
    private interface IFloatTerm
    {
        static abstract Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b);

        static abstract Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b);

        static abstract Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b);

        static abstract float Accumulate(float acc, float a, float b);
    }

    private readonly struct DotTerm : IFloatTerm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b) => Vector512.MultiplyAddEstimate(a, b, acc);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b) => Vector256.MultiplyAddEstimate(a, b, acc);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b) => Vector128.MultiplyAddEstimate(a, b, acc);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Accumulate(float acc, float a, float b) => float.MultiplyAddEstimate(a, b, acc);
    }

    private readonly struct SquaredDifferenceTerm : IFloatTerm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> a, Vector512<float> b)
        {
            Vector512<float> d = a - b;
            return Vector512.MultiplyAddEstimate(d, d, acc);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> a, Vector256<float> b)
        {
            Vector256<float> d = a - b;
            return Vector256.MultiplyAddEstimate(d, d, acc);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Accumulate(Vector128<float> acc, Vector128<float> a, Vector128<float> b)
        {
            Vector128<float> d = a - b;
            return Vector128.MultiplyAddEstimate(d, d, acc);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Accumulate(float acc, float a, float b)
        {
            float d = a - b;
            return float.MultiplyAddEstimate(d, d, acc);
        }
    }

    // Four independent accumulators hide the FMA latency; what is left after whole registers falls to the next
    // narrower width, then to scalars.
    private static float FloatCore<TTerm>(ref float a, ref float b, nuint length)
        where TTerm : struct, IFloatTerm
    {
        nuint i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<float>.Count)
        {
            nuint lanes = (nuint)Vector512<float>.Count;
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i + (4 * lanes) <= length; i += 4 * lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i));
                s1 = TTerm.Accumulate(s1, Vector512.LoadUnsafe(ref a, i + lanes), Vector512.LoadUnsafe(ref b, i + lanes));
                s2 = TTerm.Accumulate(s2, Vector512.LoadUnsafe(ref a, i + (2 * lanes)), Vector512.LoadUnsafe(ref b, i + (2 * lanes)));
                s3 = TTerm.Accumulate(s3, Vector512.LoadUnsafe(ref a, i + (3 * lanes)), Vector512.LoadUnsafe(ref b, i + (3 * lanes)));
            }

            for (; i + lanes <= length; i += lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i));
            }

            sum += Vector512.Sum((s0 + s1) + (s2 + s3));
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<float>.Count)
        {
            nuint lanes = (nuint)Vector256<float>.Count;
            Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i + (4 * lanes) <= length; i += 4 * lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i));
                s1 = TTerm.Accumulate(s1, Vector256.LoadUnsafe(ref a, i + lanes), Vector256.LoadUnsafe(ref b, i + lanes));
                s2 = TTerm.Accumulate(s2, Vector256.LoadUnsafe(ref a, i + (2 * lanes)), Vector256.LoadUnsafe(ref b, i + (2 * lanes)));
                s3 = TTerm.Accumulate(s3, Vector256.LoadUnsafe(ref a, i + (3 * lanes)), Vector256.LoadUnsafe(ref b, i + (3 * lanes)));
            }

            for (; i + lanes <= length; i += lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i));
            }

            sum += Vector256.Sum((s0 + s1) + (s2 + s3));
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<float>.Count)
        {
            nuint lanes = (nuint)Vector128<float>.Count;
            Vector128<float> s0 = Vector128<float>.Zero, s1 = s0;
            for (; i + (2 * lanes) <= length; i += 2 * lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i));
                s1 = TTerm.Accumulate(s1, Vector128.LoadUnsafe(ref a, i + lanes), Vector128.LoadUnsafe(ref b, i + lanes));
            }

            for (; i + lanes <= length; i += lanes)
            {
                s0 = TTerm.Accumulate(s0, Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i));
            }

            sum += Vector128.Sum(s0 + s1);
        }

        for (; i < length; i++)
        {
            sum = TTerm.Accumulate(sum, Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
        }

        return sum;
    }
}
