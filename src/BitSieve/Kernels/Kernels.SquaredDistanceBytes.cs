using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>Longest input <see cref="SquaredDistanceBytes"/> accepts: every term is at most 255² and the sum must fit 31 bits.</summary>
    public const int SquaredDistanceBytesMaxLength = int.MaxValue / (255 * 255);

    /// <summary>Σᵢ (aᵢ − bᵢ)² of two signed 8-bit vectors, exactly.</summary>
    /// <param name="a">First vector.</param>
    /// <param name="b">Second vector, same length as <paramref name="a"/>, at most <see cref="SquaredDistanceBytesMaxLength"/>.</param>
    /// <returns>The integer squared distance.</returns>
    /// <exception cref="ArgumentException">The lengths differ, or are longer than the sum can hold.</exception>
    public static int SquaredDistanceBytes(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != b.Length) ThrowHelper.ThrowLengthMismatch(nameof(b));
        if (a.Length > SquaredDistanceBytesMaxLength) throw new ArgumentException($"At most {SquaredDistanceBytesMaxLength} coordinates.", nameof(a));
        return SquaredDistanceBytesCore(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length);
    }

    // Both sides widened to 16 bits, subtracted (|aᵢ − bᵢ| ≤ 255), and the differences squared and summed in pairs into
    // 32 bits (vpmaddwd: 2·255² < 2³¹).
    internal static int SquaredDistanceBytesCore(ref sbyte a, ref sbyte b, int length)
    {
        int i = 0, sum = 0;
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && length >= 32)
        {
            var acc = Vector512<int>.Zero;
            for (; i + 32 <= length; i += 32)
            {
                var d = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref a, (nuint)i)) - Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref b, (nuint)i));
                acc += Avx512BW.MultiplyAddAdjacent(d, d);
            }
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && length - i >= 16)
        {
            var acc = Vector256<int>.Zero;
            for (; i + 16 <= length; i += 16)
            {
                var d = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref a, (nuint)i)) - Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref b, (nuint)i));
                acc += Avx2.MultiplyAddAdjacent(d, d);
            }
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && Sse41.IsSupported && length - i >= 8)
        {
            var acc = Vector128<int>.Zero;
            for (; i + 8 <= length; i += 8)
            {
                var d = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, i)))).AsSByte())
                    - Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref b, i)))).AsSByte());
                acc += Sse2.MultiplyAddAdjacent(d, d);
            }
            sum += Vector128.Sum(acc);
        }
        for (; i < length; i++)
        {
            int d = Unsafe.Add(ref a, i) - Unsafe.Add(ref b, i);
            sum += d * d;
        }
        return sum;
    }
}
