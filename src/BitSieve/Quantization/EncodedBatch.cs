namespace BitSieve.Quantization;

/// <summary>
/// Rows prepared for storage (normalized under cosine) and their codes (T1 sign words, T2 code, factors), all encoded by
/// one <see cref="Quantizer"/>. Encoding is the costly part of a write; a batch is built outside any lock and appended
/// whole (<see cref="VectorIndex.UpsertBatch(ReadOnlySpan{ulong}, EncodedBatch)"/>).
/// </summary>
internal sealed class EncodedBatch
{
    private readonly float[] _rows;
    private readonly ulong[] _signs;
    private readonly byte[] _refine;

    public EncodedBatch(Quantizer quantizer, int count)
    {
        Quantizer = quantizer;
        Count = count;
        _rows = new float[(long)count * quantizer.Dimension];
        _signs = new ulong[(long)count * quantizer.Words];
        _refine = new byte[(long)count * quantizer.RefineBytes];
        Factors = new VectorFactors[count];
    }

    /// <summary>The quantizer the codes belong to.</summary>
    public Quantizer Quantizer { get; }

    public int Count { get; }

    public VectorFactors[] Factors { get; }

    public Span<float> Row(int i) => _rows.AsSpan(i * Quantizer.Dimension, Quantizer.Dimension);

    public ReadOnlySpan<ulong> Sign(int i) => _signs.AsSpan(i * Quantizer.Words, Quantizer.Words);

    public ReadOnlySpan<byte> Refine(int i) => _refine.AsSpan(i * Quantizer.RefineBytes, Quantizer.RefineBytes);

    /// <summary>Encodes every row (on all cores for a large batch).</summary>
    public void EncodeAll()
    {
        const int chunk = 64;
        Parallel.For(0, (Count + chunk - 1) / chunk, c =>
        {
            for (int i = c * chunk, end = Math.Min(Count, i + chunk); i < end; i++)
                Quantizer.Encode(Row(i), _signs.AsSpan(i * Quantizer.Words, Quantizer.Words),
                    _refine.AsSpan(i * Quantizer.RefineBytes, Quantizer.RefineBytes), out Factors[i]);
        });
    }
}
