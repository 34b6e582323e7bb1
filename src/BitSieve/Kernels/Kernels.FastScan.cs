using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitSieve;

internal static partial class Kernels
{
    /// <summary>Codes per FastScan block: one byte lane per code in a 512-bit register.</summary>
    public const int FastScanCodes = 64;

    /// <summary>
    /// Asymmetric product ⟨b, q⟩ = Σᵢ bᵢ·qᵢ of a 4-bit query with 64 one-bit codes at once, by table look-up
    /// (the FastScan layout of Faiss and RaBitQ): the block stores byte p of every code together,
    /// <c>block[p·64 + v]</c> = byte p of code v, so each register holds one byte position of 64 codes. Each nibble
    /// of that byte selects which of 4 dimensions are set, and a 16-entry table per nibble position gives
    /// Σ qᵢ over them; shuffles (vpshufb) look up 64 codes in one instruction.
    /// </summary>
    /// <param name="block">P·64 bytes, P = bytes per code (even).</param>
    /// <param name="tables">2P tables of 16 entries, each replicated to 64 bytes (one per 128-bit lane): 2P·64 bytes.
    /// Table t (dimensions 4t..4t+3), entry m = Σ of qᵢ over the set bits of m. Entries ≤ 60.</param>
    /// <param name="results">64 products.</param>
    /// <exception cref="ArgumentException">Lengths that do not match.</exception>
    public static void FastScan(ReadOnlySpan<byte> block, ReadOnlySpan<byte> tables, Span<int> results)
    {
        int bytes = block.Length / FastScanCodes;
        if (bytes * FastScanCodes != block.Length || (bytes & 1) != 0)
            ThrowHelper.ThrowArgument(nameof(block), "A FastScan block holds an even number of bytes per code, times 64 codes.");
        if (tables.Length != 2 * block.Length)
            ThrowHelper.ThrowLengthMismatch(nameof(tables));
        if (results.Length != FastScanCodes)
            ThrowHelper.ThrowArgument(nameof(results), "FastScan writes exactly 64 results.");

        FastScanCore(ref MemoryMarshal.GetReference(block), ref MemoryMarshal.GetReference(tables), ref MemoryMarshal.GetReference(results), bytes);
    }

    /// <summary><see cref="FastScan"/> without the checks, for the engine's scan loop (one call per 64 codes).</summary>
    internal static void FastScanCore(ref byte b, ref byte t, ref int r, int bytes)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            FastScan512(ref b, ref t, ref r, bytes);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            FastScan256(ref b, ref t, ref r, bytes, 0);
            FastScan256(ref b, ref t, ref r, bytes, 32);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (int lane = 0; lane < FastScanCodes; lane += 16) FastScan128(ref b, ref t, ref r, bytes, lane);
        }
        else
        {
            FastScanScalar(ref b, ref t, ref r, bytes);
        }
    }

    // Two byte positions (four nibble tables, each entry ≤ 60) sum to ≤ 240 and fit a byte; then widen into 16-bit
    // accumulators (≤ 15·4096 = 61440 < 65536).
    private static void FastScan512(ref byte block, ref byte tables, ref int results, int bytes)
    {
        var mask = Vector512.Create((byte)0x0F);
        var byteMask = Vector512.Create((ushort)0x00FF);
        Vector512<ushort> lower = default, upper = default;
        for (int p = 0; p < bytes; p += 2)
        {
            var x0 = Vector512.LoadUnsafe(ref block, (nuint)(p * 64));
            var x1 = Vector512.LoadUnsafe(ref block, (nuint)((p + 1) * 64));
            ref byte tp = ref Unsafe.Add(ref tables, p * 128);
            var s = Lookup512(Vector512.LoadUnsafe(ref tp), x0 & mask)
                  + Lookup512(Vector512.LoadUnsafe(ref tp, 64), Vector512.ShiftRightLogical(x0, 4) & mask)
                  + Lookup512(Vector512.LoadUnsafe(ref tp, 128), x1 & mask)
                  + Lookup512(Vector512.LoadUnsafe(ref tp, 192), Vector512.ShiftRightLogical(x1, 4) & mask);
            // Even codes in the low byte of each 16-bit lane, odd codes in the high byte.
            lower += s.AsUInt16() & byteMask;
            upper += Vector512.ShiftRightLogical(s.AsUInt16(), 8);
        }
        if (Avx512BW.IsSupported)
        {
            // Codes 0..31 and 32..63 in order: even codes from `lower`, odd ones from `upper` (indices ≥ 32).
            ref ushort indices = ref MemoryMarshal.GetReference(InterleaveIndices);
            var first = Avx512BW.PermuteVar32x16x2(lower, Vector512.LoadUnsafe(ref indices), upper);
            var second = Avx512BW.PermuteVar32x16x2(lower, Vector512.LoadUnsafe(ref indices, 32), upper);
            Vector512.WidenLower(first).AsInt32().StoreUnsafe(ref results);
            Vector512.WidenUpper(first).AsInt32().StoreUnsafe(ref results, 16);
            Vector512.WidenLower(second).AsInt32().StoreUnsafe(ref results, 32);
            Vector512.WidenUpper(second).AsInt32().StoreUnsafe(ref results, 48);
        }
        else
        {
            Interleave(ref results, 0, lower, upper);
        }
    }

    private static void FastScan256(ref byte block, ref byte tables, ref int results, int bytes, int lane)
    {
        var mask = Vector256.Create((byte)0x0F);
        var byteMask = Vector256.Create((ushort)0x00FF);
        Vector256<ushort> lower = default, upper = default;
        for (int p = 0; p < bytes; p += 2)
        {
            var x0 = Vector256.LoadUnsafe(ref block, (nuint)(p * 64 + lane));
            var x1 = Vector256.LoadUnsafe(ref block, (nuint)((p + 1) * 64 + lane));
            ref byte tp = ref Unsafe.Add(ref tables, p * 128);
            var s = Lookup256(Vector256.LoadUnsafe(ref tp), x0 & mask)
                  + Lookup256(Vector256.LoadUnsafe(ref tp, 64), Vector256.ShiftRightLogical(x0, 4) & mask)
                  + Lookup256(Vector256.LoadUnsafe(ref tp, 128), x1 & mask)
                  + Lookup256(Vector256.LoadUnsafe(ref tp, 192), Vector256.ShiftRightLogical(x1, 4) & mask);
            // Even codes in the low byte of each 16-bit lane, odd codes in the high byte.
            lower += s.AsUInt16() & byteMask;
            upper += Vector256.ShiftRightLogical(s.AsUInt16(), 8);
        }
        if (Avx2.IsSupported)
        {
            // Unpacking interleaves within 128-bit halves: lo = codes [0..7 | 16..23], hi = [8..15 | 24..31].
            var lo = Avx2.UnpackLow(lower, upper);
            var hi = Avx2.UnpackHigh(lower, upper);
            var first = Avx2.Permute2x128(lo, hi, 0x20);
            var second = Avx2.Permute2x128(lo, hi, 0x31);
            Vector256.WidenLower(first).AsInt32().StoreUnsafe(ref results, (nuint)lane);
            Vector256.WidenUpper(first).AsInt32().StoreUnsafe(ref results, (nuint)lane + 8);
            Vector256.WidenLower(second).AsInt32().StoreUnsafe(ref results, (nuint)lane + 16);
            Vector256.WidenUpper(second).AsInt32().StoreUnsafe(ref results, (nuint)lane + 24);
        }
        else
        {
            Interleave(ref results, lane, lower, upper);
        }
    }

    private static void FastScan128(ref byte block, ref byte tables, ref int results, int bytes, int lane)
    {
        var mask = Vector128.Create((byte)0x0F);
        var byteMask = Vector128.Create((ushort)0x00FF);
        Vector128<ushort> lower = default, upper = default;
        for (int p = 0; p < bytes; p += 2)
        {
            var x0 = Vector128.LoadUnsafe(ref block, (nuint)(p * 64 + lane));
            var x1 = Vector128.LoadUnsafe(ref block, (nuint)((p + 1) * 64 + lane));
            ref byte tp = ref Unsafe.Add(ref tables, p * 128);
            var s = Lookup128(Vector128.LoadUnsafe(ref tp), x0 & mask)
                  + Lookup128(Vector128.LoadUnsafe(ref tp, 64), Vector128.ShiftRightLogical(x0, 4) & mask)
                  + Lookup128(Vector128.LoadUnsafe(ref tp, 128), x1 & mask)
                  + Lookup128(Vector128.LoadUnsafe(ref tp, 192), Vector128.ShiftRightLogical(x1, 4) & mask);
            // Even codes in the low byte of each 16-bit lane, odd codes in the high byte.
            lower += s.AsUInt16() & byteMask;
            upper += Vector128.ShiftRightLogical(s.AsUInt16(), 8);
        }
        if (Sse2.IsSupported)
        {
            var first = Sse2.UnpackLow(lower, upper);
            var second = Sse2.UnpackHigh(lower, upper);
            Vector128.WidenLower(first).AsInt32().StoreUnsafe(ref results, (nuint)lane);
            Vector128.WidenUpper(first).AsInt32().StoreUnsafe(ref results, (nuint)lane + 4);
            Vector128.WidenLower(second).AsInt32().StoreUnsafe(ref results, (nuint)lane + 8);
            Vector128.WidenUpper(second).AsInt32().StoreUnsafe(ref results, (nuint)lane + 12);
        }
        else
        {
            Interleave(ref results, lane, lower, upper);
        }
    }

    // In-lane byte table look-up (vpshufb). The portable ShuffleNative becomes a cross-lane emulation on AVX2 and
    // vpermb on AVX-512; the tables are replicated per 128-bit lane, so the in-lane instruction is all that is needed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup512(Vector512<byte> table, Vector512<byte> index) =>
        Avx512BW.IsSupported ? Avx512BW.Shuffle(table, index) : Vector512.ShuffleNative(table, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Lookup256(Vector256<byte> table, Vector256<byte> index) =>
        Avx2.IsSupported ? Avx2.Shuffle(table, index) : Vector256.ShuffleNative(table, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup128(Vector128<byte> table, Vector128<byte> index) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(table, index) : Vector128.ShuffleNative(table, index);

    // vpermt2w indices that put even-code sums (`lower`, 0..31) and odd-code sums (`upper`, 32..63) back in code order.
    private static ReadOnlySpan<ushort> InterleaveIndices =>
    [
        0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47,
        16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55, 24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63,
    ];

    /// <summary>Writes even-code sums and odd-code sums back in code order where no unpack instruction is at hand.</summary>
    private static void Interleave<T>(ref int results, int lane, T even, T odd)
        where T : struct
    {
        var e = MemoryMarshal.Cast<T, ushort>(new Span<T>(ref even));
        var o = MemoryMarshal.Cast<T, ushort>(new Span<T>(ref odd));
        for (int i = 0; i < e.Length; i++)
        {
            Unsafe.Add(ref results, lane + 2 * i) = e[i];
            Unsafe.Add(ref results, lane + 2 * i + 1) = o[i];
        }
    }

    private static void FastScanScalar(ref byte block, ref byte tables, ref int results, int bytes)
    {
        for (int v = 0; v < FastScanCodes; v++)
        {
            int sum = 0;
            for (int p = 0; p < bytes; p++)
            {
                int x = Unsafe.Add(ref block, p * FastScanCodes + v);
                sum += Unsafe.Add(ref tables, 2 * p * 64 + (x & 0x0F)) + Unsafe.Add(ref tables, (2 * p + 1) * 64 + (x >> 4));
            }
            Unsafe.Add(ref results, v) = sum;
        }
    }
}
