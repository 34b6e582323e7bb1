using BitSieve.Quantization;

namespace BitSieve.Storage;

/// <summary>
/// The columns of a collection, addressed by ordinal: T1 sign codes, T2 extra planes, the per-vector factors
/// (one array per factor, so a pass reads only what it uses), point ids, tombstones and the T3 originals.
/// Sign codes are stored in the FastScan layout: blocks of 64 codes, byte p of all 64 codes together
/// (<see cref="Kernels.FastScan"/>), so the T1 pass looks up 64 codes per instruction.
/// </summary>
internal sealed class VectorColumns : IDisposable
{
    public VectorColumns(int dimension, int words, int refineBytes, OriginalStore originals)
    {
        Dimension = dimension;
        Words = words;
        RefineBytes = refineBytes;
        Originals = originals;
    }

    public int Dimension { get; }

    public int Words { get; }

    /// <summary>Bytes of a T2 code: all B bits, the sign included, so a candidate's T2 row is one contiguous read.</summary>
    public int RefineBytes { get; }

    /// <summary>Bytes of one sign code (whole 64-bit words).</summary>
    public int CodeBytes => Words * 8;

    /// <summary>Bytes of one FastScan block of sign codes.</summary>
    public int SignBlockBytes => CodeBytes * Kernels.FastScanCodes;

    /// <summary>Ordinals in use, deleted ones included.</summary>
    public int Count { get; private set; }

    public int DeletedCount { get; private set; }

    public int LiveCount => Count - DeletedCount;

    /// <summary>Sign codes in FastScan blocks: block (ord / 64) holds <see cref="CodeBytes"/> rows of 64 bytes.</summary>
    public byte[] Signs = [];
    public byte[] Refine = [];
    public float[] Scale = [], RInv1 = [], E1 = [], Balance = [], Beta = [], RInv2 = [], E2 = [], YNorm = [];
    public ulong[] Ids = [];

    /// <summary>Tombstones, one bit per ordinal.</summary>
    public ulong[] Deleted = [];

    public OriginalStore Originals { get; private set; }

    /// <summary>Bytes per vector by tier.</summary>
    public TierBytes BytesPerVector => new(Words * 8, RefineBytes, 8 * sizeof(float), Dimension * sizeof(float));

    public bool IsDeleted(int ordinal) => (Deleted[ordinal >> 6] & (1UL << (ordinal & 63))) != 0;

    /// <summary>Bytes of the whole FastScan blocks that hold <paramref name="count"/> codes.</summary>
    public int SignBytes(int count) => (count + 63) / 64 * SignBlockBytes;

    /// <summary>The FastScan block holding <paramref name="ordinal"/> (a multiple of 64).</summary>
    public ReadOnlySpan<byte> SignBlock(int ordinal) => Signs.AsSpan((ordinal >> 6) * SignBlockBytes, SignBlockBytes);

    /// <summary>Scatters the sign code of one vector into its block.</summary>
    public void WriteSignRow(int ordinal, ReadOnlySpan<ulong> code)
    {
        int baseIndex = (ordinal >> 6) * SignBlockBytes + (ordinal & 63);
        for (int w = 0; w < Words; w++)
            for (int b = 0; b < 8; b++) Signs[baseIndex + ((w * 8 + b) << 6)] = (byte)(code[w] >> (8 * b));
    }

    /// <summary>Gathers the sign code of one vector from its block (the inverse of <see cref="WriteSignRow"/>).</summary>
    public void ReadSignRow(int ordinal, Span<ulong> code)
    {
        int baseIndex = (ordinal >> 6) * SignBlockBytes + (ordinal & 63);
        for (int w = 0; w < Words; w++)
        {
            ulong word = 0;
            for (int b = 0; b < 8; b++) word |= (ulong)Signs[baseIndex + ((w * 8 + b) << 6)] << (8 * b);
            code[w] = word;
        }
    }

    public Span<byte> RefineRow(int ordinal) => Refine.AsSpan(ordinal * RefineBytes, RefineBytes);

    /// <summary>Appends a point (its original and id); the caller encodes it with <see cref="SetEncoded"/>.</summary>
    public int Append(ulong id, ReadOnlySpan<float> vector)
    {
        int ordinal = Count;
        EnsureCapacity(ordinal + 1);
        Ids[ordinal] = id;
        Originals.Append(vector);
        Count++;
        return ordinal;
    }

    public void SetEncoded(int ordinal, in VectorFactors f)
    {
        Scale[ordinal] = f.Scale;
        RInv1[ordinal] = f.RInv1;
        E1[ordinal] = f.E1;
        Balance[ordinal] = f.Balance;
        Beta[ordinal] = f.Beta;
        RInv2[ordinal] = f.RInv2;
        E2[ordinal] = f.E2;
        YNorm[ordinal] = f.YNorm;
    }

    public void MarkDeleted(int ordinal)
    {
        if (IsDeleted(ordinal)) return;
        Deleted[ordinal >> 6] |= 1UL << (ordinal & 63);
        DeletedCount++;
    }

    /// <summary>Restores the count and tombstones after the arrays were loaded from disk.</summary>
    /// <summary>Swaps the originals store (same rows, now read from a file); the old one is released.</summary>
    public void ReplaceOriginals(OriginalStore originals)
    {
        var old = Originals;
        Originals = originals;
        old.Dispose();
    }

    public void SetLoaded(int count, int deletedCount)
    {
        Count = count;
        DeletedCount = deletedCount;
    }

    public void EnsureCapacity(int needed)
    {
        int capacity = Ids.Length;
        if (needed <= capacity) return;
        long grown = Math.Max(needed, Math.Max(1024, capacity * 3L / 2));
        int next = (int)Math.Min(Array.MaxLength / Math.Max(1, RefineBytes) / 64 * 64, (grown + 63) / 64 * 64);
        if (next < needed) throw new InvalidOperationException($"A collection holds at most {next} vectors of this dimension per shard.");
        Array.Resize(ref Signs, next / 64 * SignBlockBytes);
        Array.Resize(ref Refine, next * RefineBytes);
        Array.Resize(ref Scale, next);
        Array.Resize(ref RInv1, next);
        Array.Resize(ref E1, next);
        Array.Resize(ref Balance, next);
        Array.Resize(ref Beta, next);
        Array.Resize(ref RInv2, next);
        Array.Resize(ref E2, next);
        Array.Resize(ref YNorm, next);
        Array.Resize(ref Ids, next);
        Array.Resize(ref Deleted, (next + 63) >> 6);
    }

    public void Dispose() => Originals.Dispose();
}
