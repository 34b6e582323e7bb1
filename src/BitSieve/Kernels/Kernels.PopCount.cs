using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

/// <summary>Bit and float kernels behind every precision tier: popcounts, asymmetric bit-plane products, float dots.</summary>
internal static partial class Kernels
{
    /// <summary>Number of set bits: Σ popcount(bits[i]).</summary>
    /// <param name="bits">Packed bits.</param>
    /// <returns>The population count.</returns>
    public static long PopCount(ReadOnlySpan<ulong> bits) =>
        (long)PopCountCore(ref MemoryMarshal.GetReference(bits), (nuint)bits.Length);

    /// <summary>Hamming distance: Σ popcount(a[i] ⊕ b[i]).</summary>
    /// <param name="a">First bit string.</param>
    /// <param name="b">Second bit string, same length as <paramref name="a"/>.</param>
    /// <returns>The number of differing bits.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static long Hamming(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length != b.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(b));
        }

        return (long)HammingCore(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    private static ulong PopCountCore(ref ulong bits, nuint length)
    {
        nuint i = 0;
        ulong sum = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<ulong>.Count)
        {
            sum += PopCountVectors<Lanes512, Vector512<ulong>>(ref bits, length, ref i);
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<ulong>.Count)
        {
            sum += PopCountVectors<Lanes256, Vector256<ulong>>(ref bits, length, ref i);
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<ulong>.Count)
        {
            sum += PopCountVectors<Lanes128, Vector128<ulong>>(ref bits, length, ref i);
        }

        for (; i < length; i++)
        {
            sum += (ulong)BitOperations.PopCount(Unsafe.Add(ref bits, i));
        }

        return sum;
    }

    private static ulong HammingCore(ref ulong a, ref ulong b, nuint length)
    {
        nuint i = 0;
        ulong sum = 0;
        if (Vector512.IsHardwareAccelerated && length >= (nuint)Vector512<ulong>.Count)
        {
            sum += HammingVectors<Lanes512, Vector512<ulong>>(ref a, ref b, length, ref i);
        }

        if (Vector256.IsHardwareAccelerated && length - i >= (nuint)Vector256<ulong>.Count)
        {
            sum += HammingVectors<Lanes256, Vector256<ulong>>(ref a, ref b, length, ref i);
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<ulong>.Count)
        {
            sum += HammingVectors<Lanes128, Vector128<ulong>>(ref a, ref b, length, ref i);
        }

        for (; i < length; i++)
        {
            sum += (ulong)BitOperations.PopCount(Unsafe.Add(ref a, i) ^ Unsafe.Add(ref b, i));
        }

        return sum;
    }

    // Whole registers from i on; i is left at the first word not covered.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PopCountVectors<T, TV>(ref ulong bits, nuint length, ref nuint i)
        where T : IBitLanes<TV>
        where TV : struct
    {
        nuint lanes = (nuint)T.Words;
        TV acc = T.Zero;

        // Four registers' byte counts (≤ 4·8 = 32 per byte) share one byte sum.
        for (; i + (4 * lanes) <= length; i += 4 * lanes)
        {
            TV b0 = T.AddBytes(T.BytePopCount(T.Load(ref bits, i)), T.BytePopCount(T.Load(ref bits, i + lanes)));
            TV b1 = T.AddBytes(T.BytePopCount(T.Load(ref bits, i + (2 * lanes))), T.BytePopCount(T.Load(ref bits, i + (3 * lanes))));
            acc = T.AddWords(acc, T.SumBytes(T.AddBytes(b0, b1)));
        }

        for (; i + lanes <= length; i += lanes)
        {
            acc = T.AddWords(acc, T.SumBytes(T.BytePopCount(T.Load(ref bits, i))));
        }

        return T.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HammingVectors<T, TV>(ref ulong a, ref ulong b, nuint length, ref nuint i)
        where T : IBitLanes<TV>
        where TV : struct
    {
        nuint lanes = (nuint)T.Words;
        TV acc = T.Zero;

        for (; i + (4 * lanes) <= length; i += 4 * lanes)
        {
            TV x0 = T.Xor(T.Load(ref a, i), T.Load(ref b, i));
            TV x1 = T.Xor(T.Load(ref a, i + lanes), T.Load(ref b, i + lanes));
            TV x2 = T.Xor(T.Load(ref a, i + (2 * lanes)), T.Load(ref b, i + (2 * lanes)));
            TV x3 = T.Xor(T.Load(ref a, i + (3 * lanes)), T.Load(ref b, i + (3 * lanes)));
            TV bytes = T.AddBytes(T.AddBytes(T.BytePopCount(x0), T.BytePopCount(x1)), T.AddBytes(T.BytePopCount(x2), T.BytePopCount(x3)));
            acc = T.AddWords(acc, T.SumBytes(bytes));
        }

        for (; i + lanes <= length; i += lanes)
        {
            acc = T.AddWords(acc, T.SumBytes(T.BytePopCount(T.Xor(T.Load(ref a, i), T.Load(ref b, i)))));
        }

        return T.Sum(acc);
    }
}
