namespace BitSieve.Quantization;

/// <summary>
/// The T2 form of a query: signed bytes ũᵢ = Delta·qᵢ with |qᵢ| ≤ <c>limit</c>, padded with zeros to whole 64-bit
/// words of dimensions. Its rounding error e = u − ũ is kept as a norm so the bounds can account for it.
/// </summary>
internal sealed class QueryBytes
{
    public QueryBytes(ReadOnlySpan<float> rotated, int limit, int paddedDimension)
    {
        Values = new sbyte[paddedDimension];
        float max = 0;
        foreach (var v in rotated) max = MathF.Max(max, MathF.Abs(v));
        Delta = max > 0 ? max / limit : 0f;
        long sum = 0;
        double errL2 = 0;
        for (int i = 0; i < rotated.Length; i++)
        {
            int q = Delta > 0 ? Math.Clamp((int)MathF.Round(rotated[i] / Delta), -limit, limit) : 0;
            Values[i] = (sbyte)q;
            sum += q;
            double e = rotated[i] - (double)Delta * q;
            errL2 += e * e;
        }
        Sum = sum;
        ErrL2 = (float)Math.Sqrt(errL2);
    }

    public sbyte[] Values { get; }

    public float Delta { get; }

    /// <summary>Σ qᵢ.</summary>
    public long Sum { get; }

    /// <summary>‖e‖₂ of the rounding error.</summary>
    public float ErrL2 { get; }
}
