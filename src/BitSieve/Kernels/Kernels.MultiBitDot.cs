using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>
    /// Product of a multi-bit code with a bit-plane query, both stored as bit planes:
    /// ⟨x̄, q⟩ = Σ_j Σ_k 2^(j+k) · popcount(c_j ∧ q_k), j &lt; <paramref name="codeBits"/>, k &lt; <paramref name="queryBits"/>.
    /// </summary>
    /// <param name="codePlanes"><paramref name="codeBits"/> planes of W words, W = queryPlanes.Length / queryBits.</param>
    /// <param name="codeBits">Bits per code coordinate, 1..8.</param>
    /// <param name="queryPlanes"><paramref name="queryBits"/> planes of W words.</param>
    /// <param name="queryBits">Bits per query coordinate, 1..8.</param>
    /// <returns>The integer product.</returns>
    /// <exception cref="ArgumentException">Bad bit counts or lengths that do not match.</exception>
    public static long MultiBitDot(ReadOnlySpan<ulong> codePlanes, int codeBits, ReadOnlySpan<ulong> queryPlanes, int queryBits)
    {
        if ((uint)(codeBits - 1) > 7)
        {
            ThrowHelper.ThrowBitCount(nameof(codeBits), codeBits);
        }

        if ((uint)(queryBits - 1) > 7)
        {
            ThrowHelper.ThrowBitCount(nameof(queryBits), queryBits);
        }

        int words = queryPlanes.Length / queryBits;
        if (words * queryBits != queryPlanes.Length)
        {
            ThrowHelper.ThrowArgument(nameof(queryPlanes), "Query planes length must be a multiple of queryBits.");
        }

        if ((long)words * codeBits != codePlanes.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(codePlanes));
        }

        return (long)MultiBitDotCore(
            ref MemoryMarshal.GetReference(codePlanes), codeBits, ref MemoryMarshal.GetReference(queryPlanes), queryBits, (nuint)words);
    }

    // Σ_j 2^j · Σ_k 2^k · popcount(c_j ∧ q_k): each code plane is an asymmetric product with the whole query.
    private static ulong MultiBitDotCore(ref ulong code, int codeBits, ref ulong planes, int queryBits, nuint words)
    {
        nuint i = 0;
        ulong sum = 0;
        if (Vector512.IsHardwareAccelerated && words >= (nuint)Vector512<ulong>.Count)
        {
            sum += MultiBitDotVectors<Lanes512, Vector512<ulong>>(ref code, codeBits, ref planes, queryBits, words, ref i);
        }

        if (Vector256.IsHardwareAccelerated && words - i >= (nuint)Vector256<ulong>.Count)
        {
            sum += MultiBitDotVectors<Lanes256, Vector256<ulong>>(ref code, codeBits, ref planes, queryBits, words, ref i);
        }

        if (Vector128.IsHardwareAccelerated && words - i >= (nuint)Vector128<ulong>.Count)
        {
            sum += MultiBitDotVectors<Lanes128, Vector128<ulong>>(ref code, codeBits, ref planes, queryBits, words, ref i);
        }

        for (; i < words; i++)
        {
            for (int j = 0; j < codeBits; j++)
            {
                ulong c = Unsafe.Add(ref code, ((nuint)j * words) + i);
                ulong plane = 0;
                for (int k = 0; k < queryBits; k++)
                {
                    plane += (ulong)BitOperations.PopCount(c & Unsafe.Add(ref planes, ((nuint)k * words) + i)) << k;
                }

                sum += plane << j;
            }
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MultiBitDotVectors<T, TV>(ref ulong code, int codeBits, ref ulong planes, int queryBits, nuint words, ref nuint i)
        where T : IBitLanes<TV>
        where TV : struct
    {
        nuint lanes = (nuint)T.Words;
        TV acc = T.Zero;
        for (; i + lanes <= words; i += lanes)
        {
            ref ulong q = ref Unsafe.Add(ref planes, i);
            for (int j = 0; j < codeBits; j++)
            {
                TV c = T.Load(ref code, ((nuint)j * words) + i);
                acc = T.AddWords(acc, T.ShiftLeftWords(WeightedAndPopCount<T, TV>(c, ref q, words, queryBits), j));
            }
        }

        return T.Sum(acc);
    }
}
