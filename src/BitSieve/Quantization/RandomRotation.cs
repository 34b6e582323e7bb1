using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BitSieve.Quantization;

/// <summary>
/// A seeded random orthogonal transform: several rounds of (random permutation, random sign flips, blockwise
/// normalized Walsh–Hadamard transform). The dimension is split into power-of-two blocks (384 = 256 + 128), so no
/// padding is needed; the permutation between rounds mixes the blocks. Each step is orthogonal, so norms and inner
/// products are preserved exactly (up to float rounding), and the sign bits of the output are unbiased.
/// </summary>
internal sealed class RandomRotation
{
    private const int Rounds = 4;

    private readonly int[][] _permutations = new int[Rounds][];
    private readonly float[][] _signs = new float[Rounds][];
    private readonly int[] _blocks;

    public RandomRotation(int dimension, ulong seed)
    {
        Dimension = dimension;
        var rng = new SplitMix64(seed);
        for (int r = 0; r < Rounds; r++)
        {
            var perm = new int[dimension];
            for (int i = 0; i < dimension; i++) perm[i] = i;
            for (int i = dimension - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (perm[i], perm[j]) = (perm[j], perm[i]);
            }
            var signs = new float[dimension];
            for (int i = 0; i < dimension; i++) signs[i] = (rng.Next() & 1) == 0 ? 1f : -1f;
            _permutations[r] = perm;
            _signs[r] = signs;
        }
        var blocks = new List<int>();
        for (int bit = 30; bit >= 0; bit--)
            if ((dimension & (1 << bit)) != 0) blocks.Add(1 << bit);
        _blocks = [.. blocks];
    }

    public int Dimension { get; }

    /// <summary>Writes the rotation of <paramref name="input"/> to <paramref name="output"/>.</summary>
    public void Apply(ReadOnlySpan<float> input, Span<float> output)
    {
        int d = Dimension;
        float[]? rented = d > 1024 ? System.Buffers.ArrayPool<float>.Shared.Rent(d) : null;
        Span<float> scratch = rented is null ? stackalloc float[d] : rented.AsSpan(0, d);
        input.CopyTo(output);
        for (int r = 0; r < Rounds; r++)
        {
            var perm = _permutations[r];
            var signs = _signs[r];
            for (int i = 0; i < d; i++) scratch[i] = output[perm[i]] * signs[i];
            int start = 0;
            foreach (int size in _blocks)
            {
                Hadamard(scratch.Slice(start, size));
                start += size;
            }
            scratch.CopyTo(output);
        }
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>In-place normalized fast Walsh–Hadamard transform of a power-of-two block.</summary>
    private static void Hadamard(Span<float> block)
    {
        int n = block.Length;
        if (n == 1) return;
        ref float b = ref MemoryMarshal.GetReference(block);
        int h = 1;
        for (; h < n && h < Vector<float>.Count; h <<= 1)
        {
            for (int i = 0; i < n; i += h << 1)
            {
                for (int j = i; j < i + h; j++)
                {
                    float x = Unsafe.Add(ref b, j), y = Unsafe.Add(ref b, j + h);
                    Unsafe.Add(ref b, j) = x + y;
                    Unsafe.Add(ref b, j + h) = x - y;
                }
            }
        }
        // Strides of a whole vector or more: butterflies lane-parallel.
        for (; h < n; h <<= 1)
        {
            for (int i = 0; i < n; i += h << 1)
            {
                for (int j = i; j < i + h; j += Vector<float>.Count)
                {
                    var x = Vector.LoadUnsafe(ref b, (nuint)j);
                    var y = Vector.LoadUnsafe(ref b, (nuint)(j + h));
                    (x + y).StoreUnsafe(ref b, (nuint)j);
                    (x - y).StoreUnsafe(ref b, (nuint)(j + h));
                }
            }
        }
        float scale = 1f / MathF.Sqrt(n);
        for (int i = 0; i < n; i++) Unsafe.Add(ref b, i) *= scale;
    }
}
