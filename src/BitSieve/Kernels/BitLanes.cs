using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitSieve;

/// <summary>
/// The few vector operations the bit kernels need, over one register width. The kernels are written once,
/// generic over a struct implementing this, and the JIT specializes them per width (no virtual calls).
/// </summary>
/// <remarks>
/// Popcount of a register is computed per byte with a nibble lookup (Muła): two in-lane byte shuffles into a
/// 16-entry table, then bytes are summed into 64-bit lanes by <c>vpsadbw</c> against zero.
/// </remarks>
internal interface IBitLanes<TV>
    where TV : struct
{
    /// <summary>Words (<see cref="ulong"/>) per register.</summary>
    static abstract int Words { get; }

    static abstract TV Load(ref ulong source, nuint wordOffset);

    static abstract TV Zero { get; }

    static abstract TV And(TV a, TV b);

    static abstract TV Xor(TV a, TV b);

    /// <summary>Low nibble of every byte.</summary>
    static abstract TV LowNibbles(TV v);

    /// <summary>High nibble of every byte, shifted down.</summary>
    static abstract TV HighNibbles(TV v);

    /// <summary>Per byte: popcount(nibble) · 2^<paramref name="shift"/>; shift 0..3 (a JIT-time constant at call sites).</summary>
    static abstract TV NibblePopCount(TV nibbles, [ConstantExpected(Min = 0, Max = 3)] byte shift);

    /// <summary>Per byte: popcount(byte).</summary>
    static abstract TV BytePopCount(TV v);

    static abstract TV AddBytes(TV a, TV b);

    /// <summary>Sums each group of 8 bytes into its 64-bit lane.</summary>
    static abstract TV SumBytes(TV bytes);

    static abstract TV AddWords(TV a, TV b);

    static abstract TV ShiftLeftWords(TV a, int count);

    static abstract ulong Sum(TV words);
}

/// <summary>popcount(0..15) as bytes, packed little-endian into two words; ≤ 4 per byte, so a shift by ≤ 3 scales every entry.</summary>
internal static class NibbleTable
{
    public const ulong Low = 0x0302020102010100UL;
    public const ulong High = 0x0403030203020201UL;

    /// <summary>The low nibble of every byte.</summary>
    public const ulong LowMask = 0x0F0F0F0F0F0F0F0FUL;
}

internal readonly struct Lanes512 : IBitLanes<Vector512<ulong>>
{
    public static int Words => Vector512<ulong>.Count;

    public static Vector512<ulong> Zero => Vector512<ulong>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Load(ref ulong source, nuint wordOffset) => Vector512.LoadUnsafe(ref source, wordOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> And(Vector512<ulong> a, Vector512<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Xor(Vector512<ulong> a, Vector512<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> LowNibbles(Vector512<ulong> v) => v & Vector512.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> HighNibbles(Vector512<ulong> v) => Vector512.ShiftRightLogical(v, 4) & Vector512.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> NibblePopCount(Vector512<ulong> nibbles, [ConstantExpected(Min = 0, Max = 3)] byte shift)
    {
        ulong lo = NibbleTable.Low << shift, hi = NibbleTable.High << shift;
        Vector512<byte> table = Vector512.Create(lo, hi, lo, hi, lo, hi, lo, hi).AsByte();

        // In-lane vpshufb: the table is repeated per 128-bit lane and indices are < 16.
        return Avx512BW.IsSupported
            ? Avx512BW.Shuffle(table, nibbles.AsByte()).AsUInt64()
            : Vector512.ShuffleNative(table, nibbles.AsByte()).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> BytePopCount(Vector512<ulong> v) =>
        AddBytes(NibblePopCount(LowNibbles(v), 0), NibblePopCount(HighNibbles(v), 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> AddBytes(Vector512<ulong> a, Vector512<ulong> b) => (a.AsByte() + b.AsByte()).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> SumBytes(Vector512<ulong> bytes)
    {
        if (Avx512BW.IsSupported)
        {
            return Avx512BW.SumAbsoluteDifferences(bytes.AsByte(), Vector512<byte>.Zero).AsUInt64();
        }

        return Vector512.Create(Lanes256.SumBytes(bytes.GetLower()), Lanes256.SumBytes(bytes.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> AddWords(Vector512<ulong> a, Vector512<ulong> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> ShiftLeftWords(Vector512<ulong> a, int count) => a << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sum(Vector512<ulong> words) => Vector512.Sum(words);
}

internal readonly struct Lanes256 : IBitLanes<Vector256<ulong>>
{
    public static int Words => Vector256<ulong>.Count;

    public static Vector256<ulong> Zero => Vector256<ulong>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Load(ref ulong source, nuint wordOffset) => Vector256.LoadUnsafe(ref source, wordOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> And(Vector256<ulong> a, Vector256<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Xor(Vector256<ulong> a, Vector256<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> LowNibbles(Vector256<ulong> v) => v & Vector256.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> HighNibbles(Vector256<ulong> v) => Vector256.ShiftRightLogical(v, 4) & Vector256.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> NibblePopCount(Vector256<ulong> nibbles, [ConstantExpected(Min = 0, Max = 3)] byte shift)
    {
        ulong lo = NibbleTable.Low << shift, hi = NibbleTable.High << shift;
        Vector256<byte> table = Vector256.Create(lo, hi, lo, hi).AsByte();

        // Vector256.ShuffleNative keeps cross-lane semantics without AVX-512 VBMI (vperm2i128 + 2 vpshufb + blend);
        // the in-lane vpshufb suffices since the table is repeated per lane.
        return Avx2.IsSupported
            ? Avx2.Shuffle(table, nibbles.AsByte()).AsUInt64()
            : Vector256.ShuffleNative(table, nibbles.AsByte()).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> BytePopCount(Vector256<ulong> v) =>
        AddBytes(NibblePopCount(LowNibbles(v), 0), NibblePopCount(HighNibbles(v), 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> AddBytes(Vector256<ulong> a, Vector256<ulong> b) => (a.AsByte() + b.AsByte()).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> SumBytes(Vector256<ulong> bytes)
    {
        if (Avx2.IsSupported)
        {
            return Avx2.SumAbsoluteDifferences(bytes.AsByte(), Vector256<byte>.Zero).AsUInt64();
        }

        return Vector256.Create(Lanes128.SumBytes(bytes.GetLower()), Lanes128.SumBytes(bytes.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> AddWords(Vector256<ulong> a, Vector256<ulong> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> ShiftLeftWords(Vector256<ulong> a, int count) => a << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sum(Vector256<ulong> words) => Vector256.Sum(words);
}

internal readonly struct Lanes128 : IBitLanes<Vector128<ulong>>
{
    public static int Words => Vector128<ulong>.Count;

    public static Vector128<ulong> Zero => Vector128<ulong>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Load(ref ulong source, nuint wordOffset) => Vector128.LoadUnsafe(ref source, wordOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> And(Vector128<ulong> a, Vector128<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Xor(Vector128<ulong> a, Vector128<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> LowNibbles(Vector128<ulong> v) => v & Vector128.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> HighNibbles(Vector128<ulong> v) => Vector128.ShiftRightLogical(v, 4) & Vector128.Create(NibbleTable.LowMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> NibblePopCount(Vector128<ulong> nibbles, [ConstantExpected(Min = 0, Max = 3)] byte shift)
    {
        ulong lo = NibbleTable.Low << shift, hi = NibbleTable.High << shift;
        return Vector128.ShuffleNative(Vector128.Create(lo, hi).AsByte(), nibbles.AsByte()).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> BytePopCount(Vector128<ulong> v) =>
        AddBytes(NibblePopCount(LowNibbles(v), 0), NibblePopCount(HighNibbles(v), 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> AddBytes(Vector128<ulong> a, Vector128<ulong> b) => (a.AsByte() + b.AsByte()).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> SumBytes(Vector128<ulong> bytes)
    {
        if (Sse2.IsSupported)
        {
            return Sse2.SumAbsoluteDifferences(bytes.AsByte(), Vector128<byte>.Zero).AsUInt64();
        }

        // Portable: pairwise widening sums inside each 64-bit lane.
        Vector128<ulong> x = (bytes & Vector128.Create(0x00FF00FF00FF00FFUL)) + ((bytes >> 8) & Vector128.Create(0x00FF00FF00FF00FFUL));
        x = (x & Vector128.Create(0x0000FFFF0000FFFFUL)) + ((x >> 16) & Vector128.Create(0x0000FFFF0000FFFFUL));
        return (x & Vector128.Create(0x00000000FFFFFFFFUL)) + (x >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> AddWords(Vector128<ulong> a, Vector128<ulong> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> ShiftLeftWords(Vector128<ulong> a, int count) => a << count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sum(Vector128<ulong> words) => Vector128.Sum(words);
}
