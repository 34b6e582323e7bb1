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
        if (Vector512.IsHardwareAccelerated)
        {
            done = AsymmetricDotBlockVectors<Lanes512, Vector512<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            done = AsymmetricDotBlockVectors<Lanes256, Vector256<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            done = AsymmetricDotBlockVectors<Lanes128, Vector128<ulong>>(ref codeRef, queryPlanes, queryBits, words, results);
        }

        // Codes after the last whole group, and every code on the scalar path.
        for (int i = done; i < results.Length; i++)
        {
            results[i] = (int)AsymmetricDotCore(ref Unsafe.Add(ref codeRef, (nuint)i * (nuint)words), ref planeRef, (nuint)words, queryBits);
        }
    }

    /// <summary>
    /// Vector block loop. Codes are read as one contiguous stream of registers: a group of G = lanes / gcd(W, lanes)
    /// codes fills exactly P = G·W / lanes registers, so no lane is wasted and nothing is read past the block.
    /// The query planes are laid out with the same period (word p holds q_k[p mod W]), pre-split into nibbles.
    /// After the byte sums each lane holds one word's product; every lane is shifted into its code's bit field
    /// (16 or 32 bits; a count of 64 drops it) so one horizontal sum yields several codes. Returns the codes done.
    /// </summary>
    private static int AsymmetricDotBlockVectors<T, TV>(ref ulong codes, ReadOnlySpan<ulong> queryPlanes, int queryBits, int words, Span<int> results)
        where T : IBitLanes<TV>
        where TV : struct
    {
        int lanes = T.Words;
        int group = lanes / Math.Min(lanes, 1 << BitOperations.TrailingZeroCount(words)); // lanes / gcd(W, lanes), lanes a power of two
        int period = group * words;
        int groups = results.Length / group;
        if (groups == 0)
        {
            return 0;
        }

        // A code's product is at most 64·W·(2^b − 1): four 16-bit fields per lane when that fits, else two 32-bit.
        int fields = 64L * words * ((1 << queryBits) - 1) < 1 << 16 ? 4 : 2;
        int fieldBits = 64 / fields;
        int sums = (group + fields - 1) / fields;

        int planeWords = 2 * queryBits * period;
        int total = planeWords + (sums * period);
        ulong[]? rented = null;
        Span<ulong> buffer = total <= 2048
            ? stackalloc ulong[2048]
            : (rented = System.Buffers.ArrayPool<ulong>.Shared.Rent(total));

        // [low plane 0 | high plane 0 | low plane 1 | ...], each `period` words, then `sums` shift-count tables.
        for (int k = 0; k < queryBits; k++)
        {
            ReadOnlySpan<ulong> plane = queryPlanes.Slice(k * words, words);
            Span<ulong> low = buffer.Slice(2 * k * period, period);
            Span<ulong> high = buffer.Slice(((2 * k) + 1) * period, period);
            for (int p = 0; p < period; p++)
            {
                ulong q = plane[p % words];
                low[p] = q & NibbleTable.LowMask;
                high[p] = (q >> 4) & NibbleTable.LowMask;
            }
        }

        for (int s = 0; s < sums; s++)
        {
            Span<ulong> counts = buffer.Slice(planeWords + (s * period), period);
            for (int p = 0; p < period; p++)
            {
                int code = p / words;
                counts[p] = code / fields == s ? (ulong)((code % fields) * fieldBits) : 64;
            }
        }

        ref ulong planes = ref MemoryMarshal.GetReference(buffer);
        var layout = new BlockLayout(group, period, fields, sums, planeWords);

        // The engine's common case gets its own copy with the plane count a JIT-time constant.
        if (queryBits == 4)
        {
            BlockGroups<T, TV>(ref codes, ref planes, 4, layout, results, groups);
        }
        else
        {
            BlockGroups<T, TV>(ref codes, ref planes, queryBits, layout, results, groups);
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(rented);
        }

        return groups * group;
    }

    private readonly record struct BlockLayout(int Group, int Period, int Fields, int Sums, int PlaneWords);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockGroups<T, TV>(ref ulong codes, ref ulong planes, int queryBits, BlockLayout layout, Span<int> results, int groups)
        where T : IBitLanes<TV>
        where TV : struct
    {
        int lanes = T.Words;
        int group = layout.Group, fields = layout.Fields, sums = layout.Sums, planeWords = layout.PlaneWords;
        int fieldBits = 64 / fields;
        ulong fieldMask = (1UL << fieldBits) - 1;
        nuint stride = (nuint)layout.Period;
        ref ulong shifts = ref Unsafe.Add(ref planes, planeWords);
        ref int res = ref MemoryMarshal.GetReference(results);
        for (int gi = 0; gi < groups; gi++)
        {
            ref ulong g = ref Unsafe.Add(ref codes, (nuint)gi * stride);
            TV packed0 = T.Zero, packed1 = T.Zero, packed2 = T.Zero, packed3 = T.Zero;
            for (nuint p = 0; p < stride; p += (nuint)lanes)
            {
                TV products = WeightedSplit<T, TV>(T.Load(ref g, p), ref Unsafe.Add(ref planes, p), stride, queryBits);
                if (group == 1)
                {
                    packed0 = T.AddWords(packed0, products); // one code per group: no fields to place
                    continue;
                }

                packed0 = T.AddWords(packed0, T.ShiftLeftWordsVariable(products, T.Load(ref shifts, p)));
                if (sums > 1)
                {
                    packed1 = T.AddWords(packed1, T.ShiftLeftWordsVariable(products, T.Load(ref shifts, p + stride)));
                    if (sums > 2)
                    {
                        packed2 = T.AddWords(packed2, T.ShiftLeftWordsVariable(products, T.Load(ref shifts, p + (2 * stride))));
                        packed3 = T.AddWords(packed3, T.ShiftLeftWordsVariable(products, T.Load(ref shifts, p + (3 * stride))));
                    }
                }
            }

            ref int r = ref Unsafe.Add(ref res, gi * group);
            Unpack(ref r, T.Sum(packed0), Math.Min(fields, group), fieldBits, fieldMask);
            if (sums > 1)
            {
                Unpack(ref Unsafe.Add(ref r, fields), T.Sum(packed1), Math.Min(fields, group - fields), fieldBits, fieldMask);
                if (sums > 2)
                {
                    Unpack(ref Unsafe.Add(ref r, 2 * fields), T.Sum(packed2), fields, fieldBits, fieldMask);
                    Unpack(ref Unsafe.Add(ref r, 3 * fields), T.Sum(packed3), fields, fieldBits, fieldMask);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(ref int results, ulong packed, int count, int fieldBits, ulong fieldMask)
    {
        for (int f = 0; f < count; f++)
        {
            Unsafe.Add(ref results, f) = (int)((packed >> (f * fieldBits)) & fieldMask);
        }
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
        // The split planes hold only low-nibble bits, so the AND with them also masks the code's nibbles.
        TV lo = code, hi = T.ShiftRightWords(code, 4);
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
