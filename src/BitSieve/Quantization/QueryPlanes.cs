namespace BitSieve.Quantization;

/// <summary>
/// A query quantized to <c>Bits</c> bits per dimension, stored as bit planes: ũᵢ = Lo + Delta·qᵢ with
/// qᵢ = Σₖ 2ᵏ·planeₖ[i]. Its rounding error e = u − ũ is kept as norms so the bounds can account for it.
/// </summary>
internal sealed class QueryPlanes
{
    public QueryPlanes(ReadOnlySpan<float> rotated, int bits, int words)
    {
        Bits = bits;
        Planes = new ulong[bits * words];
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in rotated)
        {
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }
        int top = (1 << bits) - 1;
        Lo = min;
        Delta = max > min ? (max - min) / top : 0f;
        double errL1 = 0, errL2 = 0;
        long sum = 0;
        var levels = new byte[words * 64];
        for (int i = 0; i < rotated.Length; i++)
        {
            int q = Delta > 0 ? Math.Clamp((int)MathF.Round((rotated[i] - min) / Delta), 0, top) : 0;
            levels[i] = (byte)q;
            sum += q;
            double e = rotated[i] - (Lo + (double)Delta * q);
            errL1 += Math.Abs(e);
            errL2 += e * e;
            for (int k = 0; k < bits; k++)
                if (((q >> k) & 1) != 0) Planes[k * words + (i >> 6)] |= 1UL << (i & 63);
        }
        Sum = sum;
        ErrL1 = (float)errL1;
        ErrL2 = (float)Math.Sqrt(errL2);
        _levels = levels;
    }

    private readonly byte[] _levels;
    private byte[]? _tables;

    /// <summary>
    /// FastScan look-up tables of a query of at most 4 bits: for each group of 4 dimensions, entry m = Σ qᵢ over the
    /// set bits of m, replicated to 64 bytes so every 128-bit lane of a shuffle sees it. Built on first use.
    /// </summary>
    public byte[] Tables => _tables ??= BuildTables();

    private byte[] BuildTables()
    {
        if (Bits > 4) throw new InvalidOperationException("FastScan tables hold sums of 4-bit levels.");
        int groups = _levels.Length / 4;
        var tables = new byte[groups * 64];
        for (int g = 0; g < groups; g++)
        {
            var table = tables.AsSpan(g * 64, 64);
            // Subset sums: entry m adds the level of m's lowest set bit to the entry without it.
            for (int m = 1; m < 16; m++)
                table[m] = (byte)(table[m & (m - 1)] + _levels[4 * g + System.Numerics.BitOperations.TrailingZeroCount(m)]);
            for (int copy = 16; copy < 64; copy += 16) table[..16].CopyTo(table[copy..]);
        }
        return tables;
    }

    public int Bits { get; }

    public ulong[] Planes { get; }

    public float Lo { get; }

    public float Delta { get; }

    /// <summary>Σ qᵢ.</summary>
    public long Sum { get; }

    /// <summary>‖e‖₁ of the rounding error.</summary>
    public float ErrL1 { get; }

    /// <summary>‖e‖₂ of the rounding error.</summary>
    public float ErrL2 { get; }
}
