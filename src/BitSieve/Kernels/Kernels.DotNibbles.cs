using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>
    /// Σᵢ cᵢ·qᵢ of 4-bit codes with a signed 8-bit query. The codes are packed two per byte, split in halves: byte j
    /// holds c_j in its low nibble and c_(j+h) in its high nibble, h = <paramref name="packed"/>.Length, so each half
    /// unpacks to codes in query order with one mask or shift.
    /// </summary>
    /// <param name="packed">h bytes: 2h codes in [0, 16).</param>
    /// <param name="query">2h signed coordinates.</param>
    /// <returns>The integer product (it cannot overflow: |Σ| ≤ 15·128·2h).</returns>
    /// <exception cref="ArgumentException">The query is not twice as long as the packed codes.</exception>
    public static int DotNibbles(ReadOnlySpan<byte> packed, ReadOnlySpan<sbyte> query)
    {
        if (query.Length != 2 * packed.Length) ThrowHelper.ThrowLengthMismatch(nameof(query));
        return DotNibblesCore(ref MemoryMarshal.GetReference(packed), ref MemoryMarshal.GetReference(query), packed.Length);
    }

    // u8 × s8 pairs summed into 16 bits (vpmaddubsw: ≤ 2·15·128, no saturation), then into 32 bits (vpmaddwd by 1).
    internal static int DotNibblesCore(ref byte packed, ref sbyte query, int half)
    {
        int i = 0, sum = 0;
        ref sbyte upper = ref Unsafe.Add(ref query, half);
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && half >= 64)
        {
            var mask = Vector512.Create((byte)0x0F);
            var ones = Vector512.Create((short)1);
            var acc = Vector512<int>.Zero;
            for (; i + 64 <= half; i += 64)
            {
                var x = Vector512.LoadUnsafe(ref packed, (nuint)i);
                var pairs = Avx512BW.MultiplyAddAdjacent(x & mask, Vector512.LoadUnsafe(ref query, (nuint)i))
                          + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(x, 4) & mask, Vector512.LoadUnsafe(ref upper, (nuint)i));
                acc += Avx512BW.MultiplyAddAdjacent(pairs, ones);
            }
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && half - i >= 32)
        {
            var mask = Vector256.Create((byte)0x0F);
            var ones = Vector256.Create((short)1);
            var acc = Vector256<int>.Zero;
            for (; i + 32 <= half; i += 32)
            {
                var x = Vector256.LoadUnsafe(ref packed, (nuint)i);
                var pairs = Avx2.MultiplyAddAdjacent(x & mask, Vector256.LoadUnsafe(ref query, (nuint)i))
                          + Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(x, 4) & mask, Vector256.LoadUnsafe(ref upper, (nuint)i));
                acc += Avx2.MultiplyAddAdjacent(pairs, ones);
            }
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && Ssse3.IsSupported && half - i >= 16)
        {
            var mask = Vector128.Create((byte)0x0F);
            var ones = Vector128.Create((short)1);
            var acc = Vector128<int>.Zero;
            for (; i + 16 <= half; i += 16)
            {
                var x = Vector128.LoadUnsafe(ref packed, (nuint)i);
                var pairs = Ssse3.MultiplyAddAdjacent(x & mask, Vector128.LoadUnsafe(ref query, (nuint)i))
                          + Ssse3.MultiplyAddAdjacent(Vector128.ShiftRightLogical(x, 4) & mask, Vector128.LoadUnsafe(ref upper, (nuint)i));
                acc += Sse2.MultiplyAddAdjacent(pairs, ones);
            }
            sum += Vector128.Sum(acc);
        }
        for (; i < half; i++)
        {
            int x = Unsafe.Add(ref packed, i);
            sum += (x & 0x0F) * Unsafe.Add(ref query, i) + (x >> 4) * Unsafe.Add(ref upper, i);
        }
        return sum;
    }
}
