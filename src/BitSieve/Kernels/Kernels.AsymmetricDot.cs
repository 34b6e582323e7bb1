using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>
    /// Asymmetric product of a 1-bit code with a bit-plane query: ⟨b, q⟩ = Σ_k 2^k · popcount(b ∧ q_k), k &lt; <paramref name="queryBits"/>.
    /// </summary>
    /// <param name="code">The code, W words.</param>
    /// <param name="queryPlanes"><paramref name="queryBits"/> planes of W words each; plane k at [k·W, (k+1)·W).</param>
    /// <param name="queryBits">Bits per query coordinate, 1..8.</param>
    /// <returns>The integer product.</returns>
    /// <exception cref="ArgumentException">Bad bit count or lengths that do not match.</exception>
    public static long AsymmetricDot(ReadOnlySpan<ulong> code, ReadOnlySpan<ulong> queryPlanes, int queryBits)
    {
        if ((uint)(queryBits - 1) > 7)
        {
            ThrowHelper.ThrowBitCount(nameof(queryBits), queryBits);
        }

        if ((long)code.Length * queryBits != queryPlanes.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(queryPlanes));
        }

        return (long)AsymmetricDotCore(
            ref MemoryMarshal.GetReference(code), ref MemoryMarshal.GetReference(queryPlanes), (nuint)code.Length, queryBits);
    }

    // Σ_k 2^k · popcount(code ∧ plane_k) over W words: whole registers of each width, then scalar words.
    private static ulong AsymmetricDotCore(ref ulong code, ref ulong planes, nuint words, int queryBits)
    {
        nuint i = 0;
        ulong sum = 0;
        if (Vector512.IsHardwareAccelerated && words >= (nuint)Vector512<ulong>.Count)
        {
            sum += AsymmetricDotVectors<Lanes512, Vector512<ulong>>(ref code, ref planes, words, words, queryBits, ref i);
        }

        if (Vector256.IsHardwareAccelerated && words - i >= (nuint)Vector256<ulong>.Count)
        {
            sum += AsymmetricDotVectors<Lanes256, Vector256<ulong>>(ref code, ref planes, words, words, queryBits, ref i);
        }

        if (Vector128.IsHardwareAccelerated && words - i >= (nuint)Vector128<ulong>.Count)
        {
            sum += AsymmetricDotVectors<Lanes128, Vector128<ulong>>(ref code, ref planes, words, words, queryBits, ref i);
        }

        for (; i < words; i++)
        {
            ulong c = Unsafe.Add(ref code, i);
            for (int k = 0; k < queryBits; k++)
            {
                sum += (ulong)BitOperations.PopCount(c & Unsafe.Add(ref planes, ((nuint)k * words) + i)) << k;
            }
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AsymmetricDotVectors<T, TV>(
        ref ulong code, ref ulong planes, nuint words, nuint planeStride, int queryBits, ref nuint i)
        where T : IBitLanes<TV>
        where TV : struct
    {
        nuint lanes = (nuint)T.Words;
        TV acc = T.Zero;
        for (; i + lanes <= words; i += lanes)
        {
            acc = T.AddWords(acc, WeightedAndPopCount<T, TV>(T.Load(ref code, i), ref Unsafe.Add(ref planes, i), planeStride, queryBits));
        }

        return T.Sum(acc);
    }

    /// <summary>
    /// Σ_k 2^k · popcount(code ∧ plane_k) for one register of code words, as per-lane sums. Planes are read at
    /// <paramref name="planes"/> + k·<paramref name="planeStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV WeightedAndPopCount<T, TV>(TV code, ref ulong planes, nuint planeStride, int queryBits)
        where T : IBitLanes<TV>
        where TV : struct
    {
        TV total = T.Zero;
        for (int g = 0; g < queryBits; g += 4)
        {
            // Up to four planes weighted 1, 2, 4, 8 inside each byte: at most 8 · 15 = 120, no byte overflow.
            ref ulong p = ref Unsafe.Add(ref planes, (nuint)g * planeStride);
            TV x = T.And(code, T.Load(ref p, 0));
            TV bytes = T.AddBytes(T.NibblePopCount(T.LowNibbles(x), 0), T.NibblePopCount(T.HighNibbles(x), 0));
            int count = queryBits - g;
            if (count > 1)
            {
                x = T.And(code, T.Load(ref p, planeStride));
                bytes = T.AddBytes(bytes, T.AddBytes(T.NibblePopCount(T.LowNibbles(x), 1), T.NibblePopCount(T.HighNibbles(x), 1)));
            }

            if (count > 2)
            {
                x = T.And(code, T.Load(ref p, 2 * planeStride));
                bytes = T.AddBytes(bytes, T.AddBytes(T.NibblePopCount(T.LowNibbles(x), 2), T.NibblePopCount(T.HighNibbles(x), 2)));
            }

            if (count > 3)
            {
                x = T.And(code, T.Load(ref p, 3 * planeStride));
                bytes = T.AddBytes(bytes, T.AddBytes(T.NibblePopCount(T.LowNibbles(x), 3), T.NibblePopCount(T.HighNibbles(x), 3)));
            }

            total = T.AddWords(total, T.ShiftLeftWords(T.SumBytes(bytes), g));
        }

        return total;
    }
}
