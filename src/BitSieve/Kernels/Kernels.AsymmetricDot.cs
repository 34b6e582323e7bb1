using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BitSieve;

public static partial class Kernels
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

    /// <summary>
    /// <see cref="AsymmetricDot"/> of every code in a row-major block against one query:
    /// results[i] = AsymmetricDot(codes[i·W .. (i+1)·W), queryPlanes, queryBits), W = queryPlanes.Length / queryBits.
    /// </summary>
    /// <param name="codes">results.Length codes of W words, back to back.</param>
    /// <param name="queryPlanes"><paramref name="queryBits"/> planes of W words each.</param>
    /// <param name="queryBits">Bits per query coordinate, 1..8.</param>
    /// <param name="results">One product per code.</param>
    /// <exception cref="ArgumentException">Bad bit count or lengths that do not match.</exception>
    public static void AsymmetricDotBlock(ReadOnlySpan<ulong> codes, ReadOnlySpan<ulong> queryPlanes, int queryBits, Span<int> results)
    {
        if ((uint)(queryBits - 1) > 7)
        {
            ThrowHelper.ThrowBitCount(nameof(queryBits), queryBits);
        }

        int words = queryPlanes.Length / queryBits;
        if (words * queryBits != queryPlanes.Length)
        {
            ThrowHelper.ThrowArgument(nameof(queryPlanes), "Query planes length must be a multiple of queryBits.");
        }

        if ((long)results.Length * words != codes.Length)
        {
            ThrowHelper.ThrowLengthMismatch(nameof(codes));
        }

        if (results.IsEmpty)
        {
            return;
        }

        if (words == 0)
        {
            results.Clear();
            return;
        }

        AsymmetricDotBlockCore(codes, queryPlanes, queryBits, words, results);
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

    private static void AsymmetricDotBlockCore(ReadOnlySpan<ulong> codes, ReadOnlySpan<ulong> queryPlanes, int queryBits, int words, Span<int> results)
    {
        ref ulong codeRef = ref MemoryMarshal.GetReference(codes);
        ref ulong planeRef = ref MemoryMarshal.GetReference(queryPlanes);
        int done = 0;
        if (Vector512.IsHardwareAccelerated && words > Vector256<ulong>.Count)
        {
            done = AsymmetricDotBlockVectors<Lanes512, Vector512<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }
        else if (Vector256.IsHardwareAccelerated && words > Vector128<ulong>.Count)
        {
            done = AsymmetricDotBlockVectors<Lanes256, Vector256<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }
        else if (Vector128.IsHardwareAccelerated && words > 1)
        {
            done = AsymmetricDotBlockVectors<Lanes128, Vector128<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }

        // Codes the vector loop left (the last ones, whose padded read would run past the end), and the scalar path.
        for (int i = done; i < results.Length; i++)
        {
            results[i] = (int)AsymmetricDotCore(ref Unsafe.Add(ref codeRef, (nuint)i * (nuint)words), ref planeRef, (nuint)words, queryBits);
        }
    }

    /// <summary>
    /// Vector block loop: each code is read as whole registers (padded width Wp ≥ W, reading into the next code),
    /// and the query planes are zero-padded to Wp so the extra words contribute nothing. Returns the number of codes done.
    /// </summary>
    private static int AsymmetricDotBlockVectors<T, TV>(ref ulong codes, ReadOnlySpan<ulong> queryPlanes, int queryBits, int words, Span<int> results)
        where T : IBitLanes<TV>
        where TV : struct
    {
        int lanes = T.Words;
        int padded = (words + lanes - 1) / lanes * lanes;
        int n = results.Length;

        // Codes whose padded read stays inside codes: i·W + Wp ≤ n·W.
        long safe = ((long)n * words) - padded;
        int count = safe < 0 ? 0 : (int)Math.Min(n, (safe / words) + 1);
        if (count == 0)
        {
            return 0;
        }

        // Query planes split into low and high nibbles once per block (so each code needs one split, not one per
        // plane), zero-padded to Wp words: [low plane 0 | high plane 0 | low plane 1 | ...], each Wp words.
        int planeWords = 2 * padded * queryBits;
        ulong[]? rented = null;
        Span<ulong> pad = planeWords <= 1024
            ? stackalloc ulong[1024]
            : (rented = System.Buffers.ArrayPool<ulong>.Shared.Rent(planeWords));
        pad = pad[..planeWords];
        pad.Clear();
        for (int k = 0; k < queryBits; k++)
        {
            ReadOnlySpan<ulong> plane = queryPlanes.Slice(k * words, words);
            Span<ulong> low = pad.Slice(2 * k * padded, words);
            Span<ulong> high = pad.Slice(((2 * k) + 1) * padded, words);
            for (int w = 0; w < words; w++)
            {
                low[w] = plane[w] & NibbleTable.LowMask;
                high[w] = (plane[w] >> 4) & NibbleTable.LowMask;
            }
        }

        ref ulong planes = ref MemoryMarshal.GetReference(pad);
        ref int res = ref MemoryMarshal.GetReference(results);
        nuint stride = (nuint)words;
        nuint pStride = (nuint)padded;

        // Several codes share one horizontal sum, packed into fields of each 64-bit lane:
        // four 16-bit fields when a code's total 64·Wp·(2^b − 1) fits, else two 32-bit fields.
        int i = 0;
        if (64L * padded * ((1 << queryBits) - 1) < 1 << 16)
        {
            for (; i + 4 <= count; i += 4)
            {
                ref ulong c = ref Unsafe.Add(ref codes, (nuint)i * stride);
                TV a0 = PaddedCode<T, TV>(ref c, ref planes, pStride, queryBits);
                TV a1 = PaddedCode<T, TV>(ref Unsafe.Add(ref c, stride), ref planes, pStride, queryBits);
                TV a2 = PaddedCode<T, TV>(ref Unsafe.Add(ref c, 2 * stride), ref planes, pStride, queryBits);
                TV a3 = PaddedCode<T, TV>(ref Unsafe.Add(ref c, 3 * stride), ref planes, pStride, queryBits);
                TV packed = T.AddWords(T.AddWords(a0, T.ShiftLeftWords(a1, 16)), T.AddWords(T.ShiftLeftWords(a2, 32), T.ShiftLeftWords(a3, 48)));
                ulong s = T.Sum(packed);
                Unsafe.Add(ref res, i) = (int)(ushort)s;
                Unsafe.Add(ref res, i + 1) = (int)(ushort)(s >> 16);
                Unsafe.Add(ref res, i + 2) = (int)(ushort)(s >> 32);
                Unsafe.Add(ref res, i + 3) = (int)(s >> 48);
            }
        }

        for (; i + 2 <= count; i += 2)
        {
            ref ulong c = ref Unsafe.Add(ref codes, (nuint)i * stride);
            TV a0 = PaddedCode<T, TV>(ref c, ref planes, pStride, queryBits);
            TV a1 = PaddedCode<T, TV>(ref Unsafe.Add(ref c, stride), ref planes, pStride, queryBits);
            ulong s = T.Sum(T.AddWords(a0, T.ShiftLeftWords(a1, 32)));
            Unsafe.Add(ref res, i) = (int)(uint)s;
            Unsafe.Add(ref res, i + 1) = (int)(s >> 32);
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(rented);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV PaddedCode<T, TV>(ref ulong code, ref ulong splitPlanes, nuint paddedWords, int queryBits)
        where T : IBitLanes<TV>
        where TV : struct
    {
        nuint lanes = (nuint)T.Words;
        TV acc = WeightedSplit<T, TV>(T.Load(ref code, 0), ref splitPlanes, paddedWords, queryBits);
        for (nuint w = lanes; w < paddedWords; w += lanes)
        {
            acc = T.AddWords(acc, WeightedSplit<T, TV>(T.Load(ref code, w), ref Unsafe.Add(ref splitPlanes, w), paddedWords, queryBits));
        }

        return acc;
    }

    /// <summary>
    /// As <see cref="WeightedAndPopCount"/>, with the planes already split into nibbles: low plane k at
    /// 2k·stride, high plane k at (2k+1)·stride. (c ∧ q) split into nibbles is (c_lo ∧ q_lo, c_hi ∧ q_hi).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV WeightedSplit<T, TV>(TV code, ref ulong splitPlanes, nuint stride, int queryBits)
        where T : IBitLanes<TV>
        where TV : struct
    {
        TV lo = T.LowNibbles(code), hi = T.HighNibbles(code);
        TV total = T.Zero;
        for (int g = 0; g < queryBits; g += 4)
        {
            ref ulong p = ref Unsafe.Add(ref splitPlanes, 2 * (nuint)g * stride);
            TV bytes = T.AddBytes(
                T.NibblePopCount(T.And(lo, T.Load(ref p, 0)), 0),
                T.NibblePopCount(T.And(hi, T.Load(ref p, stride)), 0));
            int count = queryBits - g;
            if (count > 1)
            {
                bytes = T.AddBytes(bytes, T.AddBytes(
                    T.NibblePopCount(T.And(lo, T.Load(ref p, 2 * stride)), 1),
                    T.NibblePopCount(T.And(hi, T.Load(ref p, 3 * stride)), 1)));
            }

            if (count > 2)
            {
                bytes = T.AddBytes(bytes, T.AddBytes(
                    T.NibblePopCount(T.And(lo, T.Load(ref p, 4 * stride)), 2),
                    T.NibblePopCount(T.And(hi, T.Load(ref p, 5 * stride)), 2)));
            }

            if (count > 3)
            {
                bytes = T.AddBytes(bytes, T.AddBytes(
                    T.NibblePopCount(T.And(lo, T.Load(ref p, 6 * stride)), 3),
                    T.NibblePopCount(T.And(hi, T.Load(ref p, 7 * stride)), 3)));
            }

            total = T.AddWords(total, T.ShiftLeftWords(T.SumBytes(bytes), g));
        }

        return total;
    }
}
