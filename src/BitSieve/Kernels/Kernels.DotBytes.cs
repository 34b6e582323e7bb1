using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>Largest |qᵢ| <see cref="DotBytes"/> accepts: two products of 255·63 still fit a signed 16-bit sum.</summary>
    public const int DotBytesQueryLimit = 63;

    /// <summary>
    /// Σᵢ cᵢ·qᵢ of 8-bit unsigned codes with a signed query whose coordinates lie in
    /// [−<see cref="DotBytesQueryLimit"/>, <see cref="DotBytesQueryLimit"/>].
    /// </summary>
    /// <param name="codes">Codes in [0, 256).</param>
    /// <param name="query">As many signed coordinates, |qᵢ| ≤ 63.</param>
    /// <returns>The integer product.</returns>
    /// <exception cref="ArgumentException">Lengths that do not match.</exception>
    public static int DotBytes(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> query)
    {
        if (query.Length != codes.Length) ThrowHelper.ThrowLengthMismatch(nameof(query));
        return DotBytesCore(ref MemoryMarshal.GetReference(codes), ref MemoryMarshal.GetReference(query), codes.Length);
    }

    // u8 × s8 pairs summed into 16 bits (vpmaddubsw: ≤ 2·255·63 < 2¹⁵), then into 32 bits (vpmaddwd by 1).
    internal static int DotBytesCore(ref byte codes, ref sbyte query, int length)
    {
        int i = 0, sum = 0;
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && length >= 64)
        {
            var ones = Vector512.Create((short)1);
            var acc = Vector512<int>.Zero;
            for (; i + 64 <= length; i += 64)
                acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref codes, (nuint)i), Vector512.LoadUnsafe(ref query, (nuint)i)), ones);
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && length - i >= 32)
        {
            var ones = Vector256.Create((short)1);
            var acc = Vector256<int>.Zero;
            for (; i + 32 <= length; i += 32)
                acc += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref codes, (nuint)i), Vector256.LoadUnsafe(ref query, (nuint)i)), ones);
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && Ssse3.IsSupported && length - i >= 16)
        {
            var ones = Vector128.Create((short)1);
            var acc = Vector128<int>.Zero;
            for (; i + 16 <= length; i += 16)
                acc += Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref codes, (nuint)i), Vector128.LoadUnsafe(ref query, (nuint)i)), ones);
            sum += Vector128.Sum(acc);
        }
        for (; i < length; i++) sum += Unsafe.Add(ref codes, i) * Unsafe.Add(ref query, i);
        return sum;
    }
}
